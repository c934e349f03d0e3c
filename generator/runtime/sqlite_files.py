"""Following the database file when it is deleted or replaced under a running process.

Both SQLite engines keep connections open on one path. When another program
replaces the file (an atomic `os.replace`, a restore) or deletes it, the old
file's `-wal` and `-shm` stay at the path. SQLite takes whatever `-shm` and
`-wal` it finds next to the file it opens, so a connection opened on the new
file would read the old file's WAL into it, and, being the first user of that
`-shm` as far as its POSIX locks show (our old connections hold theirs in the
same process, invisible to it), it would truncate and rebuild the `-shm` that
our old connections still have mapped: they then die of SIGBUS or read
garbage ("disk I/O error", "no such table").

So the rule, kept by every connection either engine opens (the writer, the
readers, the async inline writer): nothing of ours opens the file at the path
before the old file's sidecars are UNLINKED (`remove_stale_sidecars`; the old
mappings stay valid, on files no longer at the path). A generation is the
writer's open of one file, `files` the (st_dev, st_ino) of it and its
sidecars. The writer opens a generation (`open_writer`: it checks that the
file at the path did not change while it opened); every other connection
`open_follower`s it: it checks after connecting that the path is still that
generation's file, and only then makes its first read, the one that maps the
`-shm`, with the generation's lock held: the writer's close takes the same
lock first, so the writer still has that `-shm` mapped and SQLite shares its
mapping (one per file in a process) instead of opening the one at the path.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from .sqlite_common import MEMORY
from .sqlite_watch import NO_FILE_ERRNOS, FileCheck, start_watch
from .sqlite_watch import Files as Files, file_changed as file_changed  # theirs: the check

_log = logging.getLogger(__name__)
_ATTEMPTS = 5  # a file replaced while the writer opens it: open the new one
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)  # (not on Windows)
_EXIT_WAIT_SECONDS = 2.0  # for the writers' locks, at exit (a daemon thread may hold one)


class _Exit:
    """The interpreter's exit, as the writers' exit hooks see it: one wait budget."""

    hooked = False  # our atexit hook is registered
    exiting = False  # it ran: the interpreter exits
    until: float | None = None  # the budget's end, set by the first hook that waits then


def identity(path: str) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the file at `path`; None when there is none (also when
    an ancestor is no directory: the connect then says "unable to open")."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno in NO_FILE_ERRNOS:
            return None
        raise
    return (st.st_dev, st.st_ino)


def open_writer(
    path: str, busy_timeout_ms: int, synchronous: str
) -> tuple[sqlite3.Connection, bool, FileCheck]:
    """A writer connection with every pragma set: (connection, WAL on?, its file check).

    The check (`sqlite_watch.FileCheck`: `check.files` are the identities
    opened) says before each write whether the file is still at the path;
    its watch is set up before the open, so no change after it goes unseen.
    """
    watch = start_watch(path)
    try:
        conn, wal, files = _open_writer(path, busy_timeout_ms, synchronous)
    except BaseException:
        if watch is not None:
            watch.close()
        raise
    return conn, wal, FileCheck(path, files, watch)


def _open_writer(
    path: str, busy_timeout_ms: int, synchronous: str
) -> tuple[sqlite3.Connection, bool, Files]:
    """`open_writer`: (connection, WAL on?, files opened).

    Autocommit (explicit BEGIN IMMEDIATE), busy timeout, foreign keys on, WAL
    and `synchronous` as asked. `files` maps the database and its -wal/-shm
    to (st_dev, st_ino), so a deleted or replaced file can be noticed. The
    file at the path must be the same before the connect, after it, and
    after the first read; a missing file is made first (empty, as the
    connect would make it), so a new file is checked the same way. Replaced
    before the first read: the connection (it touched no sidecar) is closed
    and the file now at the path opened. Replaced after (the connection has
    the old file, a write would go to it and its WAL at the path would be
    replayed into the new one) or while turning WAL on (e.g.
    SQLITE_READONLY_DBMOVED): the sidecars it made are removed too. The
    caller removed the previous generation's sidecars first. Replaced under
    each of the _ATTEMPTS: OperationalError ("keeps being replaced").
    """
    for _ in range(_ATTEMPTS):
        before = None if path == MEMORY else identity(path) or _create(path)
        try:
            conn, wal, files = _connect_writer(path, busy_timeout_ms, synchronous, before)
        except _Moved:
            continue
        except sqlite3.DatabaseError:
            if before is None or identity(path) == before:
                raise  # not a replace: the error is the caller's
            continue  # replaced under the open (it made no sidecar: WAL was not on)
        if path == MEMORY or before is None or files.get(path) == before:  # None: can't make it
            return conn, wal, files
        remove_stale_sidecars(files, path)  # replaced under the connect: while still open,
        conn.close()  # so no other file has their inode numbers yet; then try again
    # Replaced under every attempt: a connection whose file is not the one named
    # would write to the old file, and nothing would ever notice (its identity
    # is the new file's). Refuse, and let the caller try again later: named
    # SQLITE_BUSY, so a store answers UNAVAILABLE ("try again"), not DB_ERROR.
    refused = sqlite3.OperationalError(
        f"{path}: the file keeps being replaced while it is opened ({_ATTEMPTS} attempts)"
    )
    refused.sqlite_errorcode, refused.sqlite_errorname = sqlite3.SQLITE_BUSY, "SQLITE_BUSY"
    raise refused


class _Moved(Exception):
    """The path holds another file than the one the connection just opened."""


def _create(path: str) -> tuple[int, int] | None:
    """Make a missing database file, empty, and name it; None if it cannot be made
    (the connect then says why). Without it the connect would make the file, and
    a replace right after could not be told from the file it made."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | _O_CLOEXEC, 0o644)  # never truncates
    except OSError:
        return None
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return (st.st_dev, st.st_ino)


def _connect_writer(
    path: str, busy_timeout_ms: int, synchronous: str, expected: tuple[int, int] | None
) -> tuple[sqlite3.Connection, bool, Files]:
    files: Files = {}
    wal = False
    conn = sqlite3.connect(
        path,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,  # autocommit; explicit BEGIN IMMEDIATE
        check_same_thread=False,
        cached_statements=256,
    )
    if expected is not None and identity(path) != expected:
        conn.close()  # it read the header only: no -wal/-shm opened yet
        raise _Moved
    try:
        conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        conn.execute("PRAGMA foreign_keys=ON")
        if path != MEMORY:
            mode = _switch_to_wal(conn, busy_timeout_ms)
            wal = mode is not None and str(mode[0]).lower() == "wal"
            # A first read creates -wal/-shm (and rejects a non-database).
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
            for name in (path, f"{path}-wal", f"{path}-shm"):
                with contextlib.suppress(FileNotFoundError):
                    st = os.stat(name)
                    files[name] = (st.st_dev, st.st_ino)
        conn.execute(f"PRAGMA synchronous={synchronous}")
    except BaseException:
        conn.close()
        raise
    return conn, wal, files


def _switch_to_wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> Any:
    """`PRAGMA journal_mode=WAL`, tried again while other openers hold the file.

    Processes starting together on a new file each read its header and then
    ask for the exclusive lock the switch needs; SQLite answers all but one
    SQLITE_BUSY at once, without waiting in its busy handler (it would be a
    deadlock), so "database is locked" reached concurrent starts (32 of 400
    opens, four processes at a time). Within the busy timeout, try again.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    pause = 0.001
    while True:
        try:
            return conn.execute("PRAGMA journal_mode=WAL").fetchone()
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def open_follower(
    path: str,
    opened: tuple[int, int] | None,
    connect: Callable[[], sqlite3.Connection],
    setup: Callable[[sqlite3.Connection], None],
) -> sqlite3.Connection | None:
    """A reader or inline writer on the writer's generation `opened`; None when
    the file at the path is not that one any more (then the writer reopens).

    Call it with the generation's lock held, the generation's writer open.
    `connect()` opens the file but reads nothing; `setup` sets pragmas; then a
    first read maps the `-shm`, only once the path is known to be the
    generation's file (which our writer holds open: its inode is not reused).
    """
    conn = connect()
    try:
        if opened is not None and identity(path) != opened:
            conn.close()  # nothing read: it mapped nothing, touched no sidecar
            return None
        setup(conn)
        conn.execute("PRAGMA schema_version").fetchall()  # the first read
    except BaseException:
        conn.close()
        raise
    return conn


def remove_stale_sidecars(files: Files, path: str) -> None:
    """Unlink OUR old -wal/-shm after the file was replaced or deleted.

    SQLite leaves them when the file was unlinked under it, and would replay
    that stale WAL into the new file, and truncate that -shm under our old
    connections. Unlinked, not truncated: old connections keep valid
    mappings. The -shm first: a -wal alone is never taken with a stale index.
    Only files with the inode we opened are removed, so another file's
    sidecars are never touched.
    """
    for name in (f"{path}-shm", f"{path}-wal"):
        opened = files.get(name)
        if opened is None:
            continue
        try:
            st = os.stat(name)
            if (st.st_dev, st.st_ino) == opened:
                os.remove(name)
        except OSError as exc:
            if exc.errno not in NO_FILE_ERRNOS:  # else: none at the path
                _log.warning("cannot remove stale %s", name, exc_info=True)


def guard_sidecars(
    owner: object, lock: threading.Lock, conn: sqlite3.Connection, files: Files, path: str
) -> weakref.finalize[Any, Any]:
    """When `owner` is collected, or the process exits, with the writer `conn`
    never closed: unlink our old -wal/-shm if the file was replaced.

    Else the next opener of the path replays our old WAL into the restored file
    (SQLite neither checkpoints nor deletes the WAL of a file that moved). The
    hook holds `conn` (so the sidecars stay ours, open, until it has run) and
    `lock` (the writer's), never `owner`: a database nobody holds is still
    collected. `detach()` it when the writer is closed.
    """
    hook = weakref.finalize(owner, _unlink_if_replaced, lock, conn, files, path)
    if not _Exit.hooked:  # registered after finalize's own atexit hook: runs before it
        _Exit.hooked = True
        atexit.register(setattr, _Exit, "exiting", True)
    return hook


def _unlink_if_replaced(
    lock: threading.Lock, conn: sqlite3.Connection, files: Files, path: str
) -> None:
    # The writer's lock: no reopen runs meanwhile (it could close `conn`, and its
    # new open reuse those inode numbers). Collected: nobody holds the lock. At
    # exit a daemon thread may: wait only for a replaced file, and all the
    # hooks together at most _EXIT_WAIT_SECONDS.
    if not file_changed(path, files):
        return
    wait = _EXIT_WAIT_SECONDS
    if _Exit.exiting:  # what is left of the one budget, counted from the first wait
        if _Exit.until is None:
            _Exit.until = time.monotonic() + _EXIT_WAIT_SECONDS
        wait = max(0.0, _Exit.until - time.monotonic())
    if not lock.acquire(timeout=wait):
        _log.warning("%s: the writer is busy; its stale sidecars may stay", path)
        return
    try:
        if file_changed(path, files):
            remove_stale_sidecars(files, path)
    finally:
        lock.release()
