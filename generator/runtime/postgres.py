"""A PostgreSQL database, through an asyncpg connection pool.

One `PostgresDatabase` per DSN is shared by its stores. The pool is created
lazily on first use (and again on another event loop: a pool belongs to the
loop it was made on), every call has a deadline (`timeout` seconds), and a
connection that broke is dropped by the pool, so the next call reconnects.

Statements use `$1, $2, ...` placeholders (asyncpg's native style). Errors
are mapped to the same `ErrorCode`s and client-safe messages as SQLite's:
asyncpg's exception classes carry the table, column and constraint names
as separate fields, so no message text with values is ever echoed. The
append-only triggers raise with SQLite-compatible texts
(`append-only: <table>`, `UNIQUE constraint failed: <table>.<pk>`), read the
same way as on the other backends.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

try:  # the driver is an extra: say which one, in one line, instead of a bare ModuleNotFoundError
    import asyncpg  # type: ignore[import-untyped, unused-ignore]
except ImportError:
    raise ImportError(
        "the postgres stores need the asyncpg driver: pip install 'storegen[postgres]'"
    ) from None

from .postgres_codecs import SERVER_SETTINGS, init_connection
from .database import NOT_NOW, NotNow
from .errors import Failure
from .postgres_common import (
    DEFAULT_TIMEOUT,
    MIGRATION_LOCK_KEY,
    PgError,
    check_url,
    classify_postgres,
)

__all__ = ["DEFAULT_TIMEOUT", "PostgresDatabase", "classify_postgres_error"]

_T = TypeVar("_T")
Row = tuple[Any, ...]
_SHARED: dict[tuple[str, float], PostgresDatabase] = {}
_SHARED_LOCK = threading.Lock()


def classify_postgres_error(
    exc: BaseException, table: str, *, operation: str | None = None
) -> Failure:
    """An ErrorCode and a client-safe message for what asyncpg (or a decoder) raised."""
    errors: Any = asyncpg.exceptions
    error = None
    if isinstance(exc, errors.PostgresError):
        error = PgError(
            sqlstate=str(getattr(exc, "sqlstate", "") or ""),
            message=str(exc),
            table_name=getattr(exc, "table_name", None),
            column_name=getattr(exc, "column_name", None),
            constraint_name=getattr(exc, "constraint_name", None),
            detail=getattr(exc, "detail", None),
        )
    unavailable = isinstance(
        exc,
        (
            errors.ConnectionDoesNotExistError,
            errors.InterfaceError,
            ConnectionError,
            OSError,
            TimeoutError,
            asyncio.TimeoutError,
        ),
    ) and not isinstance(exc, errors.DataError)
    return classify_postgres(exc, error, table, operation, unavailable=unavailable)


def _status_count(status: str) -> int:
    """`"DELETE 3"` / `"INSERT 0 1"` / `"UPDATE 2"` → the number of rows."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresDatabase:
    """A PostgreSQL server reached through an asyncpg pool.

    The constructor is sync and does no I/O; the pool opens on first use.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        min_size: int = 0,
        max_size: int = 10,
    ) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be > 0 seconds")
        self._url = check_url(url)
        self._timeout = float(timeout)
        self._min_size = min_size
        self._max_size = max_size
        self._pool: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None
        # The connection of the current task's open transaction() block, if any.
        self._tx: contextvars.ContextVar[tuple[asyncio.Task[Any] | None, Any] | None] = (
            contextvars.ContextVar(f"storegen_pg_tx_{id(self)}", default=None)
        )

    @classmethod
    def shared(cls, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> PostgresDatabase:
        """The one instance for this URL and timeout (one pool for all stores)."""
        db = cls(url, timeout=timeout)
        with _SHARED_LOCK:
            return _SHARED.setdefault((db._url, db._timeout), db)

    @property
    def sql_dialect(self) -> str:
        """The SQL dialect of this database's DDL and migrations: "postgres"."""
        return "postgres"

    @property
    def url(self) -> str:
        """The DSN the pool connects to."""
        return self._url

    @property
    def timeout(self) -> float:
        """Seconds one call may take before it fails as UNAVAILABLE."""
        return self._timeout

    def __repr__(self) -> str:
        parts = urllib.parse.urlsplit(self._url)
        return f"PostgresDatabase({parts.hostname}:{parts.port}{parts.path})"

    def classify_error(self, exc: BaseException, table: str, operation: str) -> Failure:
        return classify_postgres_error(exc, table, operation=operation)

    def fetch_one_now(self, sql: str, params: Sequence[object]) -> Row | None | NotNow:
        """Always NOT_NOW: every read here is awaited (see `Database.fetch_one_now`)."""
        return NOT_NOW

    async def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        async def op(conn: Any) -> Row | None:
            record = await conn.fetchrow(sql, *params)
            return None if record is None else tuple(record)

        return await self._run(op)

    async def fetch_all(self, sql: str, params: Sequence[object]) -> list[Row]:
        async def op(conn: Any) -> list[Row]:
            return [tuple(r) for r in await conn.fetch(sql, *params)]

        return await self._run(op)

    async def execute(self, sql: str, params: Sequence[object]) -> int:
        async def op(conn: Any) -> int:
            return _status_count(await conn.execute(sql, *params))

        return await self._run(op)

    async def execute_returning(self, sql: str, params: Sequence[object]) -> Row | None:
        return await self.fetch_one(sql, params)

    async def execute_then_fetch(
        self, sql: str, params: Sequence[object], read_sql: str, key_at: Sequence[int]
    ) -> Row | None:
        """The write, then a read by the returned key, in one transaction."""

        async def op(conn: Any) -> Row | None:
            async with conn.transaction():
                written = await conn.fetchrow(sql, *params)
                if written is None:
                    return None
                found = await conn.fetchrow(read_sql, *(written[i] for i in key_at))
            return None if found is None else tuple(found)

        return await self._run(op)

    async def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        batch = [tuple(r) for r in rows]

        async def op(conn: Any) -> int:
            changed = 0
            async with conn.transaction():
                for params in batch:
                    changed += _status_count(await conn.execute(sql, *params))
            return changed

        return await self._run(op)

    async def execute_script(self, script: str) -> None:
        """Run a multi-statement script (simple protocol: one implicit transaction)."""

        async def op(conn: Any) -> None:
            await conn.execute(script)

        await self._run(op)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        """One pooled asyncpg connection, for queries of your own."""
        pool = await self._get_pool()
        async with pool.acquire() as conn:
            yield conn

    @asynccontextmanager
    async def migration_transaction(self, *, foreign_keys_off: bool = False) -> AsyncIterator[None]:
        """`transaction()` holding the migrations' advisory lock until it ends.

        Concurrent migrators queue on `pg_advisory_xact_lock`. PostgreSQL
        alters tables in place, so `foreign_keys_off` changes nothing here.
        """
        async with self.transaction():
            await self.execute("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY])
            yield

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Make every call of the current task inside the block one atomic unit.

        The outermost block holds one pooled connection in a transaction
        (COMMIT on success, ROLLBACK when an exception leaves it); a nested
        block is a savepoint. Other tasks run on their own connections.
        """
        current = self._tx.get()
        task = asyncio.current_task()
        if current is not None and current[0] is task:
            async with current[1].transaction():  # asyncpg nests as a SAVEPOINT
                yield
            return
        pool = await self._get_pool()
        async with pool.acquire() as conn:
            token = self._tx.set((task, conn))
            try:
                async with conn.transaction():
                    yield
            finally:
                self._tx.reset(token)

    async def close(self) -> None:
        pool, loop = self._pool, self._loop
        self._pool = self._loop = self._opening = None
        if pool is None:
            return
        if loop is asyncio.get_running_loop():
            try:
                await asyncio.wait_for(pool.close(), self._timeout)
            except (Exception, asyncio.TimeoutError):
                pool.terminate()
        else:
            pool.terminate()

    async def __aenter__(self) -> PostgresDatabase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(self, op: Callable[[Any], Awaitable[_T]]) -> _T:
        current = self._tx.get()
        if current is not None and current[0] is asyncio.current_task():
            # Inside transaction(): each call is a savepoint, so a failed call
            # (a FailedResult) leaves the block usable, as on SQLite.
            return await asyncio.wait_for(self._in_savepoint(current[1], op), self._timeout)

        async def call() -> _T:
            pool = await self._get_pool()
            async with pool.acquire() as conn:
                return await op(conn)

        return await asyncio.wait_for(call(), self._timeout)

    @staticmethod
    async def _in_savepoint(conn: Any, op: Callable[[Any], Awaitable[_T]]) -> _T:
        async with conn.transaction():
            return await op(conn)

    async def _get_pool(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._loop is not loop:
            if self._pool is not None:
                self._pool.terminate()  # made on another loop: unusable here
            self._pool, self._loop, self._opening = None, loop, asyncio.Lock()
        assert self._opening is not None
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._url,
                    min_size=self._min_size,
                    max_size=self._max_size,
                    timeout=self._timeout,
                    command_timeout=self._timeout,
                    init=init_connection,
                    server_settings=dict(SERVER_SETTINGS),
                )
        return self._pool
