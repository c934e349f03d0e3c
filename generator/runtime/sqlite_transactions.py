"""SqliteDatabase's `transaction()`: one task's calls as one atomic unit.

The task that opens a transaction owns the writer connection until it ends
(BEGIN IMMEDIATE ... COMMIT, a SAVEPOINT per nested block); other tasks'
calls wait in `SqliteDatabase._run` meanwhile, so no foreign statement runs
inside it. A call of another loop (thread) may pass that check just before
the BEGIN and reach the one worker after it: the transaction's calls carry TX in their
kind, and the worker answers any other call ForeignTransaction without
running it while the connection is inside a transaction (sqlite_worker.py);
`_run` then waits for the transaction's end and submits the call again.
Who owns the transaction, and the fair turns at the next one, is
`turns.TransactionTurns`.
A transaction is bound to the connection its BEGIN ran on: once that one
is closed (a `close()`, maybe by another loop) or its file replaced,
every later statement of the transaction raises `TransactionLost` instead of
running, autocommitted, on another connection, so nothing of it commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import aiosqlite

from .errors import TransactionLost
from .sqlite_common import TX as _TX
from .sqlite_common import begin as _begin
from .sqlite_common import end as _end
from .sqlite_common import rollback_to as _rollback_to
from .sqlite_common import run_sql as _run_sql
from .turns import TransactionTurns

if TYPE_CHECKING:
    from .sqlite_worker import _Batcher

_T = TypeVar("_T")


def closed_error(exc: BaseException) -> bool:
    """Whether `exc` says the worker's connection was closed (nothing of the call ran)."""
    return isinstance(exc, (ValueError, sqlite3.ProgrammingError)) and "closed" in str(exc)


class _Transactions:
    """SqliteDatabase's transactions; it owns the state declared here."""

    _tx_turns: TransactionTurns  # the owner, and fair turns at the next transaction
    _tx_depth: int
    _tx_conn: aiosqlite.Connection | None  # the connection the BEGIN ran on
    _conn: aiosqlite.Connection | None

    if TYPE_CHECKING:  # SqliteDatabase's funnel to the writer, and its parts

        async def _run(self, fn: Callable[[sqlite3.Connection], _T], kind: int = 0) -> _T: ...

        async def _connection(self) -> aiosqlite.Connection: ...

        async def _submit(
            self, conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], _T], kind: int
        ) -> _T: ...

        def _file_changed(self) -> bool: ...

        def _batcher(
            self, loop: asyncio.AbstractEventLoop, conn: aiosqlite.Connection
        ) -> _Batcher: ...

    def migration_transaction(
        self, *, foreign_keys_off: bool = False
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """`transaction()` for `apply_migrations`: BEGIN IMMEDIATE, not nested.

        With `foreign_keys_off`, FKs are off on the connection from before
        BEGIN until after COMMIT/ROLLBACK (SQLite's table-rebuild protocol);
        other tasks' calls wait meanwhile, so none of them runs without FKs.
        """
        return self._transaction(foreign_keys_off)

    def transaction(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Make every call of the current task inside the block one atomic unit.

        The outermost block is BEGIN IMMEDIATE ... COMMIT; a nested block is a
        SAVEPOINT. An exception leaving a block rolls that block back and
        propagates. Other tasks' calls wait until the outermost block ends;
        tasks spawned inside the block are other tasks too. A store method
        that returns a FailedResult inside the block does not roll back.
        A `close()` (of any task or loop) or a replace of the file during the
        block rolls all of it back: its later statements raise TransactionLost.
        """
        return self._transaction(False)

    @contextlib.asynccontextmanager
    async def _transaction(self, foreign_keys_off: bool) -> AsyncIterator[None]:
        me = asyncio.current_task()
        if me is not None and self._tx_turns.owner is me:
            if foreign_keys_off:
                raise sqlite3.OperationalError("foreign keys cannot be turned off in a transaction")
            self._tx_depth += 1
            name = f"storegen_sp{self._tx_depth}"
            try:
                await self._run(partial(_run_sql, f"SAVEPOINT {name}"))
                try:
                    yield
                except BaseException:
                    if self._tx_alive():  # else the whole transaction is gone already
                        await self._run(partial(_rollback_to, name))
                    raise
                await self._run(partial(_run_sql, f"RELEASE {name}"))
            finally:
                self._tx_depth -= 1
            return
        await self._tx_turns.claim()  # any loop's task may race for it
        self._tx_depth, self._tx_conn = 0, None
        try:
            try:
                await self._run(partial(_begin, foreign_keys_off))
            except BaseException:  # e.g. cancelled: the BEGIN may still run on the worker
                await self._roll_back(foreign_keys_off)  # else it stays open, owned by none
                raise
            try:
                yield
            except BaseException:
                await self._roll_back(foreign_keys_off)
                raise
            try:
                await self._run(partial(_end, True, foreign_keys_off))
            except TransactionLost:
                await self._roll_back(foreign_keys_off)  # the old file's connection, if open
                raise
        finally:
            # The ROLLBACK/COMMIT is queued before anything a waiter submits.
            self._tx_conn = None
            self._tx_turns.release()

    def _tx_alive(self) -> bool:
        """Whether our transaction's connection is still the open writer on its file."""
        conn = self._tx_conn
        return conn is not None and conn is self._conn and not self._file_changed()

    async def _in_transaction(self, fn: Callable[[sqlite3.Connection], _T], kind: int) -> _T:
        """Run a statement of the current task's transaction, on its connection only.

        The BEGIN binds the transaction to the writer it runs on. Later, when
        that writer was closed or its file replaced, the statement raises
        TransactionLost: on another connection it would run autocommitted.
        """
        conn = self._tx_conn
        if conn is None:  # the BEGIN
            conn = self._conn
            if conn is None or self._file_changed():
                conn = await self._connection()
            self._tx_conn = conn
        elif not self._tx_alive():
            raise TransactionLost()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        self._batcher(loop, conn).submit(fn, future, kind | _TX)  # as `_submit`, one frame less
        try:
            return await future
        except (ValueError, sqlite3.ProgrammingError) as exc:
            if closed_error(exc):  # closed by another loop while this was queued
                raise TransactionLost() from exc
            raise

    async def _roll_back(self, foreign_keys_off: bool) -> None:
        """ROLLBACK on the transaction's connection while it is open; once closed,
        nothing is left to roll back (closing it rolled the transaction back)."""
        conn = self._tx_conn
        if conn is None or not conn._running:
            return
        try:
            await self._submit(conn, partial(_end, False, foreign_keys_off), _TX)
        except (ValueError, sqlite3.ProgrammingError) as exc:
            if not closed_error(exc):
                raise

    def _refused(self, again: int) -> int:
        """After a call was answered ForeignTransaction: its `again` for the next run.

        With a transaction owned, the call waits for it (`_run`): unchanged.
        With none (it ended just now) it runs again at once; a transaction
        left open on the worker that no task owns would refuse it forever, so
        each such run counts, and the call fails when none is left.
        """
        if self._tx_turns.owner is not None:
            return again
        if again <= 1:
            raise sqlite3.OperationalError("a transaction no task owns is open on the connection")
        return again - 1
