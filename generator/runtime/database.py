"""The one interface every backend's database object offers the stores.

Stores only ever call these methods, so a store class runs on any object
that has them: `SqliteDatabase`, `LibsqlDatabase`, or what `connect()` returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Final, Literal, Protocol

from .errors import Failure

Row = Sequence[Any]


# What `fetch_one_now` returns when the read must be awaited instead. False,
# not a sentinel object of our own: every generated package has its own copy
# of this runtime, and a store of one package may run on another's database
# object; `found is NOT_NOW` must hold across them (a row is a tuple, never False).
NotNow = Literal[False]
NOT_NOW: Final[Literal[False]] = False


class Database(Protocol):
    """Execute SQL with parameters, one round trip (or thread hop) per call.

    Optional, outside the protocol (so an older or hand-written database
    object still fits): `fetch_one_now(sql, params) -> Row | None | NotNow`,
    `fetch_one` served at once without an await (SQLite's inline read), or
    NOT_NOW, and then the store awaits `fetch_one`. The stores look it up
    per call and await `fetch_one` when it is missing.
    """

    async def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        """The first row of a query, or None."""

    async def fetch_all(self, sql: str, params: Sequence[object]) -> Sequence[Row]:
        """Every row of a query."""

    async def execute(self, sql: str, params: Sequence[object]) -> int:
        """Run one write and commit it; the number of rows it changed."""

    async def execute_returning(self, sql: str, params: Sequence[object]) -> Row | None:
        """Run one write with RETURNING and commit it; the row it returned."""

    async def execute_then_fetch(
        self, sql: str, params: Sequence[object], read_sql: str, key_at: Sequence[int]
    ) -> Row | None:
        """Run a write with RETURNING, then `read_sql` with the returned row's
        values at `key_at`, in one transaction; the row read, or None.

        RETURNING is evaluated before AFTER triggers run: this reads what they stored.
        """

    async def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        """Run one statement per parameter row, all in one transaction."""

    async def execute_script(self, script: str) -> None:
        """Run a multi-statement DDL script."""

    async def close(self) -> None:
        """Release the connection; the object may be used again later."""

    @property
    def sql_dialect(self) -> str:
        """ "sqlite" (SQLite files, libSQL servers) or "postgres": which migrations apply."""

    def migration_transaction(
        self, *, foreign_keys_off: bool = False
    ) -> AbstractAsyncContextManager[None]:
        """The locked transaction `migrate()` runs each step in (see runtime/migrate.py)."""

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """`async with db.transaction():` makes the current task's calls one atomic unit.

        Contract every backend keeps: the outermost block commits on success and
        rolls back when an exception leaves it (the exception propagates); a
        nested block is a savepoint; reads inside see the block's own writes;
        another task's calls never run inside it (they wait until it ends, or
        run on their own connection). `execute_many` inside it is a savepoint.
        A call that fails inside the block fails alone; the block goes on
        (PostgreSQL needs a savepoint per statement for that: not done yet, see
        tests/conformance/test_transactions.py).
        A transport that cannot hold a transaction open (libSQL over HTTP)
        raises `TransactionUnsupported` on entering the block.
        """

    def classify_error(self, exc: BaseException, table: str, operation: str) -> Failure:
        """An ErrorCode and a client-safe message for what this driver raised."""


class SyncDatabase(Protocol):
    """The same interface without `await`: what the sync stores call.

    Offered by `SyncSqliteDatabase` (backend `sqlite3`). Same contract as
    `Database`, with threads in place of tasks: `with db.transaction():`
    makes the calling thread's calls one atomic unit, and other threads'
    calls never run inside it.
    """

    def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        """The first row of a query, or None."""

    def fetch_all(self, sql: str, params: Sequence[object]) -> Sequence[Row]:
        """Every row of a query."""

    def execute(self, sql: str, params: Sequence[object]) -> int:
        """Run one write and commit it; the number of rows it changed."""

    def execute_returning(self, sql: str, params: Sequence[object]) -> Row | None:
        """Run one write with RETURNING and commit it; the row it returned."""

    def execute_then_fetch(
        self, sql: str, params: Sequence[object], read_sql: str, key_at: Sequence[int]
    ) -> Row | None:
        """A write with RETURNING, then `read_sql` by the returned key, in one transaction."""

    def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        """Run one statement per parameter row, all in one transaction."""

    def execute_script(self, script: str) -> None:
        """Run a multi-statement DDL script."""

    def close(self) -> None:
        """Release the connections; the object may be used again later."""

    @property
    def sql_dialect(self) -> str:
        """ "sqlite" or "postgres": which migrations apply."""

    def migration_transaction(
        self, *, foreign_keys_off: bool = False
    ) -> AbstractContextManager[None]:
        """The locked transaction a sync `migrate()` runs each step in."""

    def transaction(self) -> AbstractContextManager[None]:
        """`with db.transaction():` makes the current thread's calls one atomic unit."""

    def classify_error(self, exc: BaseException, table: str, operation: str) -> Failure:
        """An ErrorCode and a client-safe message for what this driver raised."""
