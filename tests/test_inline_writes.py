"""Single writes on the loop thread: only when nobody waits, and never unsafely.

A write runs inline (no thread hop) when no transaction is open, nothing of
the loop is on the worker, no other callback is due and recent commits were
fast. These tests pin the other half: concurrent writes still go to the
worker and share a commit, a locked database falls back and waits, a failed
inline write leaves no transaction open, a slow commit pauses inline writes,
and a transaction's writes never commit on their own.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import generated._runtime.sqlite_conn as conn_module
import generated._runtime.sqlite_worker as worker_module
from engine_support import count_hops
from generated._runtime.sqlite import SqliteDatabase

SCHEMA = "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0));"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "inline.db")
    await database.execute_script(SCHEMA)
    yield database
    await database.close()


def rows_seen_by_another_connection(path: str) -> list[tuple[str, int]]:
    other = sqlite3.connect(path)
    try:
        return other.execute("SELECT k, v FROM kv ORDER BY k").fetchall()
    finally:
        other.close()


async def test_an_idle_write_runs_inline_and_is_committed_on_return(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops = count_hops(db, monkeypatch)
    assert await db.execute("INSERT INTO kv VALUES ('a', 1)", []) == 1
    assert await db.execute_returning("UPDATE kv SET v = 2 WHERE k = 'a' RETURNING v", []) == (2,)
    assert await db.fetch_one("INSERT INTO kv VALUES ('b', 3) RETURNING k", []) == ("b",)
    assert hops == []  # no thread hop at all
    # Committed before the call returned: a fresh connection sees both rows.
    assert rows_seen_by_another_connection(db.path) == [("a", 2), ("b", 3)]


async def test_concurrent_writes_go_to_the_worker_and_share_a_commit(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    real_group = worker_module._run_group

    def counting_group(raw: sqlite3.Connection, group: list[Any]) -> Any:
        groups.append(len(group))
        return real_group(raw, group)

    monkeypatch.setattr(worker_module, "_run_group", counting_group)
    hops = count_hops(db, monkeypatch)
    counts = await asyncio.gather(
        *(db.execute("INSERT INTO kv VALUES (?, ?)", [f"k{i:02d}", i]) for i in range(20))
    )
    assert counts == [1] * 20
    assert len(hops) == 20  # other writers were due: none ran inline
    assert getattr(db._local, "writer", None) is None
    assert groups and max(groups) >= 2  # queued writes shared one COMMIT
    assert len(rows_seen_by_another_connection(db.path)) == 20


async def test_a_locked_database_falls_back_to_the_worker_and_waits(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.execute("INSERT INTO kv VALUES ('warm', 0)", [])  # opens the inline writer
    locker = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")
    locker.execute("INSERT INTO kv VALUES ('theirs', 1)")
    release = threading.Timer(0.3, lambda: locker.execute("COMMIT"))
    hops = count_hops(db, monkeypatch)
    started = time.monotonic()
    release.start()
    try:
        assert await db.execute("INSERT INTO kv VALUES ('ours', 2)", []) == 1
    finally:
        release.join()
        locker.close()
    assert time.monotonic() - started >= 0.25  # it waited for the lock on the worker
    assert len(hops) == 1
    assert not db._local.writer.in_transaction
    assert rows_seen_by_another_connection(db.path) == [("ours", 2), ("theirs", 1), ("warm", 0)]


async def test_a_failed_inline_write_leaves_nothing_open(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.execute("INSERT INTO kv VALUES ('a', 1)", [])
    hops = count_hops(db, monkeypatch)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await db.execute("INSERT INTO kv VALUES ('a', 5)", [])
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await db.execute_returning("UPDATE kv SET v = -1 WHERE k = 'a' RETURNING v", [])
    assert hops == []  # errors are raised inline, not retried on the worker
    assert not db._local.writer.in_transaction
    assert await db.execute("INSERT INTO kv VALUES ('b', 2)", []) == 1
    assert rows_seen_by_another_connection(db.path) == [("a", 1), ("b", 2)]


class _Clock:
    """A `time` stand-in whose perf_counter makes each inline write last `duration`."""

    def __init__(self) -> None:
        self.now = 0.0
        self.duration = 0.0
        self.calls = 0

    def perf_counter(self) -> float:
        self.calls += 1
        if self.calls % 2 == 0:  # the second reading of a write: its end
            self.now += self.duration
        return self.now


async def test_slow_commits_pause_inline_writes_but_a_lone_spike_does_not(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock()
    monkeypatch.setattr(conn_module, "time", clock)
    hops = count_hops(db, monkeypatch)
    clock.duration = 0.0003  # a normal fsync
    for i in range(20):
        await db.execute("INSERT INTO kv VALUES (?, 1)", [f"a{i}"])
    clock.duration = 0.020  # one 20 ms spike: the average stays under 2 ms
    await db.execute("INSERT INTO kv VALUES ('spike', 1)", [])
    assert hops == [] and db._inline_pause == 0
    clock.duration = 0.005  # then a slow disk: 5 ms per commit
    written = 0
    while db._inline_pause == 0:
        await db.execute("INSERT INTO kv VALUES (?, 1)", [f"slow{written}"])
        written += 1
        assert written < 50
    assert hops == [] and 5 <= written <= 30  # noticed within a few commits
    for i in range(3):
        await db.execute("INSERT INTO kv VALUES (?, 1)", [f"b{i}"])
    assert len(hops) == 3  # the loop is no longer blocked by commits
    assert db._inline_pause == conn_module._INLINE_PAUSE_WRITES - 3


@pytest.mark.parametrize("synchronous", ["FULL", "OFF"])
async def test_checkpoints_run_on_the_worker_not_on_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synchronous: str
) -> None:
    # FULL: through the batcher (the next write waits for it on the worker);
    # OFF: straight onto the worker's queue, beside the next inline write.
    db = SqliteDatabase(tmp_path / "ckpt.db", synchronous=synchronous)
    await db.execute_script(SCHEMA)
    threads: list[int] = []
    real = conn_module._passive_checkpoint

    def counting(conn: sqlite3.Connection) -> None:
        threads.append(threading.get_ident())
        real(conn)

    monkeypatch.setattr(conn_module, "_passive_checkpoint", counting)
    monkeypatch.setattr(conn_module, "CHECKPOINT_EVERY", 10)
    await db.execute("INSERT INTO kv VALUES ('k0', 1)", [])  # opens the inline writer
    hops = count_hops(db, monkeypatch)
    for i in range(1, 25):
        await db.execute("INSERT INTO kv VALUES (?, 1)", [f"k{i}"])
    # The write after a checkpoint: on the worker behind it (FULL), or inline beside it.
    assert (len(hops) >= 1) if synchronous == "FULL" else (hops == [])
    await db.fetch_all("SELECT 1", [])  # a worker round trip: queued jobs are done
    assert len(threads) == 2
    assert threading.get_ident() not in threads
    assert db._local.writer.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert len(rows_seen_by_another_connection(db.path)) == 25
    await db.close()


async def test_writes_inside_a_transaction_never_commit_on_their_own(db: SqliteDatabase) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO kv VALUES ('inside', 1)", [])
            raise RuntimeError("roll back")
    assert rows_seen_by_another_connection(db.path) == []
    # Another task's write waits for the transaction, then runs.
    order: list[str] = []

    async def other() -> None:
        await db.execute("INSERT INTO kv VALUES ('other', 1)", [])
        order.append("other")

    async with db.transaction():
        task = asyncio.create_task(other())
        await asyncio.sleep(0.05)
        await db.execute("INSERT INTO kv VALUES ('mine', 1)", [])
        order.append("mine")
    await task
    assert order == ["mine", "other"]
    assert rows_seen_by_another_connection(db.path) == [("mine", 1), ("other", 1)]


async def test_inline_writes_can_be_turned_off_and_shared_options_must_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "off.db"
    db = SqliteDatabase.shared(path, inline_writes=False)
    try:
        await db.execute_script(SCHEMA)
        hops = count_hops(db, monkeypatch)
        await db.execute("INSERT INTO kv VALUES ('a', 1)", [])
        assert len(hops) == 1
        with pytest.raises(ValueError, match="inline_writes"):
            SqliteDatabase.shared(path)
        assert SqliteDatabase.shared(path, inline_writes=False) is db
    finally:
        await db.close()


async def test_a_long_statement_is_interrupted_and_run_again_on_the_worker(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk UPDATE must not hold the loop: past its budget it moves to the worker, once."""
    await db.execute_many("INSERT INTO kv VALUES (?, ?)", [(f"k{i}", i) for i in range(20_000)])
    monkeypatch.setattr(conn_module, "INLINE_STATEMENT_BUDGET_S", 0.0)  # every statement is long
    hops = count_hops(db, monkeypatch)
    assert await db.execute("UPDATE kv SET v = v + 1", []) == 20_000
    assert len(hops) == 1  # interrupted inline, then run on the worker
    assert not db._local.writer.in_transaction
    # Applied exactly once: the interrupted attempt was rolled back.
    assert await db.fetch_one("SELECT sum(v) FROM kv", []) == (sum(range(20_000)) + 20_000,)
    monkeypatch.setattr(conn_module, "INLINE_STATEMENT_BUDGET_S", 10.0)
    assert await db.execute("UPDATE kv SET v = v - 1", []) == 20_000
    assert len(hops) == 1  # within budget: inline again
    assert await db.fetch_one("SELECT sum(v) FROM kv", []) == (sum(range(20_000)),)
