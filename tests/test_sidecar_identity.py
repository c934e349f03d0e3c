"""Our old -wal/-shm are unlinked only while one of our connections holds them.

Once closed, their inode numbers are free, and ext4 hands them to the next
file made in the directory: typically another process's -wal/-shm of the
file restored at the path. An engine that kept the identities after close()
and unlinked "its" stale sidecars on the next open deleted that process's live
WAL, with writes the process had been told were committed (found by review,
reproduced on this machine: the other process's rows were gone).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from generated._runtime.errors import TransactionLost
from generated._runtime.sqlite import SqliteDatabase
from generated._runtime.sqlite_sync import SyncSqliteDatabase

# Both ways of noticing a replaced file (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("file_watch")

# Another process of the app: opens the file at the path when told, commits
# 200, then 201 when told again, and dies before any checkpoint (a kill -9).
OTHER_PROCESS = """
import os, sqlite3, sys
sys.stdin.readline()
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("INSERT INTO t VALUES (200)")
print("committed 200", flush=True)
sys.stdin.readline()
c.execute("INSERT INTO t VALUES (201)")
print("committed 201", flush=True)
os._exit(0)
"""


def _new_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("engine", ["sync", "async"])
def test_a_reopen_after_close_never_unlinks_another_processs_wal(
    engine: str, tmp_path: Path
) -> None:
    path, restored = tmp_path / "app.db", tmp_path / "restored.db"
    _new_file(restored)
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert other.stdin is not None and other.stdout is not None
    loop = asyncio.new_event_loop()
    try:
        if engine == "sync":
            sync_db = SyncSqliteDatabase(path)
            sync_db.execute_script("CREATE TABLE t (v INTEGER)")
            sync_db.execute("INSERT INTO t VALUES (1)", ())
            sync_db.close()  # SQLite deletes its -wal/-shm: their inode numbers are free
            write = lambda: sync_db.execute("INSERT INTO t VALUES (2)", ())  # noqa: E731
            close = sync_db.close
        else:
            async_db = SqliteDatabase(path)
            loop.run_until_complete(async_db.execute_script("CREATE TABLE t (v INTEGER)"))
            loop.run_until_complete(async_db.execute("INSERT INTO t VALUES (1)", ()))
            loop.run_until_complete(async_db.close())
            write = lambda: loop.run_until_complete(  # noqa: E731
                async_db.execute("INSERT INTO t VALUES (2)", ())
            )
            close = lambda: loop.run_until_complete(async_db.close())  # noqa: E731
        os.replace(restored, path)  # a restore while we are closed
        other.stdin.write("\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "committed 200"
        write()  # our reopen: the -wal at the path is the other process's, live
        other.stdin.write("\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "committed 201"
        assert other.wait(timeout=30) == 0
        close()
    finally:
        loop.close()
        if other.poll() is None:
            other.kill()
    found = sqlite3.connect(path).execute("SELECT v FROM t ORDER BY v").fetchall()
    assert found == [(2,), (200,), (201,)]  # every acknowledged write, ours and theirs


def test_a_sync_transaction_open_across_a_replace_commits_nothing(tmp_path: Path) -> None:
    path, fresh = tmp_path / "app.db", tmp_path / "fresh.db"
    db = SyncSqliteDatabase(path)
    db.execute("CREATE TABLE t (v INTEGER)", ())
    _new_file(fresh)
    with pytest.raises(TransactionLost):
        with db.transaction():
            db.execute("INSERT INTO t VALUES (1)", ())
            os.replace(fresh, path)
            db.execute("INSERT INTO t VALUES (2)", ())
    db.execute("INSERT INTO t VALUES (3)", ())  # the next write follows the new file
    db.close()
    assert sqlite3.connect(path).execute("SELECT v FROM t").fetchall() == [(3,)]
