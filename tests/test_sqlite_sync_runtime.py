"""The sync SQLite engine (`_runtime/sqlite_sync.py`) beyond what the conformance suite checks.

The same pragmas as the async engine, a file deleted or replaced under it,
and the thread model of `transaction()`: another thread's read sees only
what was committed, and its write waits for the block to end.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from generated._runtime.sqlite_sync import SyncSqliteDatabase


def pragmas(db: SyncSqliteDatabase) -> tuple[object, ...]:
    with db.transaction():  # on the writer
        return tuple(
            db.fetch_one(f"PRAGMA {name}", ())[0]  # type: ignore[index]
            for name in ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
        )


def test_the_writer_has_the_async_engines_pragmas(tmp_path: Path) -> None:
    db = SyncSqliteDatabase(tmp_path / "p.db")
    assert pragmas(db) == (1, "wal", 5000, 2)
    other = SyncSqliteDatabase(tmp_path / "q.db", synchronous="NORMAL", busy_timeout_ms=250)
    assert pragmas(other) == (1, "wal", 250, 1)
    with pytest.raises(ValueError):
        SyncSqliteDatabase(tmp_path / "r.db", synchronous="SOMETIMES")
    db.close()
    other.close()


@pytest.mark.usefixtures("file_watch")
def test_a_deleted_file_is_recreated_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    db = SyncSqliteDatabase(path)
    db.execute_script("CREATE TABLE t (x); INSERT INTO t VALUES ('old');")
    assert db.fetch_all("SELECT x FROM t", ()) == [("old",)]
    os.remove(path)
    db.execute("CREATE TABLE u (y)", ())  # not into the unlinked file
    assert pragmas(db) == (1, "wal", 5000, 2)
    db.close()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT name FROM sqlite_master").fetchall() == [("u",)]
    check.close()


@pytest.mark.usefixtures("file_watch")
def test_a_replaced_file_takes_the_next_write_and_the_reads_after_it(tmp_path: Path) -> None:
    path, other = tmp_path / "live.db", tmp_path / "other.db"
    db = SyncSqliteDatabase(path)
    db.execute_script("CREATE TABLE t (x); INSERT INTO t VALUES ('old');")
    assert db.fetch_all("SELECT x FROM t", ()) == [("old",)]  # this thread's reader is open
    fresh = sqlite3.connect(other)
    fresh.executescript("CREATE TABLE t (x); INSERT INTO t VALUES ('new');")
    fresh.close()
    os.replace(other, path)
    db.execute("INSERT INTO t VALUES ('newer')", ())
    assert db.fetch_all("SELECT x FROM t ORDER BY rowid", ()) == [("new",), ("newer",)]
    db.close()


def test_a_transaction_belongs_to_its_thread(tmp_path: Path) -> None:
    db = SyncSqliteDatabase(tmp_path / "tx.db")
    db.execute_script("CREATE TABLE t (x TEXT PRIMARY KEY)")
    seen: list[object] = []
    wrote_at: list[float] = []

    def other_thread() -> None:
        seen.append(db.fetch_all("SELECT x FROM t", ()))  # the committed state, at once
        db.execute("INSERT INTO t VALUES ('theirs')", ())  # waits for the block
        wrote_at.append(time.monotonic())

    with db.transaction():
        db.execute("INSERT INTO t VALUES ('mine')", ())
        assert db.fetch_all("SELECT x FROM t", ()) == [("mine",)]  # my own write
        worker = threading.Thread(target=other_thread)
        worker.start()
        time.sleep(0.2)
        assert seen == [[]] and wrote_at == []  # read done, write still waiting
        ended = time.monotonic()
    worker.join(10)
    assert wrote_at and wrote_at[0] >= ended
    assert sorted(db.fetch_all("SELECT x FROM t", ())) == [("mine",), ("theirs",)]
    with pytest.raises(RuntimeError), db.transaction():
        db.execute("INSERT INTO t VALUES ('dropped')", ())
        raise RuntimeError
    assert ("dropped",) not in db.fetch_all("SELECT x FROM t", ())
    db.close()


def test_shared_is_one_object_per_file_and_refuses_other_options(tmp_path: Path) -> None:
    """Every spelling of one file shares one object; other options are a ValueError."""
    path = tmp_path / "shared.db"
    first = SyncSqliteDatabase.shared(path)
    try:
        assert SyncSqliteDatabase.shared(f"sqlite:///{path}") is first
        assert SyncSqliteDatabase.shared(str(path), synchronous="FULL") is first
        with pytest.raises(ValueError, match="already open with busy_timeout_ms, synchronous"):
            SyncSqliteDatabase.shared(path, synchronous="OFF")
        assert SyncSqliteDatabase.shared(":memory:") is not SyncSqliteDatabase.shared(":memory:")
    finally:
        first.close()


def _checkpoint_blocked(path: Path) -> bool:
    """Whether a reader still holds a snapshot: a TRUNCATE checkpoint cannot finish."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return bool(busy)
    finally:
        other.close()


def test_a_read_leaves_no_snapshot_behind_even_when_more_rows_matched(tmp_path: Path) -> None:
    db = SyncSqliteDatabase(tmp_path / "snap.db")
    db.execute_script("CREATE TABLE t (k INTEGER PRIMARY KEY, g INTEGER)")
    db.execute_many("INSERT INTO t VALUES (?, ?)", [(i, i % 3) for i in range(30)])
    sql = "SELECT k FROM t WHERE g = ? ORDER BY k"
    for _ in range(3):  # the thread's cursor is reused call after call
        assert db.fetch_one("SELECT k FROM t WHERE k = ?", (7,)) == (7,)
        db.execute("INSERT INTO t (g) VALUES (9)", ())  # the WAL has frames to copy back
        assert not _checkpoint_blocked(tmp_path / "snap.db")
        assert db.fetch_one(sql, (1,)) == (1,)  # the first of ten rows
        db.execute("INSERT INTO t (g) VALUES (9)", ())
        assert not _checkpoint_blocked(tmp_path / "snap.db")  # its statement was ended
    assert db.fetch_all(sql, (2,))[:2] == [(2,), (5,)]
    db.close()


def _idle_thread(work: object) -> tuple[threading.Thread, threading.Event]:
    """Run `work` on a thread that then stays alive and idle (a pool worker)
    until the returned event is set."""
    done, release = threading.Event(), threading.Event()

    def body() -> None:
        try:
            work()  # type: ignore[operator]
        finally:
            done.set()
            release.wait(30)

    thread = threading.Thread(target=body)
    thread.start()
    assert done.wait(30)
    return thread, release


def test_a_failed_read_leaves_no_snapshot_on_its_idle_thread(tmp_path: Path) -> None:
    # A TEXT value that is not UTF-8 fails while its first row is decoded: the
    # statement stayed open on the thread's reused cursor and pinned the WAL.
    db = SyncSqliteDatabase(tmp_path / "bad.db")
    db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    db.execute("INSERT INTO t VALUES (1, CAST(x'ff' AS TEXT)), (2, 'ok')", ())
    failures: list[str] = []

    def reads() -> None:
        for sql in ("SELECT v FROM t WHERE id = ?", "SELECT v FROM t WHERE id >= ?"):
            for fetch in (db.fetch_one, db.fetch_all):
                try:
                    fetch(sql, (1,))
                except sqlite3.OperationalError as exc:
                    failures.append(str(exc))
                assert db.fetch_one("SELECT v FROM t WHERE id = ?", (2,)) == ("ok",)
        try:
            db.fetch_one("SELECT v FROM t WHERE id = ?", (1,))  # the thread's last read fails
        except sqlite3.OperationalError as exc:
            failures.append(str(exc))

    thread, release = _idle_thread(reads)
    try:
        assert len(failures) == 5
        for i in range(50):
            db.execute("INSERT INTO t (v) VALUES (?)", ("x" * 1000,))
        assert not _checkpoint_blocked(tmp_path / "bad.db")
        assert os.path.getsize(tmp_path / "bad.db-wal") == 0  # TRUNCATE could run to the end
    finally:
        release.set()
        thread.join()
        db.close()


def test_a_read_interrupted_after_execute_leaves_no_snapshot(tmp_path: Path) -> None:
    # A KeyboardInterrupt (any BaseException) while the first row is fetched: the
    # statement was left open on the thread's cursor, as with a failed decode.
    db = SyncSqliteDatabase(tmp_path / "ki.db")
    db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')", ())
    caught: list[str] = []

    def interrupt(value: bytes) -> str:
        raise KeyboardInterrupt

    def reads() -> None:
        assert db.fetch_one("SELECT id FROM t WHERE id = ?", (1,)) == (1,)  # opens the reader
        db._readers[threading.get_ident()].connection.text_factory = interrupt
        for fetch in (db.fetch_one, db.fetch_all):
            try:
                fetch("SELECT v FROM t WHERE id >= ?", (1,))
            except KeyboardInterrupt:
                caught.append(fetch.__name__)
                assert threading.get_ident() not in db._readers  # closed, not given back
            db.fetch_one("SELECT id FROM t WHERE id = ?", (1,))  # a new reader
            db._readers[threading.get_ident()].connection.text_factory = interrupt
        try:
            db.fetch_one("SELECT v FROM t WHERE id = ?", (2,))  # the last read is interrupted
        except KeyboardInterrupt:
            caught.append("last")

    thread, release = _idle_thread(reads)
    try:
        assert caught == ["fetch_one", "fetch_all", "last"]
        for _ in range(20):
            db.execute("INSERT INTO t (v) VALUES (?)", ("x" * 1000,))
        assert not _checkpoint_blocked(tmp_path / "ki.db")
    finally:
        release.set()
        thread.join()
        db.close()


def _open_fds(path: Path) -> int:
    """This process's file descriptors on the database file and its -wal/-shm."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(str(path))
        except OSError:
            pass
    return count


class _Worker:
    """A thread that runs what it is given and stays idle in between (a pool worker)."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[Callable[[], object] | None] = queue.Queue()
        self.results: queue.Queue[object] = queue.Queue()
        self.thread = threading.Thread(target=self._loop)
        self.thread.start()

    def _loop(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                self.results.put(job())
            except Exception as exc:  # noqa: BLE001 - handed to the test
                self.results.put(exc)

    def run(self, job: Callable[[], object]) -> object:
        self.jobs.put(job)
        return self.results.get(timeout=30)

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join()


@pytest.mark.usefixtures("file_watch")
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_close_closes_idle_threads_readers_at_once_and_they_come_back(tmp_path: Path) -> None:
    # close() must not close a reader another thread is using (that crashed the
    # interpreter), but an idle thread's reader must not stay open either.
    path = tmp_path / "fds.db"
    db = SyncSqliteDatabase(path)
    db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    db.execute("INSERT INTO t VALUES (1, 'a')", ())
    workers = [_Worker() for _ in range(3)]
    try:
        read = partial(db.fetch_all, "SELECT v FROM t ORDER BY id", ())
        assert [w.run(read) for w in workers] == [[("a",)]] * 3
        assert _open_fds(path) >= 3 + 2  # each idle reader holds the file open (+ the writer's)
        db.close()
        assert _open_fds(path) == 0  # at once: no garbage collection needed
        assert [w.run(read) for w in workers] == [[("a",)]] * 3  # they come back
        # The file is replaced: the writer notices and reopens, and closes the idle
        # readers; each thread's next read opens a new one, on the new file.
        other = sqlite3.connect(tmp_path / "new.db")
        other.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        other.execute("INSERT INTO t VALUES (1, 'b')")
        other.commit()
        other.close()
        os.replace(tmp_path / "new.db", path)
        db.execute("INSERT INTO t VALUES (2, 'c')", ())
        assert [w.run(read) for w in workers] == [[("b",), ("c",)]] * 3
    finally:
        for w in workers:
            w.stop()
    db.close()
    assert _open_fds(path) == 0


def test_sql_built_per_call_is_remembered_within_a_byte_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 300 distinct SELECTs of ~8 KB (a user's formatted SQL): 2.4 MB of text. The
    # hot path's caches keep at most 2 MiB of it each (4096 x 8 KB = 32 MB before).
    import generated._runtime.sqlite_common as common

    room = dict(getattr(common, "_room", {}))
    monkeypatch.setattr(common, "_room", room, raising=False)  # restored afterwards
    db = SyncSqliteDatabase(tmp_path / "long.db")
    db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    texts = [f"SELECT {i} AS n, '{'x' * 7900}' AS pad" for i in range(300)]
    try:
        for i, sql in enumerate(texts):
            assert db.fetch_one(sql, ())[0] == i  # type: ignore[index]
            assert common.kind(sql) == common.READ
        for cache in (common.SELECTS, common._KINDS):
            kept = [sql for sql in texts if sql in cache]
            assert 100 < len(kept) < len(texts)
            assert sum(map(len, kept)) <= 2 << 20
    finally:
        common.SELECTS.difference_update(texts)
        for sql in texts:
            common._KINDS.pop(sql, None)
        db.close()
