"""The migrations folder: `NNNN_name.sql` files, read, checked and numbered.

SQLite-dialect files sit in the folder itself; a backend whose manifest sets
`ddl_dialect` gets the same sequence in a subfolder named after the dialect
(`migrations/postgres/`). A file may open with `-- storegen:` header lines;
`-- storegen: foreign_keys=off` asks the runtime to run it with foreign keys
off (a table rebuild), checked by `PRAGMA foreign_key_check` before COMMIT.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import SchemaError
from ..records import record
from ..schema.ir import Location

__all__ = [
    "FOREIGN_KEYS_OFF",
    "MigrationFile",
    "file_name",
    "header_flags",
    "read_migrations",
    "slug",
]

FOREIGN_KEYS_OFF = "-- storegen: foreign_keys=off"
_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
_HEADER = re.compile(r"--\s*storegen:\s*(.*)")
_KNOWN_FLAGS = frozenset({"foreign_keys=off"})
_MAX_NAME = 48


@record
class MigrationFile:
    """One migration as committed: its name (file stem), path shown, and SQL text."""

    name: str
    path: str  # as shown in messages
    sql: str
    foreign_keys_off: bool


def slug(text: str) -> str:
    """A migration name: lower-case words joined by `_`, at most 48 characters.

    A long name is cut between words (`..._to_full_name`, not `..._full_name_an`);
    only a single word longer than the limit is cut inside itself.
    """
    name = ""
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        longer = f"{name}_{word}" if name else word
        if len(longer) > _MAX_NAME:
            name = name or word[:_MAX_NAME]
            break
        name = longer
    return name or "change"


def file_name(number: int, name: str) -> str:
    """`0007_add_users_email.sql`."""
    return f"{number:04d}_{slug(name)}.sql"


def header_flags(path: str, sql: str) -> set[str]:
    """The `-- storegen:` flags of a file's leading comment lines."""
    flags: set[str] = set()
    for number, line in enumerate(sql.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        match = _HEADER.fullmatch(stripped)
        if match:
            flag = match[1].strip()
            if flag not in _KNOWN_FLAGS:
                raise SchemaError(
                    f"unknown migration header '{stripped}'; storegen knows "
                    f"'{FOREIGN_KEYS_OFF}'",
                    Location(path, number, line.index("--") + 1),
                )
            flags.add(flag)
    return flags


def read_migrations(folder: Path, shown: str) -> list[MigrationFile]:
    """Every `NNNN_name.sql` of `folder` in order; [] when the folder does not exist.

    Raises SchemaError for a file named otherwise, a gap or a repeat in the
    numbering, or an unreadable file: a sequence with holes cannot be replayed
    the same way everywhere.
    """
    if not folder.is_dir():
        return []
    found: list[MigrationFile] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        display = f"{shown}/{path.name}"
        match = _NAME.fullmatch(path.name)
        if match is None:
            raise SchemaError(
                "migration files are named NNNN_name.sql (4 digits, lower-case name)",
                Location(display, 1, 1),
            )
        expected = len(found) + 1
        if int(match[1]) != expected:
            raise SchemaError(
                f"migration number {match[1]} out of sequence: expected {expected:04d}",
                Location(display, 1, 1),
            )
        try:
            sql = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SchemaError(f"cannot read migration: {error}", Location(display, 1, 1)) from None
        flags = header_flags(display, sql)
        found.append(MigrationFile(path.stem, display, sql, "foreign_keys=off" in flags))
    return found
