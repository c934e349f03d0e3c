"""What libsql-client's failures mean: a statement's error, a busy database, or a lost link.

A server reports constraint failures as plain `SQLITE_CONSTRAINT` (or
`PROXY_ERROR` when a replica forwarded the write) with SQLite's text in the
explanation; `classify_message` infers the specific kind from that text.
Connection failures (aiohttp errors, OSError, timeouts) become UNAVAILABLE.
The driver is imported here first, so a missing extra is named in one line.
"""

from __future__ import annotations

try:  # the driver is an extra: say which one, in one line, instead of a bare ModuleNotFoundError
    import aiohttp
    import libsql_client  # type: ignore[import-untyped, unused-ignore]
    from libsql_client.hrana.client import (  # type: ignore[import-untyped, unused-ignore]
        HranaTransaction,
    )
except ImportError:
    raise ImportError(
        "the libsql stores need the libsql-client driver: pip install 'storegen[libsql]'"
    ) from None

from .errors import ErrorCode, Failure, classify_message, classify_sqlite_error

__all__ = [
    "HranaTransaction",
    "aiohttp",
    "classify_libsql_error",
    "is_busy",
    "is_connection_error",
    "libsql_client",
]

# libsql-client codes that mean the connection, not the statement, failed.
_CONNECTION_CODES = frozenset(
    {"HRANA_WEBSOCKET_ERROR", "HRANA_PROTO_ERROR", "CLIENT_CLOSED", "STREAM_CLOSED"}
)
# HTTP statuses of a proxy or load balancer in front of a server that is down.
# 404: sqld answers "Namespace `default` doesn't exist" for a moment while it starts.
_UNAVAILABLE_STATUSES = (
    "HTTP status 404",
    "HTTP status 502",
    "HTTP status 503",
    "HTTP status 504",
)
_CONSTRAINT_TEXTS = (
    "constraint failed",
    "append-only",
    "cannot store",
)
_UNAVAILABLE = Failure(ErrorCode.UNAVAILABLE, "the database is unavailable, try again")


def classify_libsql_error(
    exc: BaseException, table: str, *, operation: str | None = None
) -> Failure:
    """Classify what libsql-client or aiohttp raised while working on `table`.

    A server says only `SQLITE_CONSTRAINT` (or `PROXY_ERROR` for a write a
    replica forwarded) and puts SQLite's message in the explanation, from
    which `classify_message` infers the specific kind.
    """
    if is_connection_error(exc):
        return _UNAVAILABLE
    if isinstance(exc, libsql_client.LibsqlError):
        code = str(exc.code).upper()
        message = str(exc.explanation)
        if not code.startswith("SQLITE_") and any(t in message for t in _CONSTRAINT_TEXTS):
            code = "SQLITE_CONSTRAINT"
        return classify_message(code, message, table, operation=operation)
    return classify_sqlite_error(exc, table, operation=operation)


def is_connection_error(exc: BaseException) -> bool:
    """Whether `exc` means the server is unreachable, gone or silent."""
    if isinstance(exc, (aiohttp.ClientError, OSError, TimeoutError)):
        return True
    if isinstance(exc, libsql_client.LibsqlError):
        code = str(exc.code).upper()
        if code in _CONNECTION_CODES:
            return True
        return code == "SERVER_ERROR" and any(s in str(exc) for s in _UNAVAILABLE_STATUSES)
    return False


def is_busy(exc: libsql_client.LibsqlError) -> bool:
    """Whether the server refused `exc`'s statement because the database was locked."""
    return any(name in f"{exc.code} {exc}".upper() for name in ("SQLITE_BUSY", "SQLITE_LOCKED"))
