"""The SQL of every store method of one table, in one backend's dialect and placeholders.

Built once, at generation time, from the table's view: which keys each method
looks up by, which columns compare case-insensitively, which defaults the
dialect must spell differently, and SQLite's RETURNING and affinity quirks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import sql
from .patch_sql import patch_parts
from .sql_terms import TableTerms
from ..render.views import TableView

_BLOB_LITERAL = re.compile(r"(?<![\w'])[xX]'[0-9a-fA-F]*'")


def _dialect_default(default_sql: str, dialect: str) -> str:
    """A DEFAULT for `COALESCE(?, default)`: PostgreSQL reads X'00ff' as bits, not bytes."""
    if dialect == "postgres" and _BLOB_LITERAL.search(default_sql):
        from .dialect import transpile_expression

        return transpile_expression(default_sql, dialect)
    return default_sql


def table_statements(table: TableView, style: str, dialect: str) -> dict[str, object]:
    columns = [f.column for f in table.fields]
    real = _returning_workaround(table, dialect)
    writable = [f.column for f in table.fields if f.writable]
    defaults = {
        f.column: _dialect_default(f.default_sql, dialect) for f in table.fields if f.default_sql
    }
    if dialect == "postgres":  # untranslatable ones are refused with the DDL (dialect.py)
        defaults = {c: table.postgres_defaults.get(c, sql) for c, sql in defaults.items()}
    # SQLite's NUMERIC affinity would turn decimal text into an inexact REAL:
    # a BLOB is stored as given (see convert.encode_decimal).
    blobs = {f.column for f in table.fields if f.exact_text} if dialect == "sqlite" else set()
    terms = TableTerms(table.name)
    statements: dict[str, object] = {}
    for method in table.methods:
        keys = [p.column for p in method.params]
        if method.kind == "insert":
            statements[method.sql] = sql.insert_sql(
                terms, writable, columns, defaults, style, real, blobs
            )
        elif method.kind == "insert_many":
            statements[method.sql] = sql.insert_many_sql(terms, writable, defaults, style, blobs)
        elif method.kind == "upsert":
            set_columns = [f.column for f in table.update_fields]
            statements[method.sql] = sql.upsert_sql(
                terms,
                writable,
                table.key_columns,
                set_columns,
                columns,
                defaults,
                style,
                real,
                blobs,
            )
        elif method.kind == "get":
            statements[method.sql] = sql.select_by_sql(
                terms, columns, keys, style, _nocase(table, keys, dialect), blobs
            )
        elif method.kind == "update":
            set_columns = [f.column for f in table.update_fields]
            statements[method.sql] = sql.update_sql(
                terms,
                set_columns,
                table.key_columns,
                columns,
                style,
                real,
                _nocase(table, table.key_columns, dialect),
                blobs,
            )
        elif method.kind == "patch":
            keys_nocase = _nocase(table, table.key_columns, dialect)
            statements[method.sql] = patch_parts(table, terms, style, real, keys_nocase, blobs)
        elif method.kind == "delete":
            statements[method.sql] = sql.delete_by_sql(
                terms, keys, style, _nocase(table, keys, dialect), blobs
            )
        elif method.kind == "count":
            statements[method.sql] = sql.count_by_sql(
                terms, keys, style, _nocase(table, keys, dialect), blobs
            )
        elif method.kind == "list":
            order = [p.column for p in method.cursor]
            nocase = _nocase(table, keys, dialect)
            # No rowid on PostgreSQL, nor in a view.
            rowless = table.rowless_order if dialect != "sqlite" or table.read_only else ()
            statements[method.sql] = sql.list_by_sql(
                terms,
                columns,
                keys,
                order,
                style,
                after=False,
                nocase=nocase,
                rowless_order=rowless,
                blobs=blobs,
            )
            if method.sql_after:
                statements[method.sql_after] = sql.list_by_sql(
                    terms, columns, keys, order, style, after=True, nocase=nocase, blobs=blobs
                )
    return statements


def _nocase(table: TableView, keys: Sequence[str], dialect: str) -> sql.Nocase:
    """Case-insensitive key columns, as the dialect must spell them.

    SQLite already compares a NOCASE column with NOCASE, so only a key whose
    list says COLLATE NOCASE over another column collation needs it written;
    PostgreSQL needs `lower()` for every one.
    """
    columns = table.nocase(tuple(keys))
    if dialect == "sqlite":
        return sql.Nocase(sorted(columns - table.nocase_columns))
    return sql.Nocase(sorted(columns), lower=True)


def _returning_workaround(table: TableView, dialect: str) -> frozenset[str]:
    """The REAL columns of a SQLite table whose first column is REAL, else nothing.

    SQLite 3.40 applies the first column's REAL affinity to every RETURNING
    column (see `sql._returning`); other dialects and other tables need nothing.
    """
    if dialect != "sqlite" or not table.fields or table.fields[0].affinity != "REAL":
        return frozenset()
    return frozenset(f.column for f in table.fields if f.affinity == "REAL")
