"""Replay migrations into an in-memory SQLite, and read a schema back from it.

What the migrations produce is whatever SQLite holds after running them, so
that is what `storegen migrate` diffs against and `storegen check` verifies:
no model of ALTER TABLE of our own can drift from SQLite's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import SchemaError
from ..schema.ir import Location
from ..schema.lex import scan_source
from .files import MigrationFile
from .sqltext import Canon, TableText, canonical, split_table

__all__ = [
    "ColumnInfo",
    "DbObject",
    "Replay",
    "Snapshot",
    "clone_db",
    "replay",
    "run_ddl",
    "snapshot",
]

# The runtime's own bookkeeping table is not part of the user's schema.
_OWN_TABLES = ("storegen_migrations",)


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """One row of PRAGMA table_xinfo."""

    name: str
    type: str
    not_null: bool
    default: str | None
    pk: int
    hidden: int


@dataclass(frozen=True, slots=True)
class DbObject:
    """A table, index, trigger, view or virtual table as SQLite stores it."""

    kind: str
    name: str
    table: str
    sql: str

    @property
    def canon(self) -> Canon | tuple[object, ...]:
        return split_table(self.sql).canon if self.kind == "table" else canonical(self.sql)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every user table, index, trigger, view and virtual table of a database, by lower-case name.

    The tables a virtual table keeps its data in (FTS5's shadow tables) are
    left out: they come and go with it.
    """

    tables: dict[str, DbObject]
    indexes: dict[str, DbObject]
    triggers: dict[str, DbObject]
    columns: dict[str, tuple[ColumnInfo, ...]]
    texts: dict[str, TableText] = field(default_factory=dict)
    views: dict[str, DbObject] = field(default_factory=dict)
    virtual: dict[str, DbObject] = field(default_factory=dict)
    virtual_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def all_names(self) -> dict[str, str]:
        """Lower-case name -> name of every table, view and virtual table."""
        return {
            key: obj.name
            for kind in (self.tables, self.views, self.virtual)
            for key, obj in kind.items()
        }

    def text(self, table: str) -> TableText:
        """The table's definition, cut into parts (cached)."""
        key = table.lower()
        if key not in self.texts:
            self.texts[key] = split_table(self.tables[key].sql)
        return self.texts[key]

    def column_names(self, table: str) -> list[str]:
        return [c.name for c in self.columns[table.lower()]]


def snapshot(db: sqlite3.Connection) -> Snapshot:
    """Read the schema SQLite holds (autoindexes and sqlite_* tables excluded)."""
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
    ).fetchall()
    shadow = {
        name.lower()
        for name, in db.execute("SELECT name FROM pragma_table_list WHERE type = 'shadow'")
    }
    found: dict[str, dict[str, DbObject]] = {
        "table": {}, "index": {}, "trigger": {}, "view": {}, "virtual": {}
    }  # fmt: skip
    for kind, name, table, sql in rows:
        if kind == "table" and sql[:22].upper().startswith("CREATE VIRTUAL"):
            kind = "virtual"
        if kind in found and table.lower() not in _OWN_TABLES and name.lower() not in shadow:
            found[kind][name.lower()] = DbObject(kind, name, table, sql)
    columns = {
        key: tuple(
            ColumnInfo(name, type_, bool(notnull), default, pk, hidden)
            for _, name, type_, notnull, default, pk, hidden in db.execute(
                "SELECT * FROM pragma_table_xinfo(?)", (obj.name,)
            )
        )
        for key, obj in found["table"].items()
    }
    virtual_columns = {
        key: tuple(
            name
            for name, hidden in db.execute(
                "SELECT name, hidden FROM pragma_table_xinfo(?)", (obj.name,)
            )
            if not hidden
        )
        for key, obj in found["virtual"].items()
    }
    return Snapshot(
        found["table"],
        found["index"],
        found["trigger"],
        columns,
        views=found["view"],
        virtual=found["virtual"],
        virtual_columns=virtual_columns,
    )


@dataclass
class Replay:
    """An in-memory database holding what the migrations produce."""

    db: sqlite3.Connection
    created_at: dict[str, Location]  # lower table name -> the CREATE TABLE that made it

    def clone(self) -> sqlite3.Connection:
        """A copy to try statements on without touching the replay."""
        return clone_db(self.db)


def clone_db(db: sqlite3.Connection) -> sqlite3.Connection:
    """An in-memory copy of `db`, foreign keys on."""
    copy = _connect()
    db.backup(copy)
    return copy


def _connect() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    return db


def replay(migrations: Sequence[MigrationFile]) -> Replay:
    """Run every migration in order, each the way the runtime will run it.

    Raises SchemaError at the statement SQLite rejects.
    """
    result = Replay(_connect(), {})
    for migration in migrations:
        run_migration(result, migration.path, migration.sql, migration.foreign_keys_off)
    return result


def run_migration(target: Replay, path: str, sql: str, foreign_keys_off: bool) -> None:
    """One migration: one transaction, foreign keys off around it when asked."""
    db = target.db
    if foreign_keys_off:
        db.execute("PRAGMA foreign_keys = OFF")
    db.execute("BEGIN")
    try:
        for statement in scan_source(path, sql).statements:
            try:
                db.execute(statement.text)
            except sqlite3.Error as error:
                raise SchemaError(
                    f"SQLite rejects this migration statement: {error}", statement.location
                ) from None
            _track(target, statement.tokens, statement.location)
        problems = db.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise SchemaError(
                f"foreign_key_check fails after this migration: {problems[0]}",
                Location(path, 1, 1),
            )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def _track(target: Replay, tokens: Iterable[object], location: Location) -> None:
    """Remember where each table was created (renames carry it along)."""
    words = [getattr(t, "text", "") for t in tokens]
    upper = [w.upper() for w in words]
    if upper[:2] == ["CREATE", "TABLE"]:
        at = 5 if upper[2:5] == ["IF", "NOT", "EXISTS"] else 2
        target.created_at[_unquote(words[at])] = location
    elif upper[:2] == ["ALTER", "TABLE"] and upper[3:5] == ["RENAME", "TO"]:
        old = target.created_at.pop(_unquote(words[2]), location)
        target.created_at[_unquote(words[5])] = old


def _unquote(word: str) -> str:
    if word[:1] in ('"', "`", "["):
        word = word[1:-1]
    return word.lower()


def run_ddl(statements: Sequence[str]) -> sqlite3.Connection:
    """An in-memory database made by plain DDL (the current schema's)."""
    db = _connect()
    for statement in statements:
        db.execute(statement)
    return db
