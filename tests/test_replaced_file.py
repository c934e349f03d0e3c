"""A database file replaced under a running process: both SQLite engines follow it safely.

SQLite takes the `-wal` and `-shm` it finds next to the file it opens. After
a replace, the old file's are still at the path, so a connection opened on
the new file read the old WAL into it, and truncated the old `-shm` under the
connections still reading the old file (SIGBUS: proven first on plain
sqlite3, then shown gone from the engines). Also: a read that fails because
the file was replaced under it runs again on the new file, and event loops
that notice a replacement at once open one writer between them. The stress
races are tests/reliability/test_sync_reader_races.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import generated._runtime.sqlite_conn as sqlite_conn
from generated._runtime.sqlite import SqliteDatabase
from generated._runtime.sqlite_sync import SyncSqliteDatabase

# Both ways of noticing a replaced file (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("file_watch")

REPO = Path(__file__).resolve().parents[1]
SCHEMA = "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"
SIGBUS = -7


def run_child(mode: str, directory: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONFAULTHANDLER": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tests._replaced_file_child", mode, str(directory)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_sqlite_truncates_the_old_shm_under_an_old_connection(tmp_path: Path) -> None:
    # The hazard the engines must avoid, on plain sqlite3: a connection opened
    # on the new file truncates the old -shm still at the path, and a
    # connection of the same process still reading the old file dies of SIGBUS.
    child = run_child("sqlite", tmp_path)
    assert child.returncode == SIGBUS, child.stderr[-2000:]


@pytest.mark.parametrize("engine", ["async", "sync"])
def test_no_engine_connection_opens_the_new_file_next_to_the_old_shm(
    engine: str, tmp_path: Path
) -> None:
    # The same moves, the engine's first read of the new file on a new thread (a
    # new reader): it unlinks the old -shm first, so the old mapping stays valid.
    child = run_child(engine, tmp_path)
    assert child.returncode == 0, child.stderr[-2000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report == {"found": [2], "fetched": 5000}


def _replace(path: Path, value: int, *, wal: bool = False) -> None:
    """Swap a new database in at `path`: kv holds ('x', value)."""
    fresh = path.with_name("swap.db")
    conn = sqlite3.connect(fresh)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(SCHEMA)
    conn.execute("INSERT INTO kv VALUES ('x', ?)", (value,))
    conn.commit()
    conn.close()
    os.replace(fresh, path)


def _on_new_thread(fn: object) -> object:
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(fn()))  # type: ignore[operator]
    thread.start()
    thread.join(30)
    return out[0]


def test_a_new_inline_reader_never_reads_the_old_wal_into_the_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reads stat the file at most once per interval; a thread opening its first
    # reader in between must still not open the new file next to the old -wal
    # (it read the old file's rows out of it) and -shm (it rebuilt it in place).
    monkeypatch.setattr(sqlite_conn, "READ_RECHECK_S", 3600.0)
    path = tmp_path / "app.db"
    db = SqliteDatabase(path, synchronous="OFF")
    sql = "SELECT v FROM kv WHERE k = 'x'"

    async def first() -> None:
        await db.execute_script(SCHEMA + ";")
        await db.execute("INSERT INTO kv VALUES ('x', 1)", ())  # in the WAL
        assert await db.fetch_one(sql, ()) == (1,)

    asyncio.run(first())
    old_shm = os.open(f"{path}-shm", os.O_RDONLY)
    try:
        _replace(path, 2)
        assert _on_new_thread(lambda: asyncio.run(db.fetch_one(sql, ()))) == (2,)
        assert os.fstat(old_shm).st_nlink == 0  # unlinked, not reused for the new file
    finally:
        os.close(old_shm)
        asyncio.run(db.close())


@pytest.mark.parametrize("method", ["fetch_one", "fetch_all"])
def test_a_sync_read_failing_because_the_file_was_replaced_runs_again_on_the_new_file(
    tmp_path: Path, method: str
) -> None:
    # This thread's reader is idle on the old file. The file is replaced (its
    # old -wal removed with it) and another connection opens the new one first:
    # it rebuilds the old -shm for the new file, so the old reader no longer
    # finds its table ("no such table"). The read runs once more, on the new file.
    path = tmp_path / "app.db"
    db = SyncSqliteDatabase(path)
    db.execute(SCHEMA, ())
    db.execute("INSERT INTO kv VALUES ('x', 1)", ())
    read = getattr(db, method)
    sql = "SELECT v FROM kv WHERE k = ?"
    assert read(sql, ("x",)) in ((1,), [(1,)])
    _replace(path, 2, wal=True)
    os.remove(f"{path}-wal")
    other = sqlite3.connect(path)
    assert other.execute("SELECT v FROM kv").fetchall() == [(2,)]
    other.close()
    assert read(sql, ("x",)) in ((2,), [(2,)])
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        read("SELECT v FROM missing WHERE k = ?", ("x",))  # other errors: not retried
    db.close()


def _fds_on(path: Path) -> int:
    """Open file descriptors of this process on `path` (its connections)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
        except OSError:
            pass
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts fds in /proc")
def test_loops_that_notice_a_replacement_at_once_open_one_writer(tmp_path: Path) -> None:
    # Two event loops (threads) share the database. The file is replaced and
    # its new copy locked by another connection, so the first loop to notice
    # waits inside the reopen; the second one notices meanwhile. It must wait
    # for that reopen, not open a writer of its own (which leaked, open).
    path = tmp_path / "app.db"
    db = SqliteDatabase(path, synchronous="OFF", inline_writes=False)
    asyncio.run(db.execute_script(SCHEMA + ";"))
    _replace(path, 2)
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the reopen waits (busy timeout) until it ends
    errors: list[BaseException] = []

    def write(key: str) -> None:
        try:
            asyncio.run(db.execute("INSERT INTO kv VALUES (?, 3)", (key,)))
        except BaseException as exc:  # noqa: B036 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(key,)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
        time.sleep(0.3)
    lock.execute("ROLLBACK")
    lock.close()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert _fds_on(path) == 1  # one writer, no inline connection (inline_writes=False)
    asyncio.run(db.close())
    check = sqlite3.connect(path)
    assert check.execute("SELECT k, v FROM kv ORDER BY k").fetchall() == [
        ("a", 3), ("b", 3), ("x", 2)
    ]  # fmt: skip
    check.close()


@pytest.mark.parametrize("engine", ["async", "sync"])
def test_a_file_replaced_then_closed_reopens_without_the_old_wal(
    engine: str, tmp_path: Path
) -> None:
    # A restore: the file is swapped in while the app runs, then the app calls
    # close() to pick it up. No write noticed the swap, so the old -wal (holding
    # the old rows) is still at the path: the reopen must not replay it into
    # the restored file.
    path = tmp_path / "app.db"
    sql = "SELECT v FROM kv WHERE k = 'x'"
    if engine == "sync":
        sync_db = SyncSqliteDatabase(path)
        sync_db.execute(SCHEMA, ())
        sync_db.execute("INSERT INTO kv VALUES ('x', 1)", ())
        _replace(path, 2)
        sync_db.close()
        assert sync_db.fetch_one(sql, ()) == (2,)
        sync_db.close()
    else:
        db = SqliteDatabase(path, synchronous="OFF")

        async def restore() -> None:
            await db.execute_script(SCHEMA + ";")
            await db.execute("INSERT INTO kv VALUES ('x', 1)", ())
            _replace(path, 2)
            await db.close()
            assert await db.fetch_one(sql, ()) == (2,)
            await db.close()

        asyncio.run(restore())
    check = sqlite3.connect(path)
    assert check.execute("SELECT k, v FROM kv").fetchall() == [("x", 2)]
    check.close()


@pytest.mark.parametrize("moment", ["after-the-connect", "at-the-first-read"])
@pytest.mark.parametrize("engine", ["async", "sync"])
def test_a_new_file_replaced_while_the_writer_makes_it_is_not_written_blind(
    engine: str, moment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first open of a missing file races a restore: the file the open made is
    # replaced right after the connect, or as its first read starts (the restoring
    # program's os.replace, run at that exact point from sqlite3's own hooks). The
    # writer must end up on the restored file: before, it kept the file it made,
    # wrote to it blind, and its WAL at the path was replayed into the restore.
    path = tmp_path / "app.db"
    real_connect = sqlite3.connect
    swapped: list[bool] = []

    def swap() -> None:
        if not swapped:
            swapped.append(True)
            _replace(path, 2)

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        if str(args[0]) == str(path) and not swapped:
            if moment == "after-the-connect":
                swap()
            else:
                first_read = "SELECT count(*) FROM sqlite_master"
                conn.set_trace_callback(lambda sql: swap() if sql == first_read else None)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    write = "INSERT INTO kv VALUES ('y', 3)"
    if engine == "sync":
        sync_db = SyncSqliteDatabase(path)
        sync_db.execute(write, ())
        sync_db.close()
    else:
        db = SqliteDatabase(path)

        async def first_write() -> None:
            await db.execute(write, ())
            await db.close()

        asyncio.run(first_write())
    monkeypatch.undo()
    assert swapped
    check = sqlite3.connect(path)
    assert check.execute("SELECT k, v FROM kv ORDER BY k").fetchall() == [("x", 2), ("y", 3)]
    check.close()
    assert sorted(os.listdir(tmp_path)) == ["app.db"]
