"""Two event loops (threads) on one SqliteDatabase: no call runs inside the other's transaction.

A call of loop B can pass `_run`'s "no transaction open" check just before
loop A claims the writer for `transaction()`, and reach the single worker
after A's BEGIN. Before the fix it then ran INSIDE A's transaction: when A
rolled back, B's write, already acknowledged to B, was gone. Now the worker
refuses any call that is not part of the open transaction, and `_run` waits
for that transaction to end and submits the call again (none of it ran).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from generated._runtime.sqlite import SqliteDatabase

SCHEMA = "CREATE TABLE t (v INTEGER NOT NULL)"
MARKER = -1
SECONDS = 4.0  # time cap of one run; on main a lost write shows within ~0.1 s
ROLLBACKS = 400  # transactions loop A rolls back, at most
ACKED = 200  # writes of loop B acknowledged, at least (unless the time cap comes first)
WRITERS = 8  # concurrent tasks of loop B: its batcher nearly always has a job in flight


class _Rollback(Exception):
    """Raised inside loop A's transaction so it rolls back."""


class OtherLoop:
    """An event loop on its own thread, as a second thread's app code runs one."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def stored(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [v for (v,) in conn.execute("SELECT v FROM t ORDER BY v")]
    finally:
        conn.close()


async def writes_of_b(db: SqliteDatabase, stop: threading.Event, acked: list[int]) -> None:
    """WRITERS tasks inserting distinct values as fast as they can; `acked` gets each
    value whose insert returned (B was told it is stored)."""

    async def writer(start: int) -> None:
        value = start
        while not stop.is_set():
            assert await db.execute("INSERT INTO t VALUES (?)", (value,)) == 1
            acked.append(value)
            value += WRITERS

    await asyncio.gather(*(writer(k) for k in range(WRITERS)))


async def reads_of_b(db: SqliteDatabase, stop: threading.Event, seen: list[int]) -> None:
    """Reads on the worker (fetch_all never runs inline): none may see A's uncommitted row."""
    while not stop.is_set():
        found = await db.fetch_all("SELECT count(*) FROM t WHERE v = ?", (MARKER,))
        seen.append(found[0][0])


@pytest.mark.parametrize("inline_writes", [False, True])
async def test_a_call_of_another_loop_never_runs_inside_a_transaction(
    tmp_path: Path, inline_writes: bool
) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path, inline_writes=inline_writes)
    await db.execute(SCHEMA, ())
    other = OtherLoop()
    stop = threading.Event()
    acked: list[int] = []
    seen: list[int] = []
    try:
        b_writes = other.submit(writes_of_b(db, stop, acked))
        b_reads = other.submit(reads_of_b(db, stop, seen))
        deadline = time.monotonic() + SECONDS
        rollbacks = 0
        while (rollbacks < ROLLBACKS or len(acked) < ACKED) and time.monotonic() < deadline:
            with pytest.raises(_Rollback):
                async with db.transaction():
                    await db.execute("INSERT INTO t VALUES (?)", (MARKER,))
                    await asyncio.sleep(0)  # let B's loop run while the transaction is open
                    raise _Rollback
            rollbacks += 1
            await asyncio.sleep(0)
        stop.set()
        await asyncio.wait_for(asyncio.wrap_future(b_writes), 10)
        await asyncio.wait_for(asyncio.wrap_future(b_reads), 10)
        await asyncio.wait_for(asyncio.wrap_future(other.submit(db.close())), 10)
    finally:
        stop.set()
        other.stop()
    await db.close()
    values = stored(path)
    assert MARKER not in values  # every transaction of A rolled back
    lost = sorted(set(acked) - set(values))
    assert not lost, f"{len(lost)} of {len(acked)} acknowledged writes of B are gone"
    assert sorted(values) == sorted(acked)
    assert rollbacks >= 50 and len(acked) >= 50  # both sides really ran concurrently
    assert not any(seen)  # B never read A's uncommitted marker row


async def test_a_transaction_cancelled_while_its_begin_is_queued_leaves_none_open(
    tmp_path: Path,
) -> None:
    """The BEGIN still runs on the worker after its caller was cancelled; before,
    it stayed open, owned by no task: later writes ran inside it, acknowledged,
    and were lost when the connection closed. Now it is rolled back at once."""
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path, inline_writes=False)
    await db.execute(SCHEMA, ())
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
    busy = asyncio.create_task(db.fetch_all(slow + " SELECT count(*) FROM c", (1_000_000,)))
    await asyncio.sleep(0)  # on the worker now: the BEGIN below waits in the batcher

    async def tx() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (?)", (MARKER,))

    began = asyncio.create_task(tx())
    await asyncio.sleep(0)  # it owns the writer; its BEGIN is queued behind the slow read
    began.cancel()
    with pytest.raises(asyncio.CancelledError):
        await began
    assert await busy == [(1_000_000,)]
    assert await db.execute("INSERT INTO t VALUES (1)", ()) == 1
    await db.close()
    assert stored(path) == [1]


@pytest.mark.parametrize("opener", ["BEGIN", "BEGIN IMMEDIATE", "SAVEPOINT mine"])
async def test_a_statement_that_opens_a_transaction_is_refused_and_leaves_none_open(
    tmp_path: Path, opener: str
) -> None:
    """Before, a BEGIN run with `execute` stayed open, owned by no task: the next
    writes ran inside it, were acknowledged, and were lost when the connection
    closed. Now it is rolled back and refused; the next write commits."""
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path, inline_writes=False)
    await db.execute(SCHEMA, ())
    with pytest.raises(sqlite3.OperationalError, match="db.transaction()"):
        await db.execute(opener, ())
    assert await db.execute("INSERT INTO t VALUES (1)", ()) == 1
    async with db.transaction():  # and transaction() still works
        await db.execute("INSERT INTO t VALUES (2)", ())
    await db.close()
    assert stored(path) == [1, 2]
