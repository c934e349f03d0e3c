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

At most `max_in_flight` calls (default 64) are in flight per database;
the rest queue, within their deadline. sqld 0.24.32 drops the whole
WebSocket, failing every call on it, when about 128 or more streams are open
at once (docs/libsql.md): 420 concurrent calls on one socket lost it in
40 bursts of 40, 210 in about 1 of 30, 105 in none of 80.

Single-statement writes (`execute`, `execute_returning`) outside a
transaction go through `libsql_batch`: one batch in flight at a time, the
writes that arrive meanwhile sent together next (group commit).

`async with db.transaction():` (ws only) runs every call of the current task
on one interactive transaction: `libsql_transactions`. What the driver's
errors mean: `libsql_errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from .database import NOT_NOW, NotNow
from .errors import Failure, TransactionUnsupported
from .libsql_batch import WriteBatcher
from .libsql_errors import classify_libsql_error, is_connection_error, libsql_client, retry_busy
from .libsql_transactions import _Transactions
from .turns import TransactionTurns
from .libsql_urls import _WS_SCHEMES, _env_token, normalize_url, split_script

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
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
DEFAULT_MAX_IN_FLIGHT = 64
"""Calls one database sends at once: sqld 0.24.32 drops a WebSocket at ~128 open streams."""
_CLOSE_TIMEOUT = 1.0
_SHARED: dict[tuple[str, str | None, float], LibsqlDatabase] = {}
_SHARED_LOCK = threading.Lock()
_log = logging.getLogger(__name__)


class LibsqlDatabase(_Transactions):
    """A libSQL server (sqld, Turso) reached over WebSocket or HTTP.

    The constructor is sync and does no I/O; the client opens on first use.
    `auth_token` falls back to `authToken=` in the URL, then to the
    environment variables LIBSQL_AUTH_TOKEN and TURSO_AUTH_TOKEN.
    `max_in_flight` caps the calls sent at once; the others wait their turn.
    """

    def __init__(
        self,
        url: str,
        *,
        auth_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be > 0 seconds")
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._url, url_token = normalize_url(url)
        self._auth_token = auth_token or url_token or _env_token()
        self._timeout = float(timeout)
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._max_in_flight = max_in_flight
        self._slots: asyncio.Semaphore | None = None  # bound to self._slots_loop
        self._slots_loop: asyncio.AbstractEventLoop | None = None
        self._answers = 0  # calls the server has answered: proof the link is alive
        self._writes = WriteBatcher(self.execute_batch, self._execute_alone, self._timeout)
        # The open interactive transaction (ws only) and the task that owns it.
        self._tx: Any = None
        self._tx_turns = TransactionTurns(threading.Lock())
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
    def sql_dialect(self) -> str:
        """The SQL dialect of this database's DDL and migrations: "sqlite"."""
        return "sqlite"

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

    def fetch_one_now(self, sql: str, params: Sequence[object]) -> Row | None | NotNow:
        """Always NOT_NOW: every read here is awaited (see `Database.fetch_one_now`)."""
        return NOT_NOW

    async def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        result = await self._call(lambda client: client.execute(sql, params))
        return _first(result)

    async def fetch_all(self, sql: str, params: Sequence[object]) -> list[Row]:
        result = await self._call(lambda client: client.execute(sql, params))
        return [row.astuple() for row in result.rows]

    async def execute(self, sql: str, params: Sequence[object]) -> int:
        """Run one write (committed with the writes queued beside it: `libsql_batch`);
        return the number of rows it changed."""
        if self._in_own_transaction():
            return (await self._execute_alone((sql, params)))[1]
        return (await self._writes.write(sql, params)).changed

    async def execute_returning(self, sql: str, params: Sequence[object]) -> Row | None:
        """Run `... RETURNING` (as `execute`); return the first row."""
        if self._in_own_transaction():
            rows = (await self._execute_alone((sql, params)))[0]
        else:
            rows = (await self._writes.write(sql, params)).rows
        return rows[0] if rows else None

    async def _execute_alone(
        self, statement: tuple[str, Sequence[object]]
    ) -> tuple[list[Row], int]:
        """One statement in its own request: its rows and the rows it changed."""
        sql, params = statement
        result = await self._call(lambda client: client.execute(sql, params))
        return [row.astuple() for row in result.rows], int(result.rows_affected)

    async def execute_then_fetch(
        self, sql: str, params: Sequence[object], read_sql: str, key_at: Sequence[int]
    ) -> Row | None:
        """The write, then a read by the returned key.

        Over WebSocket (or inside `transaction()`) in one transaction; over HTTP,
        which has no interactive transactions, as two requests.
        """
        if self._in_own_transaction() or self.transport == "http":
            written = await self.execute_returning(sql, params)
            return (
                None
                if written is None
                else await self.fetch_one(read_sql, [written[i] for i in key_at])
            )

        async def in_transaction(client: Any) -> Row | None:
            tx = client.transaction()
            try:
                written = _first(await tx.execute(sql, list(params)))
                found = None
                if written is not None:
                    found = _first(await tx.execute(read_sql, [written[i] for i in key_at]))
                await tx.commit()
                return found
            except Exception as exc:
                if not is_connection_error(exc):
                    with contextlib.suppress(Exception):
                        await tx.rollback()
                raise
            finally:
                tx.close()

        return await self._call(in_transaction)

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
                # One by one: pipelined, two such transactions deadlock on sqld
                # 0.24.32 until it ends one after 5 s (docs/libsql.md, "What it costs").
                for params in batch:
                    result = await tx.execute(sql, list(params))
                    count += int(result.rows_affected)
                await tx.commit()
                return count
            except Exception as exc:
                if not is_connection_error(exc):
                    with contextlib.suppress(Exception):
                        await tx.rollback()
                raise
            finally:
                tx.close()  # a stream closed mid-transaction rolls back on the server

        return await self._call(in_transaction)

    async def execute_batch(
        self, statements: Sequence[tuple[str, Sequence[object]]]
    ) -> list[tuple[list[Row], int]]:
        """Run several statements as one atomic batch (one request, BEGIN ... COMMIT).

        Returns each statement's rows and changed-row count. A failing
        statement rolls the whole batch back and raises its error.
        """
        if self._in_own_transaction():
            raise TransactionUnsupported("execute_batch cannot run inside transaction()")
        if not statements:
            return []
        results = await self._call(
            lambda client: client.batch([(sql, list(params)) for sql, params in statements])
        )
        return [
            ([row.astuple() for row in result.rows], int(result.rows_affected))
            for result in results
        ]

    async def execute_script(self, script: str) -> None:
        """Run a multi-statement script (e.g. the schema DDL) as one atomic batch."""
        if self._in_own_transaction():
            raise TransactionUnsupported("execute_script cannot run inside transaction()")
        statements = split_script(script)
        if statements:
            await self._call(lambda client: client.batch([(s,) for s in statements]))

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

        The single funnel for all SQL, so reconnects, timeouts and the in-flight
        cap live in one place. The deadline counts the wait for a free slot.
        On a timeout the call is not cancelled but abandoned (libsql-client 0.3.1
        logs an InvalidStateError when a request it is still waiting on gets
        cancelled). The client is dropped only if nothing came back while the
        call waited: a silent server. A link that answered other calls is alive,
        and closing it would fail every call in flight on it, not just the slow one.
        """
        owner = self._tx_turns.owner
        if owner is not None and owner is asyncio.current_task():
            client = self._tx  # the owner's calls run in its transaction
            deadline = asyncio.get_running_loop().time() + self._timeout
            call = asyncio.ensure_future(op(client))
        else:  # after another task's transaction: our turn (turns.py) ends with our call
            turn = await self._tx_turns.wait_idle(hold=True) if owner is not None else None
            slots = self._loop_slots()
            deadline = asyncio.get_running_loop().time() + self._timeout
            acquired = False
            try:
                async with asyncio.timeout_at(deadline):  # nothing is sent while queued
                    await slots.acquire()
                acquired = True
                client = self._current_client()
            except BaseException:  # nothing sent: the slot and the held turn go back
                if acquired:
                    slots.release()
                if turn is not None:
                    turn()
                raise
            call = asyncio.ensure_future(retry_busy(op, client, deadline))
            # An abandoned call still holds its stream: the slot frees when it ends.
            call.add_done_callback(lambda _: slots.release())
            if turn is not None:
                call.add_done_callback(turn)
        answers = self._answers
        try:
            async with asyncio.timeout_at(deadline):
                result = await asyncio.shield(call)
        except TimeoutError:
            call.add_done_callback(_consume_outcome)
            if self._answers == answers:
                self._discard(client)
            raise
        except asyncio.CancelledError:
            call.cancel()  # the caller gave up: roll back, do not finish in the background
            raise
        except Exception as exc:
            if is_connection_error(exc):
                self._discard(client)
            else:
                self._answers += 1  # an SQL error is an answer too
            raise
        self._answers += 1
        return result

    def _loop_slots(self) -> asyncio.Semaphore:
        """The in-flight cap for the running loop (kept across reconnects)."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:
            self._slots, self._slots_loop = asyncio.Semaphore(self._max_in_flight), loop
        return self._slots

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


def _first(result: Any) -> Row | None:
    rows = result.rows
    return rows[0].astuple() if rows else None


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
