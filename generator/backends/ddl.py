"""The schema DDL a generated package embeds for `create_schema`.

The tables and indexes as the schema files write them, made idempotent, then
the triggers that make the database itself enforce append-only tables, then
the user's FTS5 tables, views and triggers (in an order SQLite accepts).
"""

from __future__ import annotations

import re

from ..render.views import TableView
from ..schema.ir import Schema, Table
from .sql import quote_identifier as _quote, sql_string as _sql_string

# CREATE TABLE / INDEX / VIEW / TRIGGER without IF NOT EXISTS, after any leading comments.
_CREATE_WITHOUT_IF = re.compile(
    r"^((?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*CREATE\s+(?:(?:TEMP|TEMPORARY)\s+)?"
    r"(?:UNIQUE\s+|VIRTUAL\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)\s+)(?!IF\s+NOT\s+EXISTS\b)",
    re.IGNORECASE | re.DOTALL,
)


# PostgreSQL has IF NOT EXISTS for tables and indexes only (views: OR REPLACE).
_POSTGRES_CREATE_WITHOUT_IF = re.compile(
    r"^((?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s+)"
    r"(?!IF\s+NOT\s+EXISTS\b)",
    re.IGNORECASE | re.DOTALL,
)


def if_not_exists(statement: str, dialect: str = "sqlite") -> str:
    """`statement` with IF NOT EXISTS, so `create_schema` can run at every start.

    Whatever the schema file says: without it, the second start of an app
    that calls `create_schema` fails with "table ... already exists".
    """
    pattern = _POSTGRES_CREATE_WITHOUT_IF if dialect == "postgres" else _CREATE_WITHOUT_IF
    return pattern.sub(r"\1IF NOT EXISTS ", statement, count=1)


def schema_ddl(schema: Schema, views: list[TableView]) -> tuple[str, ...]:
    """Tables and indexes as written (made idempotent), append-only triggers, then the rest."""
    statements: list[str] = []
    for table in schema.tables:
        statements.append(if_not_exists(table.sql))
        statements.extend(if_not_exists(index.sql) for index in table.indexes)
    for table, view in zip(schema.tables, views):
        if view.append_only:
            statements.extend(_append_only_triggers(table))
    statements.extend(if_not_exists(sql) for sql in schema.objects_sql())
    return tuple(statements)


def _append_only_triggers(table: Table) -> list[str]:
    """Triggers that make the database itself refuse to change an append-only table.

    UPDATE and DELETE abort. So does an INSERT whose key already exists, with
    SQLite's own duplicate-key message: an `INSERT OR REPLACE` would otherwise
    delete the old row without firing DELETE triggers.
    """
    target = _quote(table.name)
    abort = (
        f"SELECT RAISE(ABORT, '{('append-only: ' + table.name).replace(chr(39), chr(39) * 2)}');"
    )
    triggers = [
        f"CREATE TRIGGER IF NOT EXISTS {_quote(f'{table.name}_append_only_{op.lower()}')} "
        f"BEFORE {op} ON {target} BEGIN {abort} END"
        for op in ("UPDATE", "DELETE")
    ]
    if table.primary_key is not None:
        key = table.primary_key.columns
        same_key = " AND ".join(f"{_quote(c)} = NEW.{_quote(c)}" for c in key)
        duplicate = "UNIQUE constraint failed: " + ", ".join(f"{table.name}.{c}" for c in key)
        triggers.append(
            f"CREATE TRIGGER IF NOT EXISTS {_quote(f'{table.name}_append_only_replace')} "
            f"BEFORE INSERT ON {target} WHEN EXISTS (SELECT 1 FROM {target} WHERE {same_key}) "
            f"BEGIN SELECT RAISE(ABORT, {_sql_string(duplicate)}); END"
        )
    return triggers
