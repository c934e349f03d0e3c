"""LibsqlDatabase's interactive transactions (ws only): one task's calls as one unit.

The task that opens a transaction owns one stream until it ends; other
tasks' calls wait in `LibsqlDatabase._call` meanwhile, so no foreign
statement runs inside it. Over http there are none: `TransactionUnsupported`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import TransactionUnsupported
from .libsql_errors import HranaTransaction, libsql_client
from .turns import TransactionTurns

_T = TypeVar("_T")


class _Transactions:
    """LibsqlDatabase's transactions; it owns the state declared here."""

    _tx: Any
    _tx_turns: TransactionTurns  # the owner, and fair turns at the next transaction
    _tx_depth: int

    if TYPE_CHECKING:  # LibsqlDatabase's funnel and client

        @property
        def transport(self) -> str: ...

        async def _call(self, op: Callable[[Any], Awaitable[_T]]) -> _T: ...

        def _current_client(self) -> Any: ...

    def migration_transaction(
        self, *, foreign_keys_off: bool = False
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """`transaction()` for `apply_migrations`: BEGIN IMMEDIATE on its own stream.

        A stream is a connection on sqld, so with `foreign_keys_off` the
        pragma runs on that stream before BEGIN, and FKs go back on after
        COMMIT; nothing else ever runs on that stream.
        """
        return self._transaction(lambda client: _MigrationTransaction(client, foreign_keys_off))

    def transaction(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Make every call of the current task inside the block one atomic unit.

        Over ws: one interactive transaction (a nested block is a SAVEPOINT),
        committed at the end, rolled back when an exception leaves the block.
        Other tasks' calls wait until it ends. Over http: TransactionUnsupported.
        """
        return self._transaction(lambda client: client.transaction())

    @contextlib.asynccontextmanager
    async def _transaction(self, open_tx: Callable[[Any], Any]) -> AsyncIterator[None]:
        if self.transport == "http":
            raise TransactionUnsupported(
                "libSQL over HTTP has no interactive transactions; connect with ws:// or wss://"
            )
        me = asyncio.current_task()
        if me is not None and self._tx_turns.owner is me:
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
        await self._tx_turns.claim()
        self._tx_depth = 0
        try:
            client = self._current_client()
            self._tx = open_tx(client)
            try:
                yield
            except BaseException:
                with contextlib.suppress(Exception):
                    await self._call(lambda tx: tx.rollback())
                raise
            await self._call(lambda tx: tx.commit())
        finally:
            tx, self._tx = self._tx, None
            self._tx_turns.release()
            if tx is not None:
                with contextlib.suppress(Exception):
                    tx.close()  # a stream closed mid-transaction rolls back on the server

    def _in_own_transaction(self) -> bool:
        owner = self._tx_turns.owner
        return owner is not None and owner is asyncio.current_task()

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


class _MigrationTransaction(HranaTransaction):  # type: ignore[misc, unused-ignore]
    """libsql-client's interactive transaction, begun IMMEDIATE, FKs optionally off.

    Its stock transaction sends a deferred BEGIN: two migrators would both
    read the records and then deadlock on the first write. The stream is
    opened through the client's `_open_stream` (libsql-client==0.3.1 pinned).
    """

    def __init__(self, client: Any, foreign_keys_off: bool) -> None:
        stream = client._open_stream()
        self._foreign_keys_off = foreign_keys_off
        if foreign_keys_off:  # the stream's first statement: outside any transaction
            pragma = stream.execute({"sql": "PRAGMA foreign_keys=OFF", "want_rows": False})
            pragma.add_done_callback(_consume_outcome)
        self._stream = stream
        self._begin_fut = stream.execute({"sql": "BEGIN IMMEDIATE", "want_rows": False})

    async def commit(self) -> None:
        await self._end("COMMIT")

    async def rollback(self) -> None:
        await self._end("ROLLBACK")

    async def _end(self, sql: str) -> None:
        await self._begin_fut
        if self._stream.closed:
            if sql == "COMMIT":
                raise libsql_client.LibsqlError("The transaction is closed", "TRANSACTION_CLOSED")
            return
        done = self._stream.execute({"sql": sql, "want_rows": False})
        if self._foreign_keys_off:
            restore = self._stream.execute({"sql": "PRAGMA foreign_keys=ON", "want_rows": False})
            restore.add_done_callback(_consume_outcome)
        self._stream.close()
        await done


def _consume_outcome(call: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned call's outcome, so asyncio does not log it as lost."""
    if not call.cancelled():
        call.exception()
