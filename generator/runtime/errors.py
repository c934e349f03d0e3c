"""Turn database exceptions into failures that are safe to show a client.

SQLite's messages name tables, columns and constraints but never bound values;
the messages built here go one step further and keep only identifiers, so a
`Failure.message` can be returned to a caller as is. The full exception goes
to the log (see `log_failure`), never to the client.
"""

from __future__ import annotations

import enum
import logging
import re
import sqlite3
from dataclasses import dataclass


class ErrorCode(enum.StrEnum):
    """What went wrong, coarse enough for a caller to act on."""

    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FOREIGN_KEY_VIOLATION = "FOREIGN_KEY_VIOLATION"
    CHECK_VIOLATION = "CHECK_VIOLATION"
    NOT_NULL_VIOLATION = "NOT_NULL_VIOLATION"
    CONSTRAINT_VIOLATION = "CONSTRAINT_VIOLATION"
    APPEND_ONLY = "APPEND_ONLY"
    INVALID_DATA = "INVALID_DATA"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNAVAILABLE = "UNAVAILABLE"
    SCHEMA_MISMATCH = "SCHEMA_MISMATCH"
    DB_ERROR = "DB_ERROR"


@dataclass(frozen=True, slots=True)
class Failure:
    """A classified error; `message` names tables/columns only, never values."""

    code: ErrorCode
    message: str


class DecodeError(Exception):
    """A stored value that a row decoder cannot convert.

    Raise it `from None`: the original exception's text usually quotes the
    offending value, and a chained cause would carry it into logged tracebacks.
    """

    def __init__(self, table: str, column: str, expected: str = "") -> None:
        self.table = table
        self.column = column
        self.expected = expected
        detail = f" as {expected}" if expected else ""
        super().__init__(f"a stored value in {table}.{column} cannot be read{detail}")


class EncodeError(ValueError):
    """A Python value that cannot be stored faithfully (NaN, which SQLite turns into NULL)."""

    def __init__(self, table: str, column: str, reason: str = "") -> None:
        self.table = table
        self.column = column
        # `reason` is client-safe text that names no value ("is a naive datetime: ...").
        super().__init__(f"a value for {table}.{column} {reason or 'cannot be stored'}")


class InvalidArgument(ValueError):
    """An argument no statement exists for (a str as an IN-list, an unknown order_by).

    Its message names the parameter and what it must be, never the value.
    """


class TransactionUnsupported(RuntimeError):
    """`db.transaction()` on a transport that cannot hold a transaction open.

    libSQL over HTTP sends each call as its own request; use ws:// or wss://.
    """


class TransactionLost(ConnectionError):
    """A statement of a transaction whose connection was closed or whose file was replaced.

    Raised instead of running it on another connection (autocommitted, outside
    the transaction); nothing of the transaction is committed. A ConnectionError,
    so it classifies as UNAVAILABLE: the caller may run the whole block again.
    """

    def __init__(self) -> None:
        super().__init__(
            "the transaction's connection was closed or its file replaced; "
            "nothing of it was committed"
        )


# Expected outcomes of a client's request are logged at INFO, so an app that never
# configured logging does not print them; the rest are our problem (ERROR).
_CLIENT_CODES = frozenset(
    {
        ErrorCode.NOT_FOUND,
        ErrorCode.ALREADY_EXISTS,
        ErrorCode.FOREIGN_KEY_VIOLATION,
        ErrorCode.CHECK_VIOLATION,
        ErrorCode.NOT_NULL_VIOLATION,
        ErrorCode.CONSTRAINT_VIOLATION,
        ErrorCode.APPEND_ONLY,
        ErrorCode.INVALID_ARGUMENT,
    }
)
_UNAVAILABLE_PREFIXES = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
)
# Only plain identifiers are echoed; anything else falls back to a generic text.
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_COLUMNS = rf"{_IDENT}\.{_IDENT}(?:, {_IDENT}\.{_IDENT})*"
_UNIQUE_RE = re.compile(rf"UNIQUE constraint failed: (?:({_COLUMNS})|index '({_IDENT})')")
_NOT_NULL_RE = re.compile(rf"NOT NULL constraint failed: ({_IDENT})\.({_IDENT})")
_CHECK_RE = re.compile(rf"CHECK constraint failed: \(?\s*({_IDENT})\b(?!\s*\()")
_APPEND_ONLY_RE = re.compile(rf"append-only(?::\s*({_IDENT}))?")
# The database lacks a table or column the code uses: it is behind the code.
_SCHEMA_BEHIND_RE = re.compile(r"\bno such (?:table|column)\b|\bhas no column named\b")
_SCHEMA_BEHIND_HINT = "database schema is behind: run migrate()"
_DATATYPE_RE = re.compile(rf"cannot store \w+ value in \w+ column ({_IDENT})\.({_IDENT})")
_UNNAMED_REFERENCE = " refers to a row that does not exist"
# A leading keyword in a raw CHECK expression is not a column name.
_NOT_COLUMNS = frozenset({"NOT", "CASE", "CAST", "EXISTS", "NULL", "TRUE", "FALSE"})


def _specific_constraint(code_name: str, message: str) -> str:
    """Infer the SQLITE_CONSTRAINT_* kind when a backend only says "CONSTRAINT".

    A trigger's RAISE message says what it stands for, so it is read the same way.
    """
    if code_name not in ("SQLITE_CONSTRAINT", "SQLITE_CONSTRAINT_TRIGGER"):
        return code_name
    for needle, kind in (
        ("append-only", "SQLITE_CONSTRAINT_TRIGGER"),
        ("UNIQUE constraint failed", "SQLITE_CONSTRAINT_UNIQUE"),
        ("NOT NULL constraint failed", "SQLITE_CONSTRAINT_NOTNULL"),
        ("CHECK constraint failed", "SQLITE_CONSTRAINT_CHECK"),
        ("FOREIGN KEY constraint failed", "SQLITE_CONSTRAINT_FOREIGNKEY"),
    ):
        if needle in message:
            return kind
    return code_name


def _already_exists(message: str, table: str) -> Failure:
    match = _UNIQUE_RE.search(message)
    if match is None:
        text = f"a matching row already exists in {table}"
    elif match.group(2):
        text = f"a matching row already exists in {table} ({match.group(2)})"
    else:
        pairs = [col.split(".") for col in match.group(1).split(", ")]
        owner = pairs[0][0]
        if len(pairs) == 1:
            text = f"{owner}.{pairs[0][1]} already exists"
        elif all(t == owner for t, _ in pairs):
            text = f"{owner}.({', '.join(c for _, c in pairs)}) already exists"
        else:
            text = f"{match.group(1)} already exists"
    return Failure(ErrorCode.ALREADY_EXISTS, text)


def _constraint_failure(kind: str, message: str, table: str, operation: str | None) -> Failure:
    if kind in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        return _already_exists(message, table)
    if kind == "SQLITE_CONSTRAINT_NOTNULL":
        match = _NOT_NULL_RE.search(message)
        text = (
            f"{match.group(1)}.{match.group(2)} is required"
            if match
            else f"a required value in {table} is missing"
        )
        return Failure(ErrorCode.NOT_NULL_VIOLATION, text)
    if kind == "SQLITE_CONSTRAINT_CHECK":
        match = _CHECK_RE.search(message)
        if match and match.group(1).upper() not in _NOT_COLUMNS:
            text = f"a value in {table} violates CHECK {match.group(1)}"
        else:
            text = f"a value in {table} violates a CHECK constraint"
        return Failure(ErrorCode.CHECK_VIOLATION, text)
    if kind == "SQLITE_CONSTRAINT_FOREIGNKEY":
        # SQLite names nothing here; the operation tells which side is at fault.
        if operation is not None and operation.startswith("delete"):
            text = f"a row in {table} is still referred to by another row"
        else:
            text = f"{table}{_UNNAMED_REFERENCE}"
        return Failure(ErrorCode.FOREIGN_KEY_VIOLATION, text)
    append_only = _APPEND_ONLY_RE.search(message)
    if append_only is not None:
        return Failure(ErrorCode.APPEND_ONLY, f"{append_only.group(1) or table} is append-only")
    datatype = _DATATYPE_RE.search(message)
    if datatype is not None:
        text = f"{datatype.group(1)}.{datatype.group(2)} has the wrong type"
        return Failure(ErrorCode.CONSTRAINT_VIOLATION, text)
    return Failure(ErrorCode.CONSTRAINT_VIOLATION, f"a change to {table} violates a constraint")


def name_foreign_key(failure: Failure, table: str, foreign_keys: tuple[str, ...]) -> Failure:
    """Name the foreign key an engine left unnamed, from the table's own list.

    SQLite (and libSQL) say only "FOREIGN KEY constraint failed". With one
    foreign key on the table it must be that one; with several, the message
    lists them all, since the engine does not tell which.
    """
    if failure.code is not ErrorCode.FOREIGN_KEY_VIOLATION or not foreign_keys:
        return failure
    if failure.message != f"{table}{_UNNAMED_REFERENCE}":
        return failure
    named = [f"{table}.{columns}" for columns in foreign_keys]
    subject = named[0] if len(named) == 1 else f"one of {', '.join(named)}"
    return Failure(failure.code, f"{subject}{_UNNAMED_REFERENCE}")


def classify_message(
    code_name: str, message: str, table: str, *, operation: str | None = None
) -> Failure:
    """Classify from an SQLite error name and message text.

    Shared by every backend: sqlite3 gives specific names
    (`SQLITE_CONSTRAINT_UNIQUE`), a libSQL server only `SQLITE_CONSTRAINT`
    plus the explanation text, from which the kind is inferred.
    """
    code_name = code_name.upper()
    if code_name.startswith("SQLITE_CONSTRAINT"):
        kind = _specific_constraint(code_name, message)
        return _constraint_failure(kind, message, table, operation)
    if code_name.startswith(_UNAVAILABLE_PREFIXES):
        return Failure(ErrorCode.UNAVAILABLE, "the database is unavailable, try again")
    if _SCHEMA_BEHIND_RE.search(message):
        return schema_mismatch(table)
    return Failure(ErrorCode.DB_ERROR, "database error")


def schema_mismatch(table: str) -> Failure:
    """The database misses a table or column the code uses; names the table only."""
    return Failure(ErrorCode.SCHEMA_MISMATCH, f"the database schema of {table} is out of date")


def classify_sqlite_error(
    exc: BaseException, table: str, *, operation: str | None = None
) -> Failure:
    """Classify an exception raised while working on `table`.

    `operation` (e.g. "delete") only sharpens the foreign-key message.
    """
    if isinstance(exc, DecodeError):
        return Failure(
            ErrorCode.INVALID_DATA,
            f"a stored value in {exc.table}.{exc.column} cannot be read",
        )
    if isinstance(exc, EncodeError):
        return Failure(ErrorCode.INVALID_DATA, str(exc))
    if isinstance(exc, InvalidArgument):
        return Failure(ErrorCode.INVALID_ARGUMENT, str(exc))
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", None)
        if not isinstance(name, str):
            integrity = isinstance(exc, sqlite3.IntegrityError)
            name = "SQLITE_CONSTRAINT" if integrity else "SQLITE_ERROR"
        return classify_message(name, str(exc), table, operation=operation)
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return Failure(ErrorCode.UNAVAILABLE, "the database is unavailable, try again")
    return Failure(ErrorCode.DB_ERROR, "database error")


def log_failure(
    logger: logging.Logger,
    failure: Failure,
    exc: BaseException,
    *,
    ray_id: str,
    table: str,
    operation: str,
) -> None:
    """Log a failure for operators: identifiers and error names, never values.

    Expected outcomes (ALREADY_EXISTS, a FK or CHECK violation ...) are INFO
    without traceback: Python's last-resort handler prints WARNING and above
    to stderr of any app that has not configured logging. Server-side
    trouble (UNAVAILABLE, DB_ERROR, a stored value that does not decode) is
    ERROR with traceback; SCHEMA_MISMATCH too, with "database schema is
    behind: run migrate()" as its text.
    """
    # A value the caller passed that cannot be stored (NaN) is theirs to fix, too.
    client_side = failure.code in _CLIENT_CODES or isinstance(exc, EncodeError)
    behind = failure.code is ErrorCode.SCHEMA_MISMATCH
    logger.log(
        logging.INFO if client_side else logging.ERROR,
        "storage %s on %s failed: code=%s error=%s.%s sqlite_errorname=%s " "ray_id=%s: %s",
        operation,
        table,
        failure.code.value,
        type(exc).__module__,
        type(exc).__qualname__,
        getattr(exc, "sqlite_errorname", None) or "-",
        ray_id,
        _SCHEMA_BEHIND_HINT if behind else failure.message,
        exc_info=None if client_side else exc,
        extra={"ray_id": ray_id},
    )
