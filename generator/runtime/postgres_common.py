"""What the async (asyncpg) and sync (psycopg) PostgreSQL engines share, driver-free.

Error classification by SQLSTATE: both drivers' exceptions carry the code and
the table, column and constraint names as separate fields (asyncpg on the
exception, psycopg on `exc.diag`), so one function maps them to the same
`ErrorCode`s and client-safe messages, and no message text with values is
ever echoed. Also the URL check and the migrations' advisory lock key.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from .errors import (
    DecodeError,
    EncodeError,
    ErrorCode,
    Failure,
    InvalidArgument,
    classify_message,
    schema_mismatch,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "MIGRATION_LOCK_KEY",
    "PgError",
    "UNAVAILABLE",
    "check_url",
    "classify_postgres",
]

DEFAULT_TIMEOUT = 10.0
"""Seconds one call (a query, a script, a whole `execute_many`) may take."""
SCHEMES = ("postgresql", "postgres")
MIGRATION_LOCK_KEY = 0x73746F7265676E  # "storegn": the advisory lock `migrate()` takes
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_RE = re.compile(r"^Key \((.*?)\)=\(")
# `Key (cols)=(values) is not present in table "t".` / `... is still referenced from table "t".`
_FK_DETAIL = re.compile(r'^Key \(([^)]*)\)=.*?(?:table "([^"]*)"\.)?$', re.DOTALL)
_LOWER_RE = re.compile(r"^lower\((.*)\)$")  # a NOCASE key's index is on lower(column)
UNAVAILABLE = Failure(ErrorCode.UNAVAILABLE, "the database is unavailable, try again")
# SQLSTATE classes of a server that cannot serve now: connection exceptions,
# operator intervention (shutdown, a cancelled statement), insufficient resources.
_UNAVAILABLE_CLASSES = ("08", "57", "53")


@dataclass(frozen=True, slots=True)
class PgError:
    """The fields of a server error both drivers report (None when absent)."""

    sqlstate: str
    message: str
    table_name: str | None = None
    column_name: str | None = None
    constraint_name: str | None = None
    detail: str | None = None


def classify_postgres(
    exc: BaseException,
    error: PgError | None,
    table: str,
    operation: str | None,
    *,
    unavailable: bool = False,
) -> Failure:
    """An ErrorCode and a client-safe message.

    `error` holds the server error's fields when the driver raised one;
    `unavailable` says the driver saw the connection fail (its own classes).
    """
    if isinstance(exc, DecodeError):
        return Failure(
            ErrorCode.INVALID_DATA, f"a stored value in {exc.table}.{exc.column} cannot be read"
        )
    if isinstance(exc, EncodeError):
        return Failure(ErrorCode.INVALID_DATA, str(exc))
    if isinstance(exc, InvalidArgument):
        return Failure(ErrorCode.INVALID_ARGUMENT, str(exc))
    if error is not None and error.sqlstate:
        failure = _by_sqlstate(error, table, operation)
        if failure is not None:
            return failure
    if unavailable:
        return UNAVAILABLE
    return Failure(ErrorCode.DB_ERROR, "database error")


def _by_sqlstate(exc: PgError, table: str, operation: str | None) -> Failure | None:
    code = exc.sqlstate
    if code == "23505":
        return _unique_failure(exc, table)
    if code == "23502":
        owner = _ident(exc.table_name) or table
        column = _ident(exc.column_name)
        text = (
            f"{owner}.{column} is required" if column else f"a required value in {owner} is missing"
        )
        return Failure(ErrorCode.NOT_NULL_VIOLATION, text)
    if code == "23514":
        return _check_failure(exc, table)
    if code == "23503":
        return _foreign_key_failure(exc, table, operation)
    if code in ("42P01", "42703"):  # undefined table, undefined column
        return schema_mismatch(table)
    if code == "P0001":  # RAISE in our triggers: "append-only: t", "UNIQUE constraint failed: t.pk"
        return classify_message("SQLITE_CONSTRAINT", exc.message, table, operation=operation)
    if code.startswith("23"):
        return Failure(ErrorCode.CONSTRAINT_VIOLATION, f"a change to {table} violates a constraint")
    if code.startswith(_UNAVAILABLE_CLASSES):
        return UNAVAILABLE
    return None


def _ident(name: object) -> str | None:
    """`name` if it is a plain identifier (safe to show), else None."""
    return name if isinstance(name, str) and _IDENT.match(name) else None


def _unique_failure(exc: PgError, table: str) -> Failure:
    owner = _ident(exc.table_name) or table
    detail = exc.detail or ""
    match = _KEY_RE.match(detail)
    columns = [c.strip() for c in match.group(1).split(",")] if match else []
    columns = [(m.group(1) if (m := _LOWER_RE.match(c)) else c) for c in columns]
    if columns and all(_ident(c) for c in columns):
        text = (
            f"{owner}.{columns[0]} already exists"
            if len(columns) == 1
            else f"{owner}.({', '.join(columns)}) already exists"
        )
    else:
        text = f"a matching row already exists in {owner}"
    return Failure(ErrorCode.ALREADY_EXISTS, text)


def _check_failure(exc: PgError, table: str) -> Failure:
    owner = _ident(exc.table_name) or table
    constraint = _ident(exc.constraint_name)
    if constraint is not None:
        # Postgres names column CHECKs `<table>_<column>_check`: show the column.
        column = constraint.removeprefix(f"{owner}_").removesuffix("_check")
        return Failure(ErrorCode.CHECK_VIOLATION, f"a value in {owner} violates CHECK {column}")
    return Failure(ErrorCode.CHECK_VIOLATION, f"a value in {owner} violates a CHECK constraint")


def _foreign_key_failure(exc: PgError, table: str, operation: str | None) -> Failure:
    """PostgreSQL's detail names the key columns (`Key (author_id)=(...)`): keep only those."""
    match = _FK_DETAIL.match(exc.detail or "")
    columns = [c.strip() for c in match.group(1).split(",")] if match else []
    named = bool(columns) and all(_ident(c) for c in columns)
    key = columns[0] if len(columns) == 1 else f"({', '.join(columns)})"
    if operation is not None and operation.startswith("delete"):
        child = _ident(match.group(2)) if match and match.group(2) else None
        by = f" in {child}" if child else ""
        return Failure(
            ErrorCode.FOREIGN_KEY_VIOLATION, f"a row in {table} is still referred to by a row{by}"
        )
    subject = f"{table}.{key}" if named else table
    return Failure(
        ErrorCode.FOREIGN_KEY_VIOLATION, f"{subject} refers to a row that does not exist"
    )


def check_url(url: str) -> str:
    """Check a `postgresql://` (or `postgres://`) URL; return it as the drivers' DSN."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError(f"not a PostgreSQL URL (want postgresql:// or postgres://): {url!r}")
    try:
        parts.port
    except ValueError:
        raise ValueError(f"PostgreSQL URL with a bad port: {url!r}") from None
    return url
