"""`storegen generate | check | inspect | migrate | backends | new-backend`: argparse over `generate`.

Exit codes: 0 done, 1 `check` found a difference, 2 bad input or config.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .background import reap
from .config import Options, load_options, merge_cli
from .errors import StoregenError

if TYPE_CHECKING:
    from . import Generation

# Each command imports what it needs when it runs: `storegen check` on an unchanged tree reads
# its answer from the cache, never loading sqlglot, jinja2, black or the API report.
EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT = 0, 1, 2


# What `storegen --help` says: for users, not the module docstring.
DESCRIPTION = "Generate a typed, async storage package from SQLite schema files."
EPILOG = (
    "Settings come from [tool.storegen] in pyproject.toml; flags override them. "
    "Exit codes: 0 done, 1 `check` found a difference, 2 bad input or config. "
    "`storegen COMMAND --help` describes one command."
)


def storegen_version() -> str:
    """The installed distribution's version (a source checkout may have none)."""
    import importlib.metadata

    try:
        return importlib.metadata.version("storegen")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


class _Version(argparse.Action):
    """`--version`, looking the version up only when asked (importlib.metadata is slow)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        sys.stdout.write(f"storegen {storegen_version()}\n")
        parser.exit()


def build_parser(wants_migrate: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storegen", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="show program's version number and exit"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in (
        ("generate", "write the package from the schema files"),
        ("check", "exit 1, with a diff and the API changes, when the package is stale"),
        ("inspect", "print the parsed schema as JSON, with the statements passed over"),
        ("docs", "write the schema reference page (Markdown, with a Mermaid ER diagram)"),
        ("migrate", "write the next migration (migrations/NNNN_name.sql) from the schema files"),
    ):
        command = commands.add_parser(name, help=help_text, description=_sentence(help_text))
        command.add_argument(
            "--config", metavar="FILE", type=Path, help="pyproject.toml or storegen.toml to read"
        )
        command.add_argument(
            "--schema",
            metavar="FILE",
            type=Path,
            action="append",
            help="a schema file (repeatable)",
        )
        command.add_argument(
            "--queries",
            metavar="FILE",
            type=Path,
            action="append",
            help="a named-query file (repeatable)",
        )
        command.add_argument("--out", metavar="DIR", type=Path, help="output folder of the package")
        command.add_argument(
            "--package", metavar="NAME", help="import name of the generated package"
        )
        command.add_argument(
            "--backend",
            metavar="NAME",
            action="append",
            dest="backends",
            help="a backend (repeatable)",
        )
        command.add_argument(
            "--templates",
            metavar="DIR",
            type=Path,
            action="append",
            help="a user template folder, searched after the configured ones (repeatable)",
        )
        command.add_argument(
            "--docs", metavar="FILE", type=Path, help="the schema reference page to write"
        )
        command.add_argument(
            "--strict-types",
            action="store_true",
            default=None,
            help="exit 2 on a declared type one edit away from a known one (INTERGER)",
        )
        if name == "check":
            command.add_argument(
                "--breaking-only",
                action="store_true",
                help="print only breaking API changes; exit 1 only when there is one",
            )
    if wants_migrate:  # its options come from the migrations package: import it only then
        from .migrations.command import add_arguments as add_migrate_arguments

        add_migrate_arguments(commands.choices["migrate"])
    backends_help = "list the backends found and where each comes from"
    backends = commands.add_parser(
        "backends", help=backends_help, description=_sentence(backends_help)
    )
    new_backend_help = "scaffold a new backend folder from an existing backend"
    new_backend = commands.add_parser(
        "new-backend", help=new_backend_help, description=_sentence(new_backend_help)
    )
    new_backend.add_argument("name", help="name (and module) of the new backend")
    new_backend.add_argument(
        "--from", dest="source", default="aiosqlite", help="backend to copy (default: aiosqlite)"
    )
    new_backend.add_argument(
        "--dir",
        type=Path,
        help="template folder to create it in (default: the first configured `templates` "
        "folder, else ./templates)",
    )
    init_help = "start a project: config block, example schema, migrations/, first generation"
    init = commands.add_parser("init", help=init_help, description=_sentence(init_help))
    init.add_argument("dir", nargs="?", type=Path, default=Path("."), help="(default: .)")
    init.add_argument(
        "--package", metavar="NAME", default="db", help="the generated package (default: db)"
    )
    for command in (backends, new_backend):
        command.add_argument(
            "--config", metavar="FILE", type=Path, help="pyproject.toml or storegen.toml to read"
        )
        command.add_argument(
            "--templates",
            metavar="DIR",
            type=Path,
            action="append",
            help="a user template folder, searched after the configured ones (repeatable)",
        )
    return parser


def _sentence(help_text: str) -> str:
    """A command's one-line help as the sentence its own --help starts with."""
    return help_text[0].upper() + help_text[1:] + "."


def _backend_options(args: argparse.Namespace) -> Options:
    options = load_options(args.config, Path.cwd())
    return merge_cli(options, templates=[p.resolve() for p in args.templates or []])


def _list_backends(args: argparse.Namespace) -> int:
    from .backends.manifest import discover_backends

    options = _backend_options(args)
    for backend, origin in discover_backends(options.templates):
        configured = "*" if backend.name in options.backends else " "
        print(
            f"{configured} {backend.name:<12} module={backend.module} driver={backend.driver} "
            f"dialect={backend.dialect} paramstyle={backend.paramstyle} "
            f"({origin}: {backend.folder})"
        )
    print("(* = configured in [tool.storegen] backends)")
    return EXIT_OK


def _new_backend(args: argparse.Namespace) -> int:
    from .backends.manifest import scaffold_backend

    options = _backend_options(args)
    dest = args.dir.resolve() if args.dir else None
    if dest is None:
        dest = options.templates[0] if options.templates else Path.cwd() / "templates"
    folder = scaffold_backend(args.name, args.source, dest, options.templates)
    print(f"storegen: created backend {args.name!r} from {args.source!r} in {folder}")
    print("next: edit its templates and backend.toml; then in [tool.storegen] set")
    print(f'  templates = ["{options.display_path(dest)}"]   # unless it is already searched')
    print(f'  backends = [..., "{args.name}"]')
    print("and run `storegen generate` (see docs/backends.md)")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    from .cli_stdout import forgiving_stdout

    try:
        words = sys.argv[1:] if argv is None else list(argv)
        with forgiving_stdout():  # `storegen check | head` still exits with check's verdict
            return _run(build_parser(wants_migrate="migrate" in words).parse_args(argv))
    except BrokenPipeError:
        # A write that bypassed sys.stdout met a reader that left. Point stdout
        # at /dev/null so the interpreter's final flush stays quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        reap()  # the SQL half's child that generate_in_command left exiting, gone by now


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "backends":
            return _list_backends(args)
        if args.command == "new-backend":
            return _new_backend(args)
        if args.command == "init":
            return _init(args)
        options = _options(args)
        if args.command == "migrate":
            from .migrations.command import run_migrate

            return run_migrate(options, args)
        if args.command == "check" and args.breaking_only:
            return _check_breaking(options)
        commands = {"generate": _generate, "check": _check, "inspect": _inspect, "docs": _docs}
        return commands[args.command](options)
    except StoregenError as exc:
        print(f"storegen: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _options(args: argparse.Namespace) -> Options:
    cwd = Path.cwd()
    options = load_options(args.config, cwd)
    return merge_cli(
        options,
        schema=[p.resolve() for p in args.schema or []],
        out=args.out.resolve() if args.out else None,
        package=args.package,
        backends=args.backends or [],
        templates=[p.resolve() for p in args.templates or []],
        queries=[p.resolve() for p in args.queries or []],
        docs=args.docs.resolve() if args.docs else None,
        strict_types=args.strict_types,
    )


def _generate(options: Options) -> int:
    from . import generate_in_command
    from .output.write import plan_write, write_file, write_files

    started = time.perf_counter()
    generation = generate_in_command(options)
    _warn(generation)
    plan = plan_write(generation.files, options.out)
    # The API report compares with the package as it was; the same files change no API.
    changes = plan.changed or plan.stale
    previous = None
    if changes and options.out.is_dir():
        from .api.report import read_package

        previous = read_package(options.out)
    write_files(generation.files, options.out, plan)
    if options.docs is not None:
        from .output.cache import docs_page

        write_file(options.docs, docs_page(generation, options))
    elapsed = time.perf_counter() - started
    from .summary import schema_summary

    summary, passed_over = schema_summary(generation, options)
    print(
        f"storegen: {summary} → {options.display_path(options.out)}: "
        f"{len(plan.changed)} written, {len(plan.unchanged)} unchanged, {len(plan.stale)} removed "
        f"in {elapsed:.2f}s"
    )
    if passed_over:
        print(passed_over)
    if previous is not None:
        from .api.report import api_changes, format_report

        sys.stdout.write(format_report(api_changes(previous, generation.files)))
    return EXIT_OK


def _check(options: Options) -> int:
    from . import generate_in_command
    from .output.cache import migration_drift
    from .output.write import diff_files

    generation = generate_in_command(options)
    _warn(generation)
    stale = []
    for target, diff in (
        (options.out, diff_files(generation.files, options.out)),
        (options.docs, _docs_diff(generation, options)),
    ):
        if diff and target is not None:
            from .api.report import api_changes, format_report, read_package

            sys.stdout.write(diff)
            stale.append(options.display_path(target))
            previous = read_package(options.out) if target == options.out else None
            if previous is not None:  # no package yet: nothing to compare with
                report = format_report(api_changes(previous, generation.files))
                sys.stdout.write(report or "storegen: public API unchanged\n")
    drift = migration_drift(options, generation)  # None: the project keeps no migrations
    if drift:
        print("\n".join(f"  {line}" for line in drift[1:]))
        print(f"storegen: {drift[0]}", file=sys.stderr)
    if stale:
        print(
            f"storegen: {' and '.join(stale)} {'are' if len(stale) > 1 else 'is'} out of date; "
            "run `storegen generate`",
            file=sys.stderr,
        )
    if stale or drift:
        return EXIT_DIFFERENT
    checked = [options.out, *([options.docs] if options.docs is not None else [])]
    verb = "are" if len(checked) > 1 else "is"
    print(f"storegen: {' and '.join(options.display_path(p) for p in checked)} {verb} up to date")
    return EXIT_OK


def _check_breaking(options: Options) -> int:
    """`check --breaking-only`: exit 1 only when the API change breaks callers."""
    from . import generate_in_command
    from .api.report import api_changes, format_report, read_package

    files = generate_in_command(options).files
    previous = read_package(options.out)
    changes = api_changes(previous, files) if previous is not None else []
    sys.stdout.write(format_report(changes, breaking_only=True))
    if any(c.breaking for c in changes):
        print("storegen: the new generation breaks callers of the package", file=sys.stderr)
        return EXIT_DIFFERENT
    print(f"storegen: no breaking API change in {options.display_path(options.out)}")
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from .init import run_init

    return run_init(args.dir.resolve(), args.package, _generate)


def _docs_diff(generation: Generation, options: Options) -> str:
    if options.docs is None:
        return ""
    from .output.cache import docs_page
    from .output.write import diff_file

    page = docs_page(generation, options)
    return diff_file(options.docs, page, options.display_path(options.docs))


def _docs(options: Options) -> int:
    """Write the page where `--docs` or the `docs` key says, else print it."""
    from . import load_schema
    from .output.write import write_file
    from .schemadoc import schema_page

    page = schema_page(load_schema(options), options)
    if options.docs is None:
        sys.stdout.write(page)
        return EXIT_OK
    changed = write_file(options.docs, page)
    state = "written" if changed else "unchanged"
    print(f"storegen: {options.display_path(options.docs)} {state}")
    return EXIT_OK


def _inspect(options: Options) -> int:
    import json

    from . import load_schema
    from .schema.ir import to_json

    schema = load_schema(options)
    json.dump(to_json(schema), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def _warn(generation: Generation) -> None:
    for warning in generation.warnings:
        print(f"storegen: warning: {warning} (--strict-types makes it an error)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
