"""A remote libSQL / Turso database, through libsql-client's async API.

One `LibsqlDatabase` per server URL is shared by its stores. The client is
created lazily on first use (and again on another event loop), every call
has a deadline (`timeout` seconds), and a call that fails because the server
is gone, refused or silent drops the client, so the next call reconnects.

Transports (libsql-client 0.3.1):

* `ws://`, `wss://`, `libsql://` (Hrana over WebSocket): one socket, one
  stream per call; `execute_many` runs in an interactive transaction.
* `http://`, `https://` (Hrana over HTTP): one request per call; no
  interactive transactions, so `execute_many` and `execute_script` are
  sent as one batch, which the server runs atomically (BEGIN ... COMMIT),
  and `transaction()` raises `TransactionUnsupported`.

`async with db.transaction():` (ws only) runs every call of the current task
on one interactive transaction (nested blocks are SAVEPOINTs); calls of other
tasks wait until it ends, so none of them runs inside it.

Errors: a server reports constraint failures as plain `SQLITE_CONSTRAINT`
(or `PROXY_ERROR` when a replica forwarded the write) with SQLite's text in
the explanation; `classify_message` infers the specific kind from that text.
Connection failures (aiohttp errors, OSError, timeouts) become UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

try:  # the driver is an extra: say which one, in one line, instead of a bare ModuleNotFoundError
    import aiohttp
    import libsql_client  # type: ignore[import-untyped, unused-ignore]
except ImportError:
    raise ImportError(
        "the libsql stores need the libsql-client driver: pip install 'storegen[libsql]'"
    ) from None

from .errors import (
    ErrorCode,
    Failure,
    TransactionUnsupported,
    classify_message,
    classify_sqlite_error,
)
from .libsql_urls import _WS_SCHEMES, _env_token, normalize_url, split_script

__all__ = [
    "DEFAULT_TIMEOUT",
    "LibsqlDatabase",
    "classify_libsql_error",
    "normalize_url",
    "split_script",
]

_T = TypeVar("_T")
Row = tuple[Any, ...]
DEFAULT_TIMEOUT = 10.0
"""Seconds one call (a query, a batch, a whole transaction) may take."""
_CLOSE_TIMEOUT = 1.0
# A locked database is retried after 2 ms, doubling up to 50 ms, until the deadline.
_BUSY_FIRST_PAUSE = 0.002
_BUSY_MAX_PAUSE = 0.05
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
_SHARED: dict[tuple[str, str | None, float], LibsqlDatabase] = {}
_SHARED_LOCK = threading.Lock()
_log = logging.getLogger(__name__)


class LibsqlDatabase:
    """A libSQL server (sqld, Turso) reached over WebSocket or HTTP.

    The constructor is sync and does no I/O; the client opens on first use.
    `auth_token` falls back to `authToken=` in the URL, then to the
    environment variables LIBSQL_AUTH_TOKEN and TURSO_AUTH_TOKEN.
    """

    def __init__(
        self, url: str, *, auth_token: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be > 0 seconds")
        self._url, url_token = normalize_url(url)
        self._auth_token = auth_token or url_token or _env_token()
        self._timeout = float(timeout)
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: set[asyncio.Task[None]] = set()
        # The open interactive transaction (ws only) and the task that owns it.
        self._tx: Any = None
        self._tx_owner: asyncio.Task[Any] | None = None
        self._tx_idle = asyncio.Event()
        self._tx_depth = 0

    @classmethod
    def shared(
        cls, url: str, *, auth_token: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> LibsqlDatabase:
        """The one instance for this URL, token and timeout (one socket for all stores)."""
        db = cls(url, auth_token=auth_token, timeout=timeout)
        with _SHARED_LOCK:
            return _SHARED.setdefault((db._url, db._auth_token, db._timeout), db)

    @property
    def url(self) -> str:
        """The URL the client connects to (`ws://`, `wss://`, `http://` or `https://`)."""
        return self._url

    @property
    def transport(self) -> str:
        """The transport: "ws" (interactive transactions) or "http" (batches only)."""
        return "ws" if self._url.startswith(_WS_SCHEMES) else "http"

    @property
    def timeout(self) -> float:
        """Seconds one call may take before it fails as UNAVAILABLE."""
        return self._timeout

    def __repr__(self) -> str:
        return f"LibsqlDatabase({self._url!r})"

    def classify_error(self, exc: BaseException, table: str, operation: str) -> Failure:
        """Map what libsql-client or aiohttp raised to an ErrorCode and a safe message."""
        return classify_libsql_error(exc, table, operation=operation)

    async def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        result = await self._call(lambda client: client.execute(sql, params))
        return _first(result)

    async def fetch_all(self, sql: str, params: Sequence[object]) -> list[Row]:
        result = await self._call(lambda client: client.execute(sql, params))
        return [row.astuple() for row in result.rows]

    async def execute(self, sql: str, params: Sequence[object]) -> int:
        """Run one statement (autocommitted); return the number of rows it changed."""
        result = await self._call(lambda client: client.execute(sql, params))
        return int(result.rows_affected)

    async def execute_returning(self, sql: str, params: Sequence[object]) -> Row | None:
        """Run `... RETURNING` (autocommitted); return the first row."""
        result = await self._call(lambda client: client.execute(sql, params))
        return _first(result)

    async def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        """Run `sql` for every row, all or nothing.

        Over WebSocket in an interactive transaction; over HTTP as one batch.
        """
        batch = [tuple(params) for params in rows]
        if not batch:
            return 0
        if self._in_own_transaction():
            return await self._many_in_savepoint(sql, batch)
        if self.transport == "http":
            results = await self._call(
                lambda client: client.batch([(sql, list(params)) for params in batch])
            )
            return sum(int(result.rows_affected) for result in results)

        async def in_transaction(client: Any) -> int:
            tx = client.transaction()
            try:
                count = 0
                for params in batch:
                    result = await tx.execute(sql, list(params))
                    count += int(result.rows_affected)
                await tx.commit()
                return count
            except Exception as exc:
                if not _is_connection_error(exc):
                    with contextlib.suppress(Exception):
                        await tx.rollback()
                raise
            finally:
                tx.close()  # a stream closed mid-transaction rolls back on the server

        return await self._call(in_transaction)

    async def execute_script(self, script: str) -> None:
        """Run a multi-statement script (e.g. the schema DDL) as one atomic batch."""
        if self._in_own_transaction():
            raise TransactionUnsupported("execute_script cannot run inside transaction()")
        statements = split_script(script)
        if statements:
            await self._call(lambda client: client.batch([(s,) for s in statements]))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Make every call of the current task inside the block one atomic unit.

        Over ws: one interactive transaction (a nested block is a SAVEPOINT),
        committed at the end, rolled back when an exception leaves the block.
        Other tasks' calls wait until it ends. Over http: TransactionUnsupported.
        """
        if self.transport == "http":
            raise TransactionUnsupported(
                "libSQL over HTTP has no interactive transactions; connect with ws:// or wss://"
            )
        me = asyncio.current_task()
        if me is not None and self._tx_owner is me:
            self._tx_depth += 1
            name = f"storegen_sp{self._tx_depth}"
            try:
                await self._call(lambda tx: tx.execute(f"SAVEPOINT {name}"))
                try:
                    yield
                except BaseException:
                    with contextlib.suppress(Exception):
                        await self._call(lambda tx: tx.execute(f"ROLLBACK TO {name}"))
                        await self._call(lambda tx: tx.execute(f"RELEASE {name}"))
                    raise
                await self._call(lambda tx: tx.execute(f"RELEASE {name}"))
            finally:
                self._tx_depth -= 1
            return
        while self._tx_owner is not None:
            await self._tx_idle.wait()
        self._tx_owner, self._tx_idle, self._tx_depth = me, asyncio.Event(), 0
        try:
            client = self._current_client()
            self._tx = client.transaction()
            try:
                yield
            except BaseException:
                with contextlib.suppress(Exception):
                    await self._call(lambda tx: tx.rollback())
                raise
            await self._call(lambda tx: tx.commit())
        finally:
            tx, self._tx = self._tx, None
            self._tx_owner = None
            self._tx_idle.set()
            if tx is not None:
                with contextlib.suppress(Exception):
                    tx.close()  # a stream closed mid-transaction rolls back on the server

    def _in_own_transaction(self) -> bool:
        return self._tx_owner is not None and self._tx_owner is asyncio.current_task()

    async def _many_in_savepoint(self, sql: str, batch: list[tuple[object, ...]]) -> int:
        """`execute_many` inside the task's transaction: all or nothing, as a savepoint."""
        await self._call(lambda tx: tx.execute("SAVEPOINT storegen_many"))
        try:
            count = 0
            for params in batch:
                result = await self._call(lambda tx: tx.execute(sql, list(params)))
                count += int(result.rows_affected)
        except BaseException:
            with contextlib.suppress(Exception):
                await self._call(lambda tx: tx.execute("ROLLBACK TO storegen_many"))
                await self._call(lambda tx: tx.execute("RELEASE storegen_many"))
            raise
        await self._call(lambda tx: tx.execute("RELEASE storegen_many"))
        return count

    async def close(self) -> None:
        """Close the client; idempotent, and the next call reconnects."""
        client, self._client = self._client, None
        loop, self._loop = self._loop, None
        if client is not None and loop is asyncio.get_running_loop():
            await _close_quietly(client, self._timeout)
        pending = [t for t in self._closing if t.get_loop() is asyncio.get_running_loop()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def __aenter__(self) -> LibsqlDatabase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _call(self, op: Callable[[Any], Awaitable[_T]]) -> _T:
        """Run `op` on the client within the deadline; drop the client if the link failed.

        The single funnel for all SQL, so reconnects and timeouts live in one place.
        On a timeout the call is not cancelled but abandoned: dropping the client
        closes its link, which ends the call (libsql-client 0.3.1 logs an
        InvalidStateError when a request it is still waiting on gets cancelled).
        """
        owner = self._tx_owner
        if owner is not None and owner is asyncio.current_task():
            client = self._tx  # the owner's calls run in its transaction
            call = asyncio.ensure_future(op(client))
        else:
            while self._tx_owner is not None:  # another task's transaction: wait
                await self._tx_idle.wait()
            client = self._current_client()
            call = asyncio.ensure_future(_retry_busy(op, client))
        try:
            async with asyncio.timeout(self._timeout):
                return await asyncio.shield(call)
        except TimeoutError:
            call.add_done_callback(_consume_outcome)
            self._discard(client)
            raise
        except asyncio.CancelledError:
            call.cancel()  # the caller gave up: roll back, do not finish in the background
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                self._discard(client)
            raise

    def _current_client(self) -> Any:
        """The client for the running loop, created (sync, no I/O yet) when missing."""
        loop = asyncio.get_running_loop()
        if self._client is not None and self._loop is not loop:
            # Made on another (likely closed) loop: its sockets cannot be used here.
            self._client, self._loop = None, None
        if self._client is None:
            try:
                self._client = libsql_client.create_client(self._url, auth_token=self._auth_token)
            except libsql_client.LibsqlError as exc:  # normalize_url should prevent this
                raise ValueError(f"libsql-client rejects {self._url!r}: {exc}") from None
            self._loop = loop
        return self._client

    def _discard(self, client: Any) -> None:
        """Forget a broken client and close it in the background."""
        if self._client is client:
            self._client, self._loop = None, None
        task = asyncio.get_running_loop().create_task(_close_quietly(client, _CLOSE_TIMEOUT))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


def classify_libsql_error(
    exc: BaseException, table: str, *, operation: str | None = None
) -> Failure:
    """Classify what libsql-client or aiohttp raised while working on `table`.

    A server says only `SQLITE_CONSTRAINT` (or `PROXY_ERROR` for a write a
    replica forwarded) and puts SQLite's message in the explanation, from
    which `classify_message` infers the specific kind.
    """
    if _is_connection_error(exc):
        return _UNAVAILABLE
    if isinstance(exc, libsql_client.LibsqlError):
        code = str(exc.code).upper()
        message = str(exc.explanation)
        if not code.startswith("SQLITE_") and any(t in message for t in _CONSTRAINT_TEXTS):
            code = "SQLITE_CONSTRAINT"
        return classify_message(code, message, table, operation=operation)
    return classify_sqlite_error(exc, table, operation=operation)


def _first(result: Any) -> Row | None:
    rows = result.rows
    return rows[0].astuple() if rows else None


def _is_connection_error(exc: BaseException) -> bool:
    """Whether `exc` means the server is unreachable, gone or silent."""
    if isinstance(exc, (aiohttp.ClientError, OSError, TimeoutError)):
        return True
    if isinstance(exc, libsql_client.LibsqlError):
        code = str(exc.code).upper()
        if code in _CONNECTION_CODES:
            return True
        return code == "SERVER_ERROR" and any(s in str(exc) for s in _UNAVAILABLE_STATUSES)
    return False


async def _retry_busy(op: Callable[[Any], Awaitable[_T]], client: Any) -> _T:
    """Run `op`, again after a short pause while the server answers SQLITE_BUSY.

    sqld runs concurrent HTTP requests on separate connections, so a burst of
    writes can find the database locked. A busy statement or batch changed
    nothing (a batch is one transaction; `execute_many` rolls back), so running
    it again is safe; `_call`'s deadline bounds the retries.
    """
    pause = _BUSY_FIRST_PAUSE
    while True:
        try:
            return await op(client)
        except libsql_client.LibsqlError as exc:
            if not _is_busy(exc):
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, _BUSY_MAX_PAUSE)


def _is_busy(exc: libsql_client.LibsqlError) -> bool:
    """Whether the server refused `exc`'s statement because the database was locked."""
    return any(name in f"{exc.code} {exc}".upper() for name in ("SQLITE_BUSY", "SQLITE_LOCKED"))


def _consume_outcome(call: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned call's outcome, so asyncio does not log it as lost."""
    if not call.cancelled():
        call.exception()


async def _close_quietly(client: Any, timeout: float) -> None:
    """Close a client without letting a dead or hung server raise or block."""
    try:
        async with asyncio.timeout(timeout):
            await client.close()
    except Exception:
        _log.debug("closing the libSQL client failed", exc_info=True)
