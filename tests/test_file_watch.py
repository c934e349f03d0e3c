"""The per-write file check by the kernel's events (generated/_runtime/sqlite_watch.py).

Every write of both SQLite engines must go to the file at the path as it is
when the write starts: after a rename over it, an unlink, a renamed
directory, a mount, a symlink's target replaced. With the watch on, the
writers poll an inotify instance (and /proc/self/mountinfo) instead of
stat()ing the path; each test here runs with the watch and with the stat
(`file_watch`, tests/conftest.py), but the one about the watch's reads.
Restores are built outside every watched directory (`_stage`) and the
opens' own events are read first (`_started`), so the change a test makes
is the only event the check sees. Tried, each fails tests of both engines:
_ENTRY without IN_MOVED_FROM|IN_MOVED_TO (the replace, the renewal and the
fork tests), without IN_DELETE (the unlink test), _SELF without IN_MOVE_SELF
(the renamed-directory, renewal and moved-directory tests), no renewal of a
spent watch (the renewal and chmod tests); earlier: the poll's answer
short-circuited, the mountinfo descriptor left out, the symlink check
dropped, the fork hook emptied. The unrelated-files test fails when events
about other entries are taken for a replacement or spend the watch, the cap
tests when the cap is ignored (the lock around the count is not forced to
matter: a race the test cannot make on demand).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import generated._runtime.sqlite_watch as sqlite_watch
from generated._runtime.errors import ErrorCode, classify_sqlite_error
from generated._runtime.sqlite import SqliteDatabase
from generated._runtime.sqlite_sync import SyncSqliteDatabase

REPO = Path(__file__).resolve().parents[1]
SCHEMA = "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"
INSERT = "INSERT INTO kv VALUES (?, ?)"

pytestmark = pytest.mark.usefixtures("file_watch")


class Engine:
    """One database object of either engine, driven the same way."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind = kind
        self.runner = asyncio.Runner()
        self.db: SqliteDatabase | SyncSqliteDatabase
        if kind == "sync":
            self.db = SyncSqliteDatabase(path, synchronous="OFF")
        else:
            self.db = SqliteDatabase(path, synchronous="OFF")

    def write(self, key: str, value: int = 0) -> None:
        if isinstance(self.db, SyncSqliteDatabase):
            self.db.execute(INSERT, (key, value))
        else:
            self.runner.run(self.db.execute(INSERT, (key, value)))

    def setup(self) -> None:
        if isinstance(self.db, SyncSqliteDatabase):
            self.db.execute_script(SCHEMA + ";")
        else:
            self.runner.run(self.db.execute_script(SCHEMA + ";"))

    def close(self) -> None:
        if isinstance(self.db, SyncSqliteDatabase):
            self.db.close()
        else:
            self.runner.run(self.db.close())

    def watched(self) -> bool:
        return self.db._check._watch is not None


@pytest.fixture(params=["sync", "async"])
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_engine(engine_kind: str) -> Iterator[Callable[[Path], Engine]]:
    opened: list[Engine] = []

    def make(path: Path) -> Engine:
        engine = Engine(engine_kind, path)
        opened.append(engine)
        return engine

    yield make
    for engine in opened:
        engine.close()
        engine.runner.close()


def _fresh_db(path: Path, key: str) -> None:
    """A database of another program at `path` (not yet at the engine's path)."""
    conn = sqlite3.connect(path)
    conn.execute(SCHEMA)
    conn.execute(INSERT, (key, 1))
    conn.commit()
    conn.close()


def _keys(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT k FROM kv")}
    finally:
        conn.close()


def _stage(path: Path) -> Path:
    """Where another program builds a restore: a sibling of the db's directory,
    outside every watched directory. (A file made in the db's directory would
    wake the check by itself, and a test would pass without the rename's event.)"""
    stage = path.parent.parent / f"{path.parent.name}-stage"
    stage.mkdir(exist_ok=True)
    return stage


def _restore(path: Path) -> None:
    """Another program puts its database (key "restored") at `path`, built in `_stage`."""
    _fresh_db(_stage(path) / "restore.db", "restored")
    os.replace(_stage(path) / "restore.db", path)


def _started(open_engine: Callable[[Path], Engine], path: Path, file_watch: str) -> Engine:
    _stage(path)  # made before the open: nothing is made near the path afterwards
    engine = open_engine(path)
    engine.setup()
    engine.write("first")
    # The async opens leave an event queued (SQLite's fchown of the -wal, as
    # root): a second write reads it, so the change a test makes next is the
    # only event the check can see.
    engine.write("second")
    assert engine.watched() == (file_watch == "inotify")  # the mode under test is in use
    assert not engine.watched() or not engine.db._check._watch.poll(0)  # quiet
    return engine


def test_a_write_right_after_a_replace_goes_to_the_new_file(
    open_engine: Callable[[Path], Engine], tmp_path: Path, file_watch: str
) -> None:
    path = tmp_path / "app.db"
    engine = _started(open_engine, path, file_watch)
    _restore(path)
    engine.write("after")
    assert _keys(path) == {"restored", "after"}


def test_a_write_right_after_an_unlink_goes_to_a_new_file(
    open_engine: Callable[[Path], Engine], tmp_path: Path, file_watch: str
) -> None:
    path = tmp_path / "app.db"
    engine = _started(open_engine, path, file_watch)
    os.unlink(path)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        engine.write("after")  # on a new, empty file: not on the unlinked one
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    conn.close()


@pytest.mark.parametrize("depth", [1, 2], ids=["parent", "grandparent"])
def test_a_directory_renamed_away_with_another_in_its_place(
    open_engine: Callable[[Path], Engine], tmp_path: Path, file_watch: str, depth: int
) -> None:
    top = tmp_path / "a"
    directory = top / "b" if depth == 2 else top
    directory.mkdir(parents=True)
    path = directory / "app.db"
    engine = _started(open_engine, path, file_watch)
    os.rename(top, tmp_path / "old")  # the engine's file is now under old/
    directory.mkdir(parents=True)
    _fresh_db(path, "other")
    engine.write("after")
    assert _keys(path) == {"other", "after"}


def test_unrelated_files_in_the_directory_change_nothing(
    open_engine: Callable[[Path], Engine], tmp_path: Path, file_watch: str
) -> None:
    path = tmp_path / "app.db"
    engine = _started(open_engine, path, file_watch)
    check, watch = engine.db._check, engine.db._check._watch
    for i in range(40):
        (tmp_path / f"log{i}").write_text("x")
        os.truncate(tmp_path / f"log{i}", 0)  # a file's attributes (as SQLite's ftruncate)
        os.replace(tmp_path / f"log{i}", tmp_path / f"log{i}.old")
        (tmp_path / f"log{i}.old").unlink()
        (tmp_path / f"dir{i}").mkdir()
        engine.write(f"k{i}", i)
    assert engine.db._check is check  # never taken for a replacement: no reopen
    assert engine.db._check._watch is watch  # events about entries keep the watch
    assert _keys(path) == {"first", "second", *(f"k{i}" for i in range(40))}


def test_a_change_to_a_watched_directory_itself_renews_the_watch(
    open_engine: Callable[[Path], Engine], tmp_path: Path, file_watch: str
) -> None:
    # A directory's own event (here a chmod: IN_ATTRIB without a name) may mean
    # the watched directories are no longer the path's: a new watch is set up
    # on the path as it is now, then the stat; the file is the same, no reopen.
    path = tmp_path / "app.db"
    engine = _started(open_engine, path, file_watch)
    check, watch = engine.db._check, engine.db._check._watch
    os.chmod(tmp_path, 0o750)
    engine.write("after")
    assert engine.db._check is check
    assert (engine.db._check._watch is not watch) == (file_watch == "inotify")
    assert engine.watched() == (file_watch == "inotify")
    assert _keys(path) == {"first", "second", "after"}


def test_after_a_renewal_the_new_directory_is_watched(
    open_engine: Callable[[Path], Engine], tmp_path: Path, file_watch: str
) -> None:
    # The directory is renamed away and the SAME file (with its -wal/-shm) moved
    # into a new directory of the old name: no reopen, but the watch must now
    # be on the new directory, or a replace made there later goes unseen.
    directory = tmp_path / "a" / "b"
    directory.mkdir(parents=True)
    path = directory / "app.db"
    engine = _started(open_engine, path, file_watch)
    check = engine.db._check
    os.rename(directory, tmp_path / "a" / "b2")
    directory.mkdir()
    for suffix in ("", "-wal", "-shm"):
        os.rename(tmp_path / "a" / "b2" / f"app.db{suffix}", directory / f"app.db{suffix}")
    engine.write("mid")  # the same file: the watch renewed on the path as it is now
    assert engine.db._check is check
    assert engine.watched() == (file_watch == "inotify")
    _restore(path)
    engine.write("after")
    assert _keys(path) == {"restored", "after"}


def test_a_symlink_put_at_the_path_is_followed_by_stat(
    open_engine: Callable[[Path], Engine], tmp_path: Path, file_watch: str
) -> None:
    # The file moves elsewhere and a symlink to it takes its place: the same
    # file, but its target can now be replaced where no watch looks. So the
    # watch stops vouching (a stat every write), and the replace is followed.
    path = tmp_path / "app.db"
    engine = _started(open_engine, path, file_watch)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(path, elsewhere / "real.db")  # its -wal/-shm stay: the writer holds them
    os.symlink(elsewhere / "real.db", path)
    engine.write("through the link")  # the same file: no reopen
    _fresh_db(elsewhere / "restore.db", "restored")
    os.replace(elsewhere / "restore.db", elsewhere / "real.db")
    engine.write("after")
    assert _keys(elsewhere / "real.db") == {"restored", "after"}


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _watch_fds() -> int:
    """Open inotify instances and mountinfo descriptors of this process."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            found += target == "anon_inode:inotify" or target.endswith("/mountinfo")
    return found


def test_reopen_cycles_leak_no_descriptors(
    open_engine: Callable[[Path], Engine], tmp_path: Path, file_watch: str
) -> None:
    path = tmp_path / "app.db"
    engine = _started(open_engine, path, file_watch)
    engine.close()
    before = _fds()
    for i in range(30):
        engine.write(f"w{i}")  # opens
        _fresh_db(_stage(path) / "restore.db", f"r{i}")
        os.replace(_stage(path) / "restore.db", path)
        engine.write(f"x{i}")  # reopens on the new file
        assert _keys(path) == {f"r{i}", f"x{i}"}
        engine.close()
    assert _fds() == before


def test_a_sync_database_dropped_unclosed_leaves_no_descriptor(
    tmp_path: Path, file_watch: str
) -> None:
    path = tmp_path / "app.db"
    before = _fds()
    db = SyncSqliteDatabase(path, synchronous="OFF")
    db.execute_script(SCHEMA + ";")
    assert (db._check._watch is not None) == (file_watch == "inotify")
    assert _fds() > before
    del db
    gc.collect()
    assert _fds() == before


def test_async_databases_dropped_unclosed_leave_no_watch(tmp_path: Path, file_watch: str) -> None:
    # Each store dropped without close() must give back its inotify instance and
    # mountinfo descriptor when collected (the user has 128 instances; past
    # MAX_WATCHES live ones, every new writer of the process would stat).
    async def use_and_drop(path: Path) -> None:
        db = SqliteDatabase(path, synchronous="OFF")
        await db.execute_script(SCHEMA + ";")
        await db.execute(INSERT, ("x", 0))
        assert (db._check._watch is not None) == (file_watch == "inotify")

    gc.collect()
    watches = sum(check._watch is not None for check in list(sqlite_watch._CHECKS))
    before = _watch_fds()
    for i in range(sqlite_watch.MAX_WATCHES + 2):
        asyncio.run(use_and_drop(tmp_path / f"a{i}.db"))
    gc.collect()
    assert sum(check._watch is not None for check in list(sqlite_watch._CHECKS)) == watches
    assert _watch_fds() == before
    db = SyncSqliteDatabase(tmp_path / "new.db", synchronous="OFF")
    try:
        db.execute_script(SCHEMA + ";")
        assert (db._check._watch is not None) == (file_watch == "inotify")
    finally:
        db.close()


def test_a_fork_child_does_not_take_the_parents_events(tmp_path: Path, file_watch: str) -> None:
    # A replace is queued on the parent's watch when it forks. The child runs
    # the check its first write would run, on the database it inherited, and
    # exits: it must see the replace (by a stat: the inherited watch is the
    # parent's) without reading the event, or the parent's next write goes to
    # the old file. (The child does not go on to write: reopening, it would
    # make events of its own in the directory, which would hide a stolen one.)
    path = tmp_path / "app.db"
    _stage(path)
    db = SyncSqliteDatabase(path, synchronous="OFF")
    try:
        db.execute_script(SCHEMA + ";")
        db.execute(INSERT, ("first", 0))
        assert (db._check._watch is not None) == (file_watch == "inotify")
        _restore(path)
        pid = os.fork()
        if pid == 0:  # the child: leave without running any exit hook
            code = 1
            try:
                code = 0 if db._check.changed() and db._check._watch is None else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        db.execute(INSERT, ("parent", 0))
        assert _keys(path) == {"restored", "parent"}
    finally:
        db.close()


def test_past_the_process_cap_a_writer_stats_and_still_follows_a_replace(
    tmp_path: Path, file_watch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_watch, "MAX_WATCHES", 0)
    path = tmp_path / "app.db"
    _stage(path)
    db = SyncSqliteDatabase(path, synchronous="OFF")
    try:
        db.execute_script(SCHEMA + ";")
        assert db._check._watch is None  # the cap: the stat
        _restore(path)
        db.execute(INSERT, ("after", 0))
        assert _keys(path) == {"restored", "after"}
    finally:
        db.close()


MOUNT_CHILD = textwrap.dedent("""
    import asyncio, os, sqlite3, subprocess, sys
    from generated._runtime.sqlite import SqliteDatabase
    from generated._runtime.sqlite_sync import SyncSqliteDatabase
    kind, directory = sys.argv[1], sys.argv[2]
    path = os.path.join(directory, "app.db")
    schema = "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"
    insert = "INSERT INTO kv VALUES (?, 0)"
    db = (SyncSqliteDatabase if kind == "sync" else SqliteDatabase)(path, synchronous="OFF")
    runner = asyncio.Runner()
    def run(value):
        return value if kind == "sync" else runner.run(value)
    run(db.execute_script(schema + ";"))
    run(db.execute(insert, ("first",)))
    watched = db._check._watch is not None
    assert not db._check.changed()  # reads what the opens queued: quiet from here
    assert not watched or not db._check._watch.poll(0)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", directory], check=True)
    conn = sqlite3.connect(path)
    conn.execute(schema); conn.execute(insert, ("mounted",)); conn.commit(); conn.close()
    run(db.execute(insert, ("after",)))
    keys = sorted(k for (k,) in sqlite3.connect(path).execute("SELECT k FROM kv"))
    print(watched, keys)
    """)


def test_a_mount_over_the_directory_takes_the_next_write(
    engine_kind: str, tmp_path: Path, file_watch: str
) -> None:
    # inotify reports no mount: /proc/self/mountinfo does. In a user and mount
    # namespace of its own (unshare -rm), so no root is needed nor harmed.
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"]).returncode != 0:
        pytest.skip("no unshare -rm (user namespaces) on this machine")
    directory = tmp_path / "data"
    directory.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [unshare, "-rm", sys.executable, "-c", MOUNT_CHILD, engine_kind, str(directory)],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    watched = file_watch == "inotify"
    assert done.stdout.split() == [str(watched), "['after',", "'mounted']"]


def test_a_file_put_at_a_moved_directorys_name_stops_the_writes(
    open_engine: Callable[[Path], Engine], tmp_path: Path, file_watch: str
) -> None:
    # The directory is renamed away and a regular FILE takes its name: the path
    # names nothing (ENOTDIR). That is a change: the write must not go to the
    # old file (now under moved/); it fails, as an open of the path would.
    directory = tmp_path / "d"
    directory.mkdir()
    engine = _started(open_engine, directory / "app.db", file_watch)
    os.rename(directory, tmp_path / "moved")
    directory.write_text("not a directory")
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        engine.write("after")
    assert _keys(tmp_path / "moved" / "app.db") == {"first", "second"}


def test_a_file_replaced_under_every_open_attempt_is_refused(
    open_engine: Callable[[Path], Engine],
    tmp_path: Path,
    file_watch: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another program restores the file under each open, after the connect and
    # before the open names the file: the connection has the old file, the
    # name the new one. After the last attempt nothing may be returned that
    # would write to the old file (and leave its WAL at the path): a specific
    # error, and the file last put at the path is untouched.
    path = tmp_path / "db" / "app.db"
    path.parent.mkdir()
    stage = _stage(path)
    _fresh_db(path, "orig")
    import generated._runtime.sqlite_files as sqlite_files

    real, restores = sqlite_files._switch_to_wal, [0]

    def switch_then_restore(conn: sqlite3.Connection, busy_timeout_ms: int) -> object:
        mode = real(conn, busy_timeout_ms)
        restores[0] += 1
        _fresh_db(stage / "restore.db", f"restored{restores[0]}")
        os.replace(stage / "restore.db", path)
        return mode

    monkeypatch.setattr(sqlite_files, "_switch_to_wal", switch_then_restore)
    engine = open_engine(path)
    with pytest.raises(sqlite3.OperationalError, match="keeps being replaced") as refused:
        engine.write("w1")
    assert restores[0] == sqlite_files._ATTEMPTS
    # a store tells its caller to try again, as for any busy database
    assert classify_sqlite_error(refused.value, "t").code == ErrorCode.UNAVAILABLE
    monkeypatch.setattr(sqlite_files, "_switch_to_wal", real)
    assert _keys(path) == {f"restored{restores[0]}"}
    engine.write("w2")  # the restores stopped: the file at the path, and only it
    assert _keys(path) == {f"restored{restores[0]}", "w2"}


def test_a_check_reads_a_bounded_number_of_events(
    tmp_path: Path, file_watch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another program filling the directory with events must not hold a write
    # for as long as it goes on: a check reads at most _SETTLE_READS buffers,
    # then the stat decides; the rest is read by the next checks. A replace
    # queued behind them is still followed (by that stat).
    if file_watch != "inotify":
        pytest.skip("about the watch's reads")
    monkeypatch.setattr(sqlite_watch, "_SETTLE_READS", 1)
    path = tmp_path / "db" / "app.db"
    path.parent.mkdir()
    _stage(path)
    db = SyncSqliteDatabase(path, synchronous="OFF")
    try:
        db.execute_script(SCHEMA + ";")
        db.execute(INSERT, ("first", 0))
        check, watch = db._check, db._check._watch
        assert watch is not None and not watch.poll(0)
        for i in range(3000):  # ~64 bytes each: three 64 KiB reads
            (path.parent / f"{i:040d}").touch()
        assert not check.changed()
        assert watch.poll(0)  # bounded: events left for the next checks
        for _ in range(5):
            assert not check.changed()
        assert not watch.poll(0) and check._watch is watch  # drained; entries kept it
        _restore(path)
        db.execute(INSERT, ("after", 0))
        assert _keys(path) == {"restored", "after"}
    finally:
        db.close()


def test_concurrent_opens_stay_within_the_process_cap(
    tmp_path: Path, file_watch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cap is counted and taken together: opens racing each other cannot
    # hold more than MAX_WATCHES inotify instances between them.
    import threading

    gc.collect()
    monkeypatch.setattr(sqlite_watch, "MAX_WATCHES", len(sqlite_watch._OPEN) + 2)  # 2 more
    before = _watch_fds()
    dbs = [SyncSqliteDatabase(tmp_path / f"c{i}.db", synchronous="OFF") for i in range(8)]
    start = threading.Barrier(len(dbs))

    def open_one(db: SyncSqliteDatabase) -> None:
        start.wait()
        db.execute_script(SCHEMA + ";")

    threads = [threading.Thread(target=open_one, args=(db,)) for db in dbs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        watched = sum(db._check._watch is not None for db in dbs)
        assert watched == (2 if file_watch == "inotify" else 0)
        assert _watch_fds() - before == 2 * watched
    finally:
        for db in dbs:
            db.close()
