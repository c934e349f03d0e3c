"""Whole generations, cached by the hash of everything they are made from.

`storegen check` runs on every commit (the pre-commit hook, CI) and almost
always finds the package up to date; regenerating an unchanged tree cost
seconds at 500 tables. The key covers every input of `generate`, so a hit
can only be the same output:

- the schema and query files as generation read and parsed them (their
  text and display paths: `generator.read_sources`), the PostgreSQL objects
  file, and every file of the migrations folder (their bytes and paths);
- the options (`repr`: every config key, the root and all paths);
- every file of the storegen package itself (the generator code and the
  runtime it copies) and of every template folder, built-in and user;
- the installed distributions (`name-version.dist-info` of every sys.path
  folder: storegen, black, sqlglot, jinja2, pypika...), the Python version and
  the SQLite library it links.

`memo` keeps what `check` derives from the same inputs (the schema page, the
migration drift) beside the generation, from the generation's own schema: on
a hit, parsed again from the text the key was made from, not from the files
as they may be now.

The migrations folder and the PostgreSQL objects file are read again after
the key is made (generation embeds them, the drift check replays them):
when they changed meanwhile, nothing is stored under the key
(`still_as_keyed`).

An unreadable schema or query file stops generation before any hashing; any
other missing or unreadable input is hashed as such. Only a successful
generation is stored. A cache that cannot be read or
written costs speed, never output.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")
# Per key made in this process: the hash of the inputs read again later (`still_as_keyed`).
_LATER: dict[str, str] = {}

# Generations kept per project (a 500-table package is ~9 MB).
KEEP = 4
_FOLDER = ("generation",)


def generation_key(
    options: Any,
    package_dir: Path,
    template_dirs: list[Path],
    sources: tuple[list[tuple[str, str]], ...],
) -> str:
    """The hash of every input a generation with `options` reads.

    `sources`: the schema and query files as the generation read them
    (`generator.read_sources`), hashed as read, so that a file edited after
    it was read cannot file that output under the new text's key.
    """
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        # surrogateescape: a file name that is not UTF-8 keeps its bytes in the key
        digest.update(f"{label}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
        digest.update(data)

    import sqlite3  # migrations replay, and schema checks run, on the linked SQLite

    add("python", f"{sys.version}\0{sqlite3.sqlite_version}".encode())
    add("distributions", "\n".join(installed_distributions()).encode())
    add("options", repr(options).encode())
    for kind, files in zip(("schema", "queries"), sources):
        for shown, text in files:
            add(f"{kind}:{shown}", text.encode())
    folders = [("package", package_dir), *(("templates", d) for d in template_dirs)]
    for kind, folder in folders:
        for path in _files(folder):
            add(f"{kind}:{path}", _read(path))
    later = _read_later(options)
    add("read later", later.encode())
    key = digest.hexdigest()
    _LATER[key] = later
    return key


def still_as_keyed(options: Any, key: str) -> bool:
    """Whether the inputs generation reads again after the key (the migrations folder, the
    PostgreSQL objects file) are still as the key saw them: else nothing is stored under
    it, so that a file saved during the run cannot file another text's answer there."""
    return _LATER.get(key) == _read_later(options)


def _read_later(options: Any) -> str:
    """The hash of the inputs read again after the key is made (`still_as_keyed`)."""
    digest = hashlib.sha256()
    paths = _files(options.migrations_dir)
    if options.postgres_objects is not None:  # its text is printed into postgres.py
        paths.append(options.postgres_objects)
    for path in paths:
        data = _read(path)
        digest.update(f"{path}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
        digest.update(data)
    return digest.hexdigest()


def installed_distributions() -> list[str]:
    """`name-version.dist-info` (and .egg-info) of every folder on sys.path, sorted.

    One directory listing per folder instead of `importlib.metadata` (~4 ms a
    package): a changed version of any installed package changes the key.
    """
    found: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        found.update(f"{entry}/{n}" for n in names if n.endswith((".dist-info", ".egg-info")))
    return sorted(found)


def _files(folder: Path) -> list[str | Path]:
    """Every file under `folder` but bytecode caches, in a stable order.

    Paths as strings and `open` rather than `Path` objects: the key reads
    storegen's ~150 files on every run, before the schema is parsed, and
    pathlib's objects cost half of it (~1 ms).
    """
    if not os.path.isdir(folder):
        return []
    found: list[str | Path] = []
    join = os.path.join
    for parent, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found.extend(join(parent, n) for n in sorted(names) if not n.endswith(".pyc"))
    return found


def _read(path: str | Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return b"+" + handle.read()
    except OSError as error:
        return f"-{error.errno}".encode()


def load(root: Path, key: str) -> tuple[dict[str, str], int] | None:
    """The files and the table count stored under `key`, or None."""
    try:
        with (_folder(root) / f"{key}.pickle").open("rb") as handle:
            files, tables = pickle.load(handle)
    except Exception:  # missing, partly written by a crash, or from another Python
        return None
    if not isinstance(files, dict) or not isinstance(tables, int):
        return None
    return files, tables


def store(root: Path, key: str, files: dict[str, str], tables: int) -> None:
    """Best effort: write the entry atomically, keep the newest `KEEP`."""
    folder = _folder(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder.parent / ".gitignore"
        if not ignore.is_file():  # the cache never shows up in the user's `git status`
            ignore.write_text("# storegen's cache: safe to delete, never to commit.\n*\n")
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(pickle.dumps((files, tables), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, folder / f"{key}.pickle")
        entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
            for extra in folder.glob(f"{old.stem}.*.memo"):
                extra.unlink(missing_ok=True)
    except OSError:
        pass


def memo(
    root: Path, key: str | None, name: str, compute: Callable[[], _T], options: Any = None
) -> _T:
    """`compute()`, stored beside the generation `key`: a pure function of the same inputs.

    For what `check` derives from those inputs besides the files (the schema
    page, the migration drift). No key (an uncached generation): computed.
    """
    if key is None:
        return compute()
    path = _folder(root) / f"{key}.{name}.memo"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # type: ignore[no-any-return]
    except Exception:  # missing or unreadable: compute it
        pass
    value = compute()
    if options is not None and not still_as_keyed(options, key):
        return value  # an input changed while it was computed: not filed under this key
    try:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        pass
    return value


def docs_page(generation: Any, options: Any) -> str:
    """The schema reference page of `generation`, remembered with it."""

    def page() -> str:
        from ..schemadoc import schema_page

        return schema_page(generation.schema, options)

    return memo(options.root, generation.key, "docs", page, options)


def migration_drift(options: Any, generation: Any) -> list[str] | None:
    """`migrations.command.migration_drift`, remembered with the generation (same inputs)."""
    if not options.migrations_dir.is_dir():
        return None  # the project keeps no migrations (and sqlglot stays unloaded)

    def drift() -> list[str] | None:
        from ..migrations.command import migration_drift as compute

        return compute(options, generation.schema)

    return memo(options.root, generation.key, "drift", drift, options)


def _folder(root: Path) -> Path:
    return root.joinpath(".storegen-cache", *_FOLDER)


def template_bytecode_cache(env: Any) -> Any:
    """Jinja's compiled templates, per user: the `__pycache__` of the templates.

    Compiling the built-in templates cost ~20% of a small generation. Jinja
    checks each entry against the template's source (a changed template
    recompiles); the folder is named after everything else compilation
    depends on (Jinja and Python versions, the environment's syntax settings,
    filter and test names). None when no cache folder can be made.
    """
    import jinja2

    settings = repr(
        (
            jinja2.__version__,
            sys.version,
            *(
                getattr(env, name)
                for name in (
                    "block_start_string", "block_end_string", "variable_start_string",
                    "variable_end_string", "comment_start_string", "comment_end_string",
                    "line_statement_prefix", "line_comment_prefix", "trim_blocks",
                    "lstrip_blocks", "newline_sequence", "keep_trailing_newline",
                    "autoescape", "optimized", "undefined",
                )
            ),  # fmt: skip
            sorted(env.extensions),
            sorted(env.filters),
            sorted(env.tests),
        )
    )
    salt = hashlib.sha256(settings.encode()).hexdigest()[:16]
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(home) / "storegen" / f"jinja-{salt}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))
