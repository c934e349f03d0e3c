"""`storegen migrate` and the migration half of `storegen check`.

`plan_next` is pure: it replays the committed migrations, diffs them with
the schema files, writes the next migration as text, and proves it by
replaying it too; nothing touches the disk until `run_migrate` writes the
files it returned.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from .. import load_schema
from ..backends.manifest import load_backend
from ..config import Options
from ..errors import StoregenError
from ..render.context import build_package_view
from ..schema.ir import Schema
from .diff import describe_differences, diff_schemas
from .files import FOREIGN_KEYS_OFF, file_name, read_migrations
from .plan import needs_foreign_keys_off, sqlite_statements
from .postgres import postgres_statements
from .replay import Snapshot, replay, run_ddl, run_migration, snapshot

__all__ = ["Draft", "add_arguments", "migration_drift", "plan_next", "run_migrate"]

EXIT_OK, EXIT_DIFFERENT = 0, 1


@dataclass(frozen=True, slots=True)
class Draft:
    """The next migration: its files (path -> text) and what it changes."""

    name: str
    files: dict[Path, str]
    summary: list[str]


@dataclass(frozen=True, slots=True)
class _Target:
    schema: Schema
    snapshot: Snapshot
    append_only: dict[str, bool]
    dialects: tuple[str, ...]  # ddl_dialect of each backend that sets one


def _target(options: Options, schema: Schema | None = None) -> _Target:
    """What the schema files (or `schema`, parsed from them already) say the database is."""
    if schema is None:
        schema = load_schema(replace(options, queries=()))  # queries change no DDL: skip them
    else:
        schema = replace(schema, queries=())
    view = build_package_view(
        schema, options, tuple(options.display_path(p) for p in options.schema)
    )
    db = run_ddl(view.ddl)
    try:
        target = snapshot(db)
    finally:
        db.close()
    dialects = []
    for name in options.backends:
        dialect = load_backend(name, options.templates).ddl_dialect
        if dialect and dialect != "sqlite" and dialect not in dialects:
            dialects.append(dialect)
    append_only = {t.name: t.append_only for t in view.tables}
    return _Target(schema, target, append_only, tuple(dialects))


def plan_next(
    options: Options, *, name: str | None = None, allow_destructive: bool = False
) -> Draft | None:
    """The next migration, or None when the migrations already produce the schema.

    Raises SchemaError for a refused change (see `diff_schemas`) or a broken
    migrations folder; StoregenError if the planned SQL does not reproduce
    the schema on replay (a storegen bug, never written).
    """
    target = _target(options)
    folder, shown = options.migrations_dir, options.display_path(options.migrations_dir)
    migrations = read_migrations(folder, shown)
    names = [m.name for m in migrations]
    late = _late_dialects(options, target.dialects, names)
    _check_dialect_folders(options, tuple(d for d in target.dialects if d not in late), names)
    replayed = replay(migrations)
    diff = diff_schemas(
        replayed, target.schema, target.snapshot, allow_destructive=allow_destructive
    )
    if diff.empty and not late:
        return None
    sources = ", ".join(target.schema.files)
    files: dict[Path, str] = {}
    summary: list[str] = []
    stems = list(names)
    if not diff.empty:
        summary = diff.summary()
        stem = file_name(len(migrations) + 1, name or _default_name(migrations == [], summary))
        stems.append(stem[:-4])
        fk_off = needs_foreign_keys_off(diff)
        text = _file_text(
            sqlite_statements(diff), summary, sources, FOREIGN_KEYS_OFF if fk_off else None
        )
        run_migration(replayed, f"{shown}/{stem}", text, fk_off)
        problems = describe_differences(snapshot(replayed.db), target.snapshot)
        if problems:
            raise StoregenError(
                "the planned migration does not reproduce the schema on replay (please report"
                " it):\n  " + "\n  ".join(problems)
            )
        files[folder / stem] = text
        for dialect in target.dialects:
            if dialect not in late:
                statements = postgres_statements(diff, target.schema, options, target.append_only)
                files[folder / dialect / stem] = _file_text(
                    statements, summary, sources, f"-- {dialect} version of {stem}"
                )
    if late:
        files.update(_catch_up_files(options, target, late, stems, sources))
        summary.append(
            f"{', '.join(late)}: a file for each of the {len(names)} earlier migrations"
            " (the backend came after them; the first creates the whole schema)"
        )
    return Draft(stems[-1], files, summary)


def _late_dialects(options: Options, dialects: tuple[str, ...], names: list[str]) -> list[str]:
    """Dialects whose folder holds no migration yet while SQLite's does: backends added late."""
    late = []
    for dialect in dialects:
        folder = options.migrations_dir / dialect
        if names and not read_migrations(folder, options.display_path(folder)):
            late.append(dialect)
    return late


def _catch_up_files(
    options: Options, target: _Target, dialects: list[str], stems: list[str], sources: str
) -> dict[Path, str]:
    """The files of a backend added after the first migration.

    No database of that engine can predate its backend, so its first file
    creates the whole current schema and the later ones change nothing; the
    next migration gets a normal file of its own.
    """
    whole = diff_schemas(replay([]), target.schema, target.snapshot, allow_destructive=True)
    first = postgres_statements(whole, target.schema, options, target.append_only)
    files: dict[Path, str] = {}
    for dialect in dialects:
        for index, stem in enumerate(stems):
            header = f"-- {dialect} version of {stem}.sql, written when the backend was added"
            if index == 0:
                files[options.migrations_dir / dialect / f"{stem}.sql"] = _file_text(
                    first, ["creates the whole schema as of " + stems[-1]], sources, header
                )
            else:
                note = f"-- Nothing to do: {stems[0]}.sql of this folder already made it."
                files[options.migrations_dir / dialect / f"{stem}.sql"] = f"{header}\n{note}\n"
    return files


def _default_name(first: bool, summary: list[str]) -> str:
    if first:
        return "initial"
    return summary[0] + (" and more" if len(summary) > 1 else "")


def _file_text(statements: list[str], summary: list[str], sources: str, header: str | None) -> str:
    lines = [header] if header else []
    lines.append(f"-- Written by `storegen migrate` from {sources}; review it, then commit it.")
    lines += [f"-- * {line}" for line in summary]
    return "\n".join(lines) + "\n\n" + "".join(f"{s};\n\n" for s in statements).rstrip() + "\n"


def _check_dialect_folders(options: Options, dialects: tuple[str, ...], names: list[str]) -> None:
    """Each dialect's folder must hold the same migrations as the SQLite one."""
    for dialect in dialects:
        folder = options.migrations_dir / dialect
        shown = options.display_path(folder)
        have = [m.name for m in read_migrations(folder, shown)]
        if have != names:
            missing = sorted(set(names) - set(have)) or sorted(set(have) - set(names))
            raise StoregenError(
                f"{shown} does not match {options.display_path(options.migrations_dir)} "
                f"({', '.join(missing)} differs): each migration needs its {dialect} file"
            )


def migration_drift(options: Options, schema: Schema | None = None) -> list[str] | None:
    """For `storegen check`: the message and differences, [] when in sync.

    None when the project has no migrations folder (it does not use them).
    `schema`: the generation's own (cache.py keeps the answer under its key),
    so that a schema file edited since cannot give it another text's answer.
    """
    if not options.migrations_dir.is_dir():
        return None
    target = _target(options, schema)
    migrations = read_migrations(
        options.migrations_dir, options.display_path(options.migrations_dir)
    )
    applied = [m.name for m in migrations]
    late = _late_dialects(options, target.dialects, applied)
    _check_dialect_folders(options, tuple(d for d in target.dialects if d not in late), applied)
    current = snapshot(replay(migrations).db)
    problems = describe_differences(current, target.snapshot)
    if late and not problems:
        folders = ", ".join(options.display_path(options.migrations_dir / d) for d in late)
        return [f"{folders} has no migrations yet (a backend added later): run `storegen migrate`"]
    if not problems:
        return []
    files: list[str] = []
    for table in target.schema.tables:
        key = table.name.lower()
        names = {key} | {
            k
            for k, o in (*target.snapshot.indexes.items(), *target.snapshot.triggers.items())
            if o.table.lower() == key
        }
        if any(line.split(":", 1)[0].rsplit(" ", 1)[-1].lower() in names for line in problems):
            files.append(table.location.file)
    changed = ", ".join(dict.fromkeys(files)) or ", ".join(target.schema.files)
    state = "changed since the last migration" if migrations else "has no migration yet"
    return [f"{changed} {state}: run `storegen migrate`", *problems]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `storegen migrate` (the common ones come from cli.py)."""
    parser.add_argument("--name", help="name of the migration (default: from its first change)")
    parser.add_argument(
        "--allow-destructive",
        action="store_true",
        help="allow changes that lose data: dropped tables or columns, narrowed types",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the migration instead of writing it"
    )


def run_migrate(options: Options, args: argparse.Namespace) -> int:
    """Write the next migration (or print it with --dry-run); exit 0 "no changes" when none."""
    draft = plan_next(options, name=args.name, allow_destructive=args.allow_destructive)
    if draft is None:
        print("storegen: no changes: the migrations already produce the schema")
        return EXIT_OK
    for path, text in draft.files.items():
        shown = options.display_path(path)
        if args.dry_run:
            sys.stdout.write(f"-- ==> {shown} <==\n{text}\n")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".sql.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        print(f"storegen: wrote {shown}")
    for line in draft.summary:
        print(f"  {line}")
    if not args.dry_run:
        print("next: review the SQL, run `storegen generate`, commit both")
    return EXIT_OK
