"""The async SQLite engine under a close or a file replace: transactions stay all or nothing.

A transaction is bound to the connection its BEGIN ran on. A `close()` (of
this task, another task or another loop) or a replace of the file during it
makes its later statements raise TransactionLost instead of running,
autocommitted, on a new connection; nothing of it commits. Also: a close after
a replace removes the old file's -wal/-shm (the next opener would replay that
WAL into the restored file), a write of another loop waiting for a
transaction wakes when it ends, and a read is run again only when the file it
read was replaced (or its connection closed before it ran), not for any error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from conformance import factories as f
from conformance.support import expect_failure, expect_success, new_ray_id

from generated._runtime.errors import ErrorCode, TransactionLost, classify_sqlite_error
from generated._runtime.sqlite import SqliteDatabase
from generated._runtime.sqlite_common import READ
from generated.aiosqlite import OAuthClientStore
from generated.results import ErrorCode as StoreErrorCode
from generated.schema import create_schema

REPO = Path(__file__).resolve().parents[1]
SCHEMA = "CREATE TABLE t (v INTEGER NOT NULL)"


def rows(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [v for (v,) in conn.execute("SELECT v FROM t ORDER BY v")]
    finally:
        conn.close()


def replace_with(path: Path, *values: int) -> None:
    """Put a fresh database (table t holding `values`) at `path` by rename, as a restore does."""
    fresh = path.with_name("restore.db")
    conn = sqlite3.connect(fresh)
    conn.execute(SCHEMA)
    conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    conn.commit()
    conn.close()
    os.replace(fresh, path)


class OtherLoop:
    """An event loop on its own thread, as a second thread's app code runs one."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


async def transaction_with_a_close_inside(
    db: SqliteDatabase, close: Callable[[], Coroutine[Any, Any, None]]
) -> BaseException | None:
    try:
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)", ())
            await close()
            await db.execute("INSERT INTO t VALUES (2)", ())
            await db.execute("INSERT INTO t VALUES (3)", ())
    except Exception as exc:
        return exc
    return None


@pytest.mark.parametrize("inline_writes", [True, False])
async def test_a_close_of_the_same_loop_inside_a_transaction_commits_none_of_it(
    tmp_path: Path, inline_writes: bool
) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path, inline_writes=inline_writes)
    await db.execute(SCHEMA, ())
    await db.execute("INSERT INTO t VALUES (0)", ())
    raised = await transaction_with_a_close_inside(db, db.close)
    assert isinstance(raised, TransactionLost)
    assert rows(path) == [0]  # on main: [0, 2, 3], and the COMMIT failed
    await db.execute("INSERT INTO t VALUES (4)", ())  # the database works on
    assert rows(path) == [0, 4]
    await db.close()


async def test_a_close_of_another_loop_inside_a_transaction_commits_none_of_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path)
    await db.execute(SCHEMA, ())
    await db.execute("INSERT INTO t VALUES (0)", ())
    other = OtherLoop()
    try:

        async def close_there() -> None:
            await asyncio.to_thread(other.run, db.close())

        raised = await transaction_with_a_close_inside(db, close_there)
    finally:
        other.stop()
    assert isinstance(raised, TransactionLost)
    assert rows(path) == [0]
    await db.close()


@pytest.mark.usefixtures("file_watch")
async def test_a_file_replaced_inside_a_transaction_commits_none_of_it(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path)
    await db.execute(SCHEMA, ())

    async def replace() -> None:
        replace_with(path, 10)

    raised = await transaction_with_a_close_inside(db, replace)
    assert isinstance(raised, TransactionLost)
    # The engine reopens the new file (the old sidecars removed first) ...
    assert await db.fetch_all("SELECT v FROM t", ()) == [(10,)]
    await db.close()
    assert rows(path) == [10]  # ... which holds nothing of it (on main: 2 and 3 too)


async def test_a_lost_transaction_inside_a_nested_block_fails_the_whole_block(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path)
    await db.execute(SCHEMA, ())
    with pytest.raises(TransactionLost):
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)", ())
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (2)", ())
                await db.close()
                await db.execute("INSERT INTO t VALUES (3)", ())
    assert rows(path) == []
    await db.close()


async def test_a_store_call_of_a_lost_transaction_is_a_failed_result(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    db = SqliteDatabase(path)
    await create_schema(db)
    store = OAuthClientStore(db)
    kept, lost = f.make_client(), f.make_client()
    with pytest.raises(TransactionLost):
        async with db.transaction():
            expect_success(await store.insert(kept, "ray-1"), "ray-1")
            await db.close()
            expect_failure(await store.insert(lost, "ray-2"), StoreErrorCode.UNAVAILABLE, "ray-2")
            # A FailedResult does not end the block; its COMMIT raises, and nothing commits.
    ray_id = new_ray_id()
    assert expect_success(await store.count_all(ray_id), ray_id) == 0
    await db.close()


def test_a_lost_transaction_is_reported_as_unavailable() -> None:
    failure = classify_sqlite_error(TransactionLost(), "t", operation="insert")
    assert failure.code is ErrorCode.UNAVAILABLE
    assert "t" not in failure.message.split()  # a generic, client-safe text


@pytest.mark.usefixtures("file_watch")
@pytest.mark.parametrize("synchronous", ["OFF", "FULL"])
async def test_a_close_after_a_replace_removes_the_old_files_wal(
    tmp_path: Path, synchronous: str
) -> None:
    path = tmp_path / "app.db"
    db = SqliteDatabase(path, synchronous=synchronous)
    await db.execute(SCHEMA, ())
    await db.execute("INSERT INTO t VALUES (1)", ())
    replace_with(path, 2)  # the operator restores a backup
    await db.close()
    assert sorted(os.listdir(tmp_path)) == ["app.db"]  # on main: -shm and -wal left
    assert rows(path) == [2]  # on main: the old WAL replayed: [1]
    again = SqliteDatabase(path)
    assert await again.fetch_all("SELECT v FROM t", ()) == [(2,)]
    await again.close()


async def test_a_close_removes_nothing_of_the_new_files_own_sidecars(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    db = SqliteDatabase(path)
    await db.execute(SCHEMA, ())
    other = SqliteDatabase(path)  # a second instance on the same file
    await other.fetch_all("SELECT v FROM t", ())
    replace_with(path, 2)
    await other.execute("INSERT INTO t VALUES (3)", ())  # follows it first: new -wal/-shm
    new_sidecars = {n: os.stat(tmp_path / n).st_ino for n in ("app.db-wal", "app.db-shm")}
    await db.close()  # its old sidecars are gone already; the new ones are not its
    assert {n: os.stat(tmp_path / n).st_ino for n in new_sidecars} == new_sidecars
    assert rows(path) == [2, 3]
    await other.close()


@pytest.mark.usefixtures("file_watch")
def test_an_exit_without_close_after_a_replace_removes_the_old_files_wal(
    tmp_path: Path,
) -> None:
    path = tmp_path / "app.db"
    app = f"""
import asyncio, os, sqlite3
from generated._runtime.sqlite import SqliteDatabase
db = SqliteDatabase({str(path)!r})
async def main():
    await db.execute({SCHEMA!r}, ())
    await db.execute("INSERT INTO t VALUES (1)", ())
asyncio.run(main())
fresh = {str(tmp_path / "restore.db")!r}
c = sqlite3.connect(fresh); c.execute({SCHEMA!r}); c.execute("INSERT INTO t VALUES (2)")
c.commit(); c.close(); os.replace(fresh, {str(path)!r})
"""  # exits without close(): the exit hook closes the writer
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", app], cwd=REPO, env=env, check=True, timeout=60)
    assert sorted(os.listdir(tmp_path)) == ["app.db"]
    assert rows(path) == [2]


async def test_a_write_of_another_loop_waits_for_a_transaction_and_then_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path, inline_writes=False)
    await db.execute(SCHEMA, ())
    other = OtherLoop()
    try:
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)", ())
            waiting = asyncio.run_coroutine_threadsafe(
                db.execute("INSERT INTO t VALUES (2)", ()), other.loop
            )
            await asyncio.sleep(0.2)
            assert not waiting.done()  # it waits for the transaction
        # On main it was never woken (an asyncio.Event set from another thread).
        assert await asyncio.wait_for(asyncio.wrap_future(waiting), 5) == 1
        assert rows(path) == [1, 2]
        other.run(db.close())
    finally:
        other.stop()
    await db.close()


async def test_a_transaction_of_another_loop_waits_for_the_open_one(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path)
    await db.execute(SCHEMA, ())
    other = OtherLoop()

    async def second() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (2)", ())

    try:
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)", ())
            waiting = asyncio.run_coroutine_threadsafe(second(), other.loop)
            await asyncio.sleep(0.2)
            assert not waiting.done()
        await asyncio.wait_for(asyncio.wrap_future(waiting), 5)
        assert rows(path) == [1, 2]
        other.run(db.close())
    finally:
        other.stop()
    await db.close()


async def test_a_failing_read_is_not_run_again_after_a_plain_close(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path)
    await db.fetch_all("SELECT 1", ())
    other = OtherLoop()
    runs: list[int] = []
    closes: list[concurrent.futures.Future[None]] = []

    def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
        runs.append(1)
        if len(runs) == 1:  # meanwhile another loop closes the database (no replace)
            closes.append(asyncio.run_coroutine_threadsafe(db.close(), other.loop))
            time.sleep(0.1)
        return conn.execute("SELECT * FROM missing").fetchall()

    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await db._run(read, READ)
        # That close ends before its loop does: stopped first, the loop left the close
        # pending, and the writer's worker then answered a closed loop (a warning,
        # "Event loop is closed", in whichever test ran next).
        await asyncio.wait_for(asyncio.wrap_future(closes[0]), 5)
    finally:
        other.stop()
    assert runs == [1]  # on main: 2, the failure waited for twice
    await db.close()


@pytest.mark.usefixtures("file_watch")
async def test_a_read_that_failed_on_a_replaced_file_runs_again_on_the_new_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite"
    db = SqliteDatabase(path)
    await db.fetch_all("SELECT 1", ())  # the old file has no table t
    runs: list[int] = []

    def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
        runs.append(1)
        if len(runs) == 1:
            replace_with(path, 7)
        return conn.execute("SELECT v FROM t").fetchall()

    assert await db._run(read, READ) == [(7,)]
    assert runs == [1, 1]
    await db.close()
