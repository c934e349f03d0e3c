"""Read a live database's schema into a comparable description, and diff two of them.

`schema_drift` and the adoption step of `apply_migrations` compare what a
database holds with what the code expects. Both sides are read the same way
(from the engine's own catalog, never from our DDL text), so the comparison
sees what the engine made of the DDL: declared types, NOT NULL, defaults,
primary keys, indexes, unique constraints, foreign keys, triggers and views
(by their column names).

A description maps an object key (`table users`, `column users.email`,
`index idx_users_email`, ...) to a readable value; differences are one line
per key.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from .libsql_urls import split_script

Description = dict[str, str]
Query = Callable[[str, Sequence[object]], Awaitable[Sequence[Sequence[Any]]]]

# Bookkeeping tables of SQLite, libSQL/sqld and storegen itself: never user schema.
_INTERNAL = re.compile(r"^(sqlite_|libsql_|_litestream|storegen_migrations$)")
_SPACE = re.compile(r"\s+")

_SQLITE_COLUMNS = (
    'SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
    "FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name) AS p "
    "WHERE m.type = 'table' ORDER BY m.name, p.cid"
)
_SQLITE_INDEXES = (
    'SELECT m.name, l.name, l."unique", l.origin, l.partial, i.name, s.sql '
    "FROM sqlite_master AS m JOIN pragma_index_list(m.name) AS l "
    "JOIN pragma_index_info(l.name) AS i "
    "LEFT JOIN sqlite_master AS s ON s.type = 'index' AND s.name = l.name "
    "WHERE m.type = 'table' ORDER BY m.name, l.name, i.seqno"
)
_SQLITE_FOREIGN_KEYS = (
    'SELECT m.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete '
    "FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f "
    "WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq"
)
_SQLITE_TRIGGERS = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
_SQLITE_VIEWS = (
    "SELECT m.name, p.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p "
    "WHERE m.type = 'view' ORDER BY m.name, p.cid"
)


def _internal(name: str) -> bool:
    return bool(_INTERNAL.match(name))


def _norm(text: object) -> str:
    return "" if text is None else _SPACE.sub(" ", str(text)).strip()


def _column(type_: object, notnull: object, default: object, pk: object, extra: str = "") -> str:
    parts = [_norm(type_).upper() or "(no type)", "NOT NULL" if notnull else "NULL"]
    if default is not None:
        parts.append(f"DEFAULT {_norm(default)}")
    if pk:
        parts.append(f"PRIMARY KEY #{pk}")
    if extra:
        parts.append(extra)
    return " ".join(parts)


async def describe_sqlite(query: Query) -> Description:
    """The schema of an SQLite or libSQL database (4 queries, any transport)."""
    found: Description = {}
    for table, name, type_, notnull, default, pk, hidden in await query(_SQLITE_COLUMNS, ()):
        if _internal(table):
            continue
        found[f"table {table}"] = "present"
        extra = "GENERATED" if hidden else ""
        found[f"column {table}.{name}"] = _column(type_, notnull, default, pk, extra)
    indexes: dict[str, tuple[str, str, list[str]]] = {}
    for table, name, unique, origin, partial, column, sql in await query(_SQLITE_INDEXES, ()):
        if _internal(table) or origin == "pk":
            continue
        if origin == "u":  # an inline UNIQUE: its auto name depends on declaration order
            key = f"unique {table}"
        else:
            key = f"index {name}"
            text = re.sub(r"(?i)\bIF\s+NOT\s+EXISTS\s+", "", _norm(sql))
            text = re.sub(r'(?i)^CREATE\s+(UNIQUE\s+)?INDEX\s+("[^"]+"|\S+)\s+', "", text)
            value = f"{'UNIQUE ' if unique else ''}{text}"
            indexes[key + name] = (key, value, [])
            continue
        entry = indexes.setdefault(f"{key}{name}", (key, "", []))
        entry[2].append(str(column))
    for key, value, columns in indexes.values():
        if columns:
            key = f"{key} ({', '.join(columns)})"
            value = "present"
        found[key] = value
    keys: dict[tuple[str, int], list[Any]] = {}
    for table, fk_id, parent, column, target, on_update, on_delete in await query(
        _SQLITE_FOREIGN_KEYS, ()
    ):
        if _internal(table):
            continue
        fk = keys.setdefault((table, fk_id), [parent, [], [], on_update, on_delete])
        fk[1].append(str(column))
        fk[2].append("" if target is None else str(target))
    for (table, _), (parent, columns, targets, on_update, on_delete) in keys.items():
        key = f"foreign key {table} ({', '.join(columns)})"
        found[key] = (
            f"REFERENCES {parent} ({', '.join(targets)}) "
            f"ON UPDATE {on_update} ON DELETE {on_delete}"
        )
    for name, table in await query(_SQLITE_TRIGGERS, ()):
        if not _internal(table):
            found[f"trigger {name}"] = f"on {table}"
    _views(found, await query(_SQLITE_VIEWS, ()))
    return found


def _views(found: Description, rows: Sequence[Sequence[Any]]) -> None:
    """`view NAME`: its column names, in order (a changed view shows as changed)."""
    columns: dict[str, list[str]] = {}
    for view, column in rows:
        columns.setdefault(str(view), []).append(str(column))
    for view, names in columns.items():
        if not _internal(view):
            found[f"view {view}"] = ", ".join(names)


def replay_sqlite(scripts: Sequence[str]) -> list[Description]:
    """Run each script in turn on an in-memory SQLite; the schema after each one.

    Raises sqlite3.Error when a script fails: the caller names the script.
    """
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:

        async def query(sql: str, params: Sequence[object]) -> list[Any]:
            return conn.execute(sql, params).fetchall()

        steps = []
        for script in scripts:
            for statement in split_script(script):
                conn.execute(statement)
            steps.append(_run_now(describe_sqlite(query)))
        return steps
    finally:
        conn.close()


def _run_now(coro: Awaitable[Description]) -> Description:
    """Drive a coroutine that never really awaits (its queries are synchronous)."""
    it = coro.__await__()
    try:
        next(it)
    except StopIteration as done:
        result: Description = done.value
        return result
    raise RuntimeError("the description query awaited")  # pragma: no cover


_PG_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text,
       COALESCE(array_position(k.conkey, a.attnum), 0)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
ORDER BY c.relname, a.attnum
"""
_PG_CONSTRAINTS = """
SELECT c.relname, k.contype::text, pg_get_constraintdef(k.oid)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND k.contype IN ('f', 'u', 'c')
"""
_PG_INDEXES = """
SELECT i.relname, pg_get_indexdef(x.indexrelid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
"""
_PG_TRIGGERS = """
SELECT t.tgname, c.relname
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND NOT t.tgisinternal
"""
_PG_VIEWS = """
SELECT c.relname, a.attname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = current_schema() AND c.relkind = 'v'
ORDER BY c.relname, a.attnum
"""


async def describe_postgres(query: Query) -> Description:
    """The schema of PostgreSQL's current schema (the first on the search_path)."""
    (schema,) = (await query("SELECT current_schema()", ()))[0]
    qualified = re.compile(rf'(?<![\w"])(?:{re.escape(schema)}|"{re.escape(schema)}")\.')

    def plain(text: object) -> str:  # names print schema-qualified outside the search_path
        return qualified.sub("", _norm(text))

    found: Description = {}
    for table, name, type_, notnull, default, identity, pk in await query(_PG_COLUMNS, ()):
        if _internal(table):
            continue
        found[f"table {table}"] = "present"
        extra = "IDENTITY" if identity else ""
        found[f"column {table}.{name}"] = _column(
            type_, notnull, None if default is None else plain(default), pk, extra
        )
    kinds = {"f": "foreign key", "u": "unique", "c": "check"}
    for table, kind, definition in await query(_PG_CONSTRAINTS, ()):
        if not _internal(table):
            found[f"{kinds[kind]} {table}: {plain(definition)}"] = "present"
    for name, definition in await query(_PG_INDEXES, ()):
        text = re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ", r"\1", plain(definition))
        if not _internal(name):
            found[f"index {name}"] = text
    for name, table in await query(_PG_TRIGGERS, ()):
        if not _internal(table):
            found[f"trigger {name}"] = f"on {table}"
    _views(found, await query(_PG_VIEWS, ()))
    return found


def differences(live: Description, expected: Description) -> list[str]:
    """One readable line per difference; empty when the two agree.

    The columns, indexes and keys of a table that is missing (or not
    expected) as a whole are not listed again.
    """
    gone = {k[6:] for k in expected if k.startswith("table ") and k not in live}
    extra = {k[6:] for k in live if k.startswith("table ") and k not in expected}

    def owner(key: str) -> str:
        if key.startswith("column "):
            return key[7:].split(".", 1)[0]
        match = re.match(r"^(?:foreign key|unique|check) ([^ :(]+)", key)
        return match.group(1) if match else ""

    lines = []
    for key in sorted(expected.keys() | live.keys()):
        if key not in live:
            if key.startswith("table ") or owner(key) not in gone:
                lines.append(f"{key}: missing")
        elif key not in expected:
            if key.startswith("table ") or owner(key) not in extra:
                lines.append(f"{key}: not expected")
        elif live[key] != expected[key]:
            lines.append(f"{key}: is {live[key]}, expected {expected[key]}")
    return lines
