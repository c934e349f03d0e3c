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
import re
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
from .errors import (
    DecodeError,
    EncodeError,
    ErrorCode,
    Failure,
    classify_message,
    schema_mismatch,
)

__all__ = ["DEFAULT_TIMEOUT", "PostgresDatabase", "classify_postgres_error"]

_T = TypeVar("_T")
Row = tuple[Any, ...]
DEFAULT_TIMEOUT = 10.0
"""Seconds one call (a query, a script, a whole `execute_many`) may take."""
SCHEMES = ("postgresql", "postgres")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_RE = re.compile(r"^Key \((.*?)\)=\(")
# `Key (cols)=(values) is not present in table "t".` / `... is still referenced from table "t".`
_FK_DETAIL = re.compile(r'^Key \(([^)]*)\)=.*?(?:table "([^"]*)"\.)?$', re.DOTALL)
_LOWER_RE = re.compile(r"^lower\((.*)\)$")  # a NOCASE key's index is on lower(column)
_UNAVAILABLE = Failure(ErrorCode.UNAVAILABLE, "the database is unavailable, try again")
_SHARED: dict[tuple[str, float], PostgresDatabase] = {}
_SHARED_LOCK = threading.Lock()
MIGRATION_LOCK_KEY = 0x73746F7265676E  # "storegn": the advisory lock `migrate()` takes


def _ident(name: object) -> str | None:
    """`name` if it is a plain identifier (safe to show), else None."""
    return name if isinstance(name, str) and _IDENT.match(name) else None


def _unique_failure(exc: Any, table: str) -> Failure:
    owner = _ident(getattr(exc, "table_name", None)) or table
    detail = getattr(exc, "detail", None) or ""
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


def _check_failure(exc: Any, table: str) -> Failure:
    owner = _ident(getattr(exc, "table_name", None)) or table
    constraint = _ident(getattr(exc, "constraint_name", None))
    if constraint is not None:
        # Postgres names column CHECKs `<table>_<column>_check`: show the column.
        column = constraint.removeprefix(f"{owner}_").removesuffix("_check")
        return Failure(ErrorCode.CHECK_VIOLATION, f"a value in {owner} violates CHECK {column}")
    return Failure(ErrorCode.CHECK_VIOLATION, f"a value in {owner} violates a CHECK constraint")


def _foreign_key_failure(exc: Any, table: str, operation: str | None) -> Failure:
    """PostgreSQL's detail names the key columns (`Key (author_id)=(...)`): keep only those."""
    match = _FK_DETAIL.match(getattr(exc, "detail", None) or "")
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


def classify_postgres_error(
    exc: BaseException, table: str, *, operation: str | None = None
) -> Failure:
    """An ErrorCode and a client-safe message for what asyncpg (or a decoder) raised."""
    if isinstance(exc, DecodeError):
        return Failure(
            ErrorCode.INVALID_DATA, f"a stored value in {exc.table}.{exc.column} cannot be read"
        )
    if isinstance(exc, EncodeError):
        return Failure(ErrorCode.INVALID_DATA, str(exc))
    errors: Any = asyncpg.exceptions
    if isinstance(exc, errors.UniqueViolationError):
        return _unique_failure(exc, table)
    if isinstance(exc, errors.NotNullViolationError):
        owner = _ident(getattr(exc, "table_name", None)) or table
        column = _ident(getattr(exc, "column_name", None))
        text = (
            f"{owner}.{column} is required" if column else f"a required value in {owner} is missing"
        )
        return Failure(ErrorCode.NOT_NULL_VIOLATION, text)
    if isinstance(exc, errors.CheckViolationError):
        return _check_failure(exc, table)
    if isinstance(exc, errors.ForeignKeyViolationError):
        return _foreign_key_failure(exc, table, operation)
    if isinstance(exc, (errors.UndefinedTableError, errors.UndefinedColumnError)):
        return schema_mismatch(table)
    if isinstance(exc, errors.RaiseError):
        # Our triggers' texts: "append-only: t", "UNIQUE constraint failed: t.pk".
        return classify_message("SQLITE_CONSTRAINT", str(exc), table, operation=operation)
    if isinstance(exc, errors.IntegrityConstraintViolationError):
        return Failure(ErrorCode.CONSTRAINT_VIOLATION, f"a change to {table} violates a constraint")
    if isinstance(
        exc,
        (
            errors.PostgresConnectionError,
            errors.CannotConnectNowError,
            errors.OperatorInterventionError,
            errors.InsufficientResourcesError,
            errors.ConnectionDoesNotExistError,
            errors.InterfaceError,
            errors.TooManyConnectionsError,
            ConnectionError,
            OSError,
            TimeoutError,
            asyncio.TimeoutError,
        ),
    ) and not isinstance(exc, errors.DataError):
        return _UNAVAILABLE
    return Failure(ErrorCode.DB_ERROR, "database error")


def check_url(url: str) -> str:
    """Check a `postgresql://` (or `postgres://`) URL; return it as asyncpg's DSN."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError(f"not a PostgreSQL URL (want postgresql:// or postgres://): {url!r}")
    try:
        parts.port
    except ValueError:
        raise ValueError(f"PostgreSQL URL with a bad port: {url!r}") from None
    return url


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
