"""The SQLite engine's fast paths, proven safe: inline reads, batched hops, transactions.

Speed is measured in bench/, never here; these tests pin correctness:
reads see every write committed before them (from this process and from
another one), an inline read that meets a lock falls back to the worker,
batched calls under 64 concurrent tasks each get their own result, and a
transaction holds off every other task's statement.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import generated._runtime.sqlite_conn as sqlite_conn
import generated._runtime.sqlite_worker as engine
from engine_support import count_hops
from generated._runtime.sqlite import SqliteDatabase

SCHEMA = "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "engine.db", synchronous="OFF")
    await database.execute_script(SCHEMA)
    yield database
    await database.close()


@pytest.mark.parametrize("inline_writes", [True, False])
async def test_point_reads_are_inline_and_see_every_earlier_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inline_writes: bool
) -> None:
    # No background checkpoint: a write meeting one on the worker would take a hop.
    monkeypatch.setattr(sqlite_conn, "CHECKPOINT_EVERY", 10**9)
    db = SqliteDatabase(tmp_path / "rw.db", synchronous="OFF", inline_writes=inline_writes)
    try:
        await db.execute_script(SCHEMA)
        await db.execute("INSERT INTO kv VALUES ('warm', 0)", [])
        await db.fetch_one("SELECT v FROM kv WHERE k = ?", ["warm"])  # opens the reader
        hops = count_hops(db, monkeypatch)
        for i in range(200):
            await db.execute("INSERT INTO kv VALUES (?, ?)", [f"k{i}", i])
            assert await db.fetch_one("SELECT v FROM kv WHERE k = ?", [f"k{i}"]) == (i,)
            await db.execute("UPDATE kv SET v = ? WHERE k = ?", [i + 1000, f"k{i}"])
            assert await db.fetch_one("SELECT v FROM kv WHERE k = ?", [f"k{i}"]) == (i + 1000,)
            await db.execute("DELETE FROM kv WHERE k = ?", [f"k{i}"])
            assert await db.fetch_one("SELECT v FROM kv WHERE k = ?", [f"k{i}"]) is None
        # Not one read took a hop; the writes did only when told not to run inline.
        assert len(hops) == (0 if inline_writes else 600)
    finally:
        await db.close()


@pytest.mark.usefixtures("file_watch")
async def test_reads_see_writes_committed_by_another_process(db: SqliteDatabase) -> None:
    await db.fetch_one("SELECT 1 FROM kv", [])  # the reader is open before the writer starts
    writer = textwrap.dedent("""
        import sqlite3, sys
        conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
        for line in sys.stdin:
            i = int(line)
            conn.execute("INSERT OR REPLACE INTO kv VALUES ('x', ?)", (i,))
            print(i, flush=True)  # after the commit (autocommit)
        """)
    proc = subprocess.Popen(
        [sys.executable, "-c", writer, db.path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for i in range(100):
            proc.stdin.write(f"{i}\n")
            proc.stdin.flush()
            assert int(await asyncio.to_thread(proc.stdout.readline)) == i
            assert await db.fetch_one("SELECT v FROM kv WHERE k = 'x'", []) == (i,)
    finally:
        proc.stdin.close()
        proc.wait(10)
    assert getattr(db._local, "reader", None) is not None  # served inline


def _replace_file(path: Path, value: int) -> None:
    """Swap a new database file in at `path` (a restore, a deploy): kv holds ('x', value)."""
    other = path.with_name("swap.db")
    fresh = sqlite3.connect(other)
    fresh.executescript(f"{SCHEMA} INSERT INTO kv VALUES ('x', {value});")
    fresh.close()
    os.replace(other, path)


@pytest.mark.usefixtures("file_watch")
async def test_a_replaced_file_is_read_once_the_recheck_interval_passed(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.execute("INSERT INTO kv VALUES ('x', 1)", [])
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'x'", []) == (1,)  # inline
    _replace_file(Path(db.path), 2)
    await asyncio.sleep(sqlite_conn.READ_RECHECK_S * 20)
    hops = count_hops(db, monkeypatch)
    # A read-only process notices too: the read stats the file, and the worker reopens it.
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'x'", []) == (2,)
    assert len(hops) == 1
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'x'", []) == (2,)
    assert len(hops) == 1  # inline again, on a reader of the new file


@pytest.mark.usefixtures("file_watch")
async def test_a_write_never_goes_to_a_replaced_file_even_before_reads_notice(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_conn, "READ_RECHECK_S", 3600.0)  # reads look once an hour
    await db.execute("INSERT INTO kv VALUES ('x', 1)", [])
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'x'", []) == (1,)
    _replace_file(Path(db.path), 2)
    # The documented window: until the interval passes or a write, reads see the old file.
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'x'", []) == (1,)
    await db.execute("INSERT INTO kv VALUES ('y', 3)", [])  # a write stats first: the new file
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'x'", []) == (2,)  # readers follow
    await db.close()
    check = sqlite3.connect(db.path)
    assert check.execute("SELECT k, v FROM kv ORDER BY k").fetchall() == [("x", 2), ("y", 3)]
    check.close()


class _BusyOnce:
    """A read cursor that answers SQLITE_BUSY once, as under an exclusive lock."""

    def __init__(self, real: sqlite3.Cursor) -> None:
        self.real = real
        self.busy = 1
        self.connection = real.connection

    def execute(self, sql: str, params: Any) -> sqlite3.Cursor:
        if self.busy:
            self.busy -= 1
            exc = sqlite3.OperationalError("database is locked")
            exc.sqlite_errorname = "SQLITE_BUSY"
            raise exc
        return self.real.execute(sql, params)

    def fetchone(self) -> Any:
        return self.real.fetchone()


async def test_inline_read_falls_back_to_the_worker_on_busy(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.execute("INSERT INTO kv VALUES ('a', 1)", [])
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'a'", []) == (1,)
    busy = _BusyOnce(db._local.cursor)
    db._local.cursor = busy
    hops = count_hops(db, monkeypatch)
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'a'", []) == (1,)
    assert len(hops) == 1 and busy.busy == 0  # the worker answered
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'a'", []) == (1,)
    assert len(hops) == 1  # BUSY keeps the reader: back inline


async def test_fallback_waits_for_a_real_exclusive_lock(tmp_path: Path) -> None:
    """A rollback-journal database: an EXCLUSIVE writer makes readers BUSY."""
    path = tmp_path / "exclusive.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    setup.execute("INSERT INTO kv VALUES ('a', 1)")
    setup.close()
    db = SqliteDatabase(path)
    try:
        assert await db.fetch_one("SELECT v FROM kv WHERE k = 'a'", []) == (1,)
        await db.execute("PRAGMA journal_mode=DELETE", [])  # leave WAL, so locks block readers
        await db.fetch_one("SELECT v FROM kv WHERE k = 'a'", [])
        locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("UPDATE kv SET v = 2 WHERE k = 'a'")
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, locker.execute, "COMMIT")
        # Inline: BUSY at once; the worker waits out the lock (busy_timeout) and reads.
        assert await db.fetch_one("SELECT v FROM kv WHERE k = 'a'", []) == (2,)
        locker.close()
    finally:
        await db.close()


async def test_64_concurrent_tasks_share_hops_and_get_their_own_results(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    real = engine._run_batch

    def recording(conn: Any, batch: list[Any], batcher: Any) -> None:  # one job = one hop
        sizes.append(len(batch))
        real(conn, batch, batcher)

    monkeypatch.setattr(engine, "_run_batch", recording)

    async def worker(n: int) -> None:
        for i in range(20):
            key = f"t{n}-{i}"
            assert await db.execute("INSERT INTO kv VALUES (?, ?)", [key, n * 100 + i]) == 1
            row = await db.execute_returning(
                "UPDATE kv SET v = v + 1 WHERE k = ? RETURNING k, v", [key]
            )
            assert row == (key, n * 100 + i + 1)
            assert await db.fetch_all("SELECT v FROM kv WHERE k = ?", [key]) == [(n * 100 + i + 1,)]
            assert await db.fetch_one("SELECT v FROM kv WHERE k = ?", [key]) == (n * 100 + i + 1,)
            if i % 5 == 0:
                with pytest.raises(sqlite3.IntegrityError):
                    await db.execute("INSERT INTO kv VALUES (?, 0)", [key])  # fails alone

    await asyncio.gather(*(worker(n) for n in range(64)))
    assert await db.fetch_one("SELECT count(*), sum(v) FROM kv", []) == (
        64 * 20,
        sum(n * 100 + i + 1 for n in range(64) for i in range(20)),
    )
    assert max(sizes) > 1  # calls shared a hop
    assert len(sizes) * 4 < sum(sizes)  # far fewer hops than calls


async def test_cancelled_callers_do_not_disturb_a_batch(db: SqliteDatabase) -> None:
    tasks = [
        asyncio.create_task(db.execute("INSERT INTO kv VALUES (?, ?)", [f"c{i}", i]))
        for i in range(32)
    ]
    await asyncio.sleep(0)
    for task in tasks[::2]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    row = await db.fetch_one("SELECT count(*) FROM kv", [])
    assert row is not None and 16 <= row[0] <= 32  # a queued write may still land
    assert await db.execute("INSERT INTO kv VALUES ('after', 1)", []) == 1


async def test_transaction_reads_go_through_the_writer(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.fetch_one("SELECT 1 FROM kv", [])
    async with db.transaction():
        await db.execute("INSERT INTO kv VALUES ('tx', 1)", [])
        assert await db.fetch_one("SELECT v FROM kv WHERE k = 'tx'", []) == (1,)

        async def outsider() -> object:  # another task: inline, committed state only
            return await db.fetch_one("SELECT v FROM kv WHERE k = 'tx'", [])

        assert await asyncio.wait_for(asyncio.create_task(outsider()), 2) is None
    assert await db.fetch_one("SELECT v FROM kv WHERE k = 'tx'", []) == (1,)


async def test_cancelled_transaction_rolls_back_and_releases(db: SqliteDatabase) -> None:
    started = asyncio.Event()

    async def stuck() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO kv VALUES ('gone', 1)", [])
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await started.wait()
    waiting = asyncio.create_task(db.execute("INSERT INTO kv VALUES ('next', 1)", []))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # held off while the transaction is open
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.wait_for(waiting, 5) == 1
    assert await db.fetch_all("SELECT k FROM kv ORDER BY k", []) == [("next",)]


async def test_script_inside_a_transaction_is_refused(db: SqliteDatabase) -> None:
    async with db.transaction():
        with pytest.raises(sqlite3.OperationalError, match="inside transaction"):
            await db.execute_script("CREATE TABLE other (x)")
    await db.execute_script("CREATE TABLE other (x)")


async def test_execute_many_is_a_savepoint_inside_a_transaction(db: SqliteDatabase) -> None:
    async with db.transaction():
        await db.execute("INSERT INTO kv VALUES ('keep', 1)", [])
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute_many("INSERT INTO kv VALUES (?, ?)", [("m1", 1), ("keep", 2)])
        assert await db.execute_many("INSERT INTO kv VALUES (?, ?)", [("m2", 1), ("m3", 2)]) == 2
    assert await db.fetch_all("SELECT k FROM kv ORDER BY k", []) == [("keep",), ("m2",), ("m3",)]


async def test_concurrent_writes_share_one_commit_and_fail_alone(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes in one job commit together; a failing one is rolled back to its savepoint."""
    groups: list[int] = []
    real = engine._run_group

    def recording(raw: sqlite3.Connection, group: list[Any]) -> list[Any]:
        groups.append(len(group))
        return real(raw, group)

    monkeypatch.setattr(engine, "_run_group", recording)
    await db.execute("INSERT INTO kv VALUES ('dup', 0)", [])
    keys = [f"g{i}" for i in range(40)]
    calls = [db.execute("INSERT INTO kv VALUES (?, ?)", [k, i]) for i, k in enumerate(keys)]
    calls.insert(20, db.execute("INSERT INTO kv VALUES ('dup', 1)", []))
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[20], sqlite3.IntegrityError)
    assert [r for i, r in enumerate(results) if i != 20] == [1] * 40
    assert groups and max(groups) > 1
    rows = await db.fetch_all("SELECT k, v FROM kv ORDER BY k", [])
    assert dict(rows) == {"dup": 0, **{k: i for i, k in enumerate(keys)}}
    # Another connection sees them: the group committed.
    other = sqlite3.connect(db.path)
    assert other.execute("SELECT count(*) FROM kv").fetchone() == (41,)
    other.close()


async def test_statements_built_per_call_are_served_but_not_remembered_without_end(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generated._runtime.sqlite_common as common

    await db.execute("INSERT INTO kv VALUES ('a', 1)", [])
    await db.fetch_one("SELECT v FROM kv WHERE k = 'a'", [])  # opens this thread's reader
    bound = max(len(common.SELECTS), len(common._KINDS)) + 2
    monkeypatch.setattr(common, "_REMEMBER", bound)
    hops = count_hops(db, monkeypatch)
    for i in range(20):  # a distinct text per call, as a user's formatted SQL would be
        sql = f"SELECT v + {i} FROM kv WHERE k = ?"
        assert await db.fetch_one(sql, ["a"]) == (1 + i,)
        assert common.kind(sql) == common.READ
    assert hops == []  # every one read inline all the same
    assert len(common.SELECTS) <= bound and len(common._KINDS) <= bound


async def test_an_inline_read_leaves_no_snapshot_behind_even_when_more_rows_matched(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.execute_many("INSERT INTO kv VALUES (?, ?)", [(f"k{i:02}", i % 3) for i in range(30)])
    await db.fetch_one("SELECT v FROM kv WHERE k = 'k00'", [])  # opens this thread's reader
    hops = count_hops(db, monkeypatch)
    for i in range(3):  # the thread's cursor is reused read after read
        assert await db.fetch_one("SELECT k FROM kv WHERE v = ? ORDER BY k", [1]) == ("k01",)
        await db.execute("INSERT INTO kv VALUES (?, 9)", [f"x{i}"])
        other = sqlite3.connect(db.path, isolation_level=None)
        busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        other.close()
        assert busy == 0  # no read snapshot lingers on the idle reader
    assert hops == []  # and every read was inline
