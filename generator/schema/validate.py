"""Run the schema's DDL in SQLite and reconcile the IR with what SQLite reports.

sqlglot accepts some SQL that SQLite rejects, and the generated code will run
against SQLite, so SQLite has the last word: every CREATE TABLE, INDEX, VIEW,
TRIGGER and VIRTUAL TABLE is executed in an in-memory database, in file
order, and its PRAGMAs settle the exact declared types, generated columns
and rowid aliases, and the columns of each view and FTS5 table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing

from ..records import replace
from ..errors import SchemaError
from .ir import Column, PrimaryKey, Schema, Table, View, VirtualTable
from .lex import SCHEMA_PHRASES, SourceFile, affinity_of, scan_source

# Everything `parse_schema` turns into IR, and so runs here.
_RUN = SCHEMA_PHRASES | {"CREATE VIEW", "CREATE TRIGGER", "CREATE VIRTUAL TABLE"}

# A child table whose name starts with one of these breaks SQLite's RESTRICT
# actions: it dequotes the name again when it looks the children up.
_QUOTES = frozenset("[`'\"")

# PRAGMA table_xinfo's `hidden`: 2 is a VIRTUAL generated column, 3 a STORED one.
_GENERATED = (2, 3)


def validate_schema(
    schema: Schema,
    sources: Sequence[tuple[str, str]],
    scanned: Sequence[SourceFile] | None = None,
    db: sqlite3.Connection | None = None,
) -> Schema:
    """Let SQLite judge the schema, since the generated code will run on it.

    Args:
        schema: What `parse_schema` read from ``sources``.
        sources: ``(display_path, sql_text)`` pairs, in execution order.
        scanned: The same files as `parse_schema` lexed them (``scanned=``), to
            save lexing them again; else they are lexed here, one at a time.
        db: An empty database to run the schema in, left open with the schema
            in it for the caller (the queries are compiled there); else one
            of its own, closed on return.

    Returns:
        ``schema`` with declared types, generated/hidden flags and rowid
        aliases as SQLite reports them.

    Raises:
        SchemaError: At the statement SQLite rejects, with SQLite's message;
            or for a foreign key whose parent table or column does not exist.
    """
    if db is None:
        with closing(sqlite3.connect(":memory:")) as own:
            return validate_schema(schema, sources, scanned, own)
    files = iter(scanned) if scanned is not None else (scan_source(*s) for s in sources)
    for source in files:
        for statement in source.statements:
            if statement.phrase not in _RUN:
                continue
            try:
                db.execute(statement.text)
            except sqlite3.Error as error:
                raise SchemaError(
                    f"SQLite rejects this statement: {error}", statement.location
                ) from None
    return replace(
        schema,
        tables=tuple(_reconcile(db, t) for t in schema.tables),
        views=tuple(_view_columns(db, v) for v in schema.views),
        virtual_tables=tuple(_check_virtual(db, v) for v in schema.virtual_tables),
    )


def _view_columns(db: sqlite3.Connection, view: View) -> View:
    """A view's columns as SQLite compiles them; a view over a missing table fails here.

    SQLite accepts such a view at CREATE and fails only when it is read.
    """
    try:
        db.execute(f"SELECT * FROM {_quote(view.name)} LIMIT 0")
    except sqlite3.Error as error:
        raise SchemaError(f"SQLite rejects view {view.name}: {error}", view.location) from None
    rows = db.execute("SELECT name, type FROM pragma_table_xinfo(?)", (view.name,)).fetchall()
    columns = tuple(
        Column(name, declared, affinity_of(declared), False, view.location)
        for name, declared in rows
    )
    return replace(view, columns=columns)


def _check_virtual(db: sqlite3.Connection, table: VirtualTable) -> VirtualTable:
    """The FTS5 columns as SQLite reports them (its hidden rank column left out)."""
    rows = db.execute("SELECT name, hidden FROM pragma_table_xinfo(?)", (table.name,))
    columns = tuple(name for name, hidden in rows.fetchall() if not hidden)
    if [c.lower() for c in columns] != [c.lower() for c in table.columns]:
        raise SchemaError(
            f"storegen read different columns for {table.name} than SQLite "
            f"({', '.join(columns)}); please report it",
            table.location,
        )
    if table.content:  # FTS5 reads it only at query time: check it now
        names = [table.content_rowid or "rowid", *columns]
        listed = ", ".join(_quote(n) for n in names)
        try:
            db.execute(f"SELECT {listed} FROM {_quote(table.content)} LIMIT 0")
        except sqlite3.Error as error:
            raise SchemaError(
                f"{table.name}: content='{table.content}' does not fit ({error}): the content "
                "table must have content_rowid and every indexed column",
                table.location,
            ) from None
    return replace(table, columns=columns)


def _quote(name: str) -> str:
    """Backquoted: a double-quoted name that matches no column would pass as a string."""
    return "`" + name.replace("`", "``") + "`"


def _reconcile(db: sqlite3.Connection, table: Table) -> Table:
    rows = db.execute("SELECT name, type, hidden FROM pragma_table_xinfo(?)", (table.name,))
    reported = rows.fetchall()
    if [name.lower() for name, _, _ in reported] != [c.name.lower() for c in table.columns]:
        raise SchemaError(
            f"storegen read different columns for table {table.name} than SQLite "
            f"({', '.join(name for name, _, _ in reported)}); please report it",
            table.location,
        )
    columns = tuple(
        _as_reported(column, declared, hidden)
        for column, (_, declared, hidden) in zip(table.columns, reported)
    )
    _check_foreign_keys(db, table)
    return replace(table, columns=columns, primary_key=_check_indexes(db, table))


def _as_reported(column: Column, declared: str, hidden: int) -> Column:
    return replace(
        column,
        declared_type=declared,
        affinity=affinity_of(declared),
        generated=hidden in _GENERATED,
        hidden=hidden != 0,
    )


def _check_foreign_keys(db: sqlite3.Connection, table: Table) -> None:
    """SQLite checks foreign keys only on writes; check their targets now."""
    query = 'SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?)'
    for parent, column, parent_column, on_update, on_delete in db.execute(
        query, (table.name,)
    ).fetchall():
        if table.name[:1] in _QUOTES and "RESTRICT" in (on_update, on_delete):
            raise SchemaError(
                f"table {table.name} cannot have a foreign key with ON UPDATE or ON DELETE "
                f"RESTRICT: its name starts with {table.name[0]}, and SQLite "
                f"({sqlite3.sqlite_version} here) reads it as a quoted name when it enforces "
                "RESTRICT ('no such table', or a crash of the process). Rename the table, "
                "or use NO ACTION",
                table.location,
            )
        rows = db.execute("SELECT name FROM pragma_table_xinfo(?)", (parent,))
        names = [name.lower() for name, in rows]
        if not names:
            raise SchemaError(
                f"foreign key {table.name}.{column} references table '{parent}', "
                "which no schema file defines",
                table.location,
            )
        if parent_column is not None and parent_column.lower() not in names:
            raise SchemaError(
                f"foreign key {table.name}.{column} references {parent}.{parent_column}, "
                f"but table {parent} has no column '{parent_column}'",
                table.location,
            )


def _check_indexes(db: sqlite3.Connection, table: Table) -> PrimaryKey | None:
    """Match the IR's indexes with SQLite's; return the primary key, rowid alias settled.

    A primary key that is not an alias for the rowid needs an index of its
    own (origin "pk"), so SQLite's index list settles what the declared type
    alone may not: ``"INTEGER"`` in quotes, for one, is still INTEGER.
    """
    rows = db.execute('SELECT name, "unique", origin FROM pragma_index_list(?)', (table.name,))
    listed = rows.fetchall()
    unique_by_name = {name.lower(): bool(unique) for name, unique, _ in listed}
    for index in table.indexes:
        if unique_by_name.get(index.name.lower()) != index.unique:
            raise SchemaError(
                f"storegen read index {index.name} differently from SQLite; please report it",
                table.location,
            )
    if table.primary_key is None:
        return None
    has_pk_index = any(origin == "pk" for _, _, origin in listed)
    return replace(table.primary_key, rowid_alias=not has_pk_index)
