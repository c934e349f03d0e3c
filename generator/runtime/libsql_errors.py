"""What libsql-client's failures mean: a statement's error, a busy database, or a lost link.

A busy answer is retried (`retry_busy`) until the call's deadline.

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

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .errors import ErrorCode, Failure, classify_message, classify_sqlite_error

__all__ = [
    "HranaTransaction",
    "aiohttp",
    "classify_libsql_error",
    "is_busy",
    "is_connection_error",
    "libsql_client",
    "retry_busy",
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


_T = TypeVar("_T")
# A locked database is retried after 2 ms, doubling up to 50 ms, until the deadline.
_BUSY_FIRST_PAUSE = 0.002
_BUSY_MAX_PAUSE = 0.05


async def retry_busy(op: Callable[[Any], Awaitable[_T]], client: Any, deadline: float) -> _T:
    """Run `op`, again after a short pause while the server answers SQLITE_BUSY.

    sqld runs concurrent HTTP requests on separate connections, so a burst of
    writes can find the database locked. A busy statement or batch changed
    nothing (a batch is one transaction; `execute_many` rolls back), so running
    it again is safe. No try starts after `deadline`: a call that `_call`
    has abandoned must not be applied later by a retry nobody waits for.
    """
    pause = _BUSY_FIRST_PAUSE
    while True:
        try:
            return await op(client)
        except libsql_client.LibsqlError as exc:
            if not is_busy(exc) or asyncio.get_running_loop().time() + pause >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, _BUSY_MAX_PAUSE)
