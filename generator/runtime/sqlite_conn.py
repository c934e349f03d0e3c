"""Opening the writer connection, and the inline read and write connections.

Kept apart from SqliteDatabase's API: how a connection is made (one hop with
its pragmas), how a deleted or replaced file is noticed, and the per-thread
connections that serve point reads, and single writes while nothing else is
waiting, without a thread hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import aiosqlite

from .sqlite_common import MEMORY, is_select
from .sqlite_files import open_follower, open_writer
from .sqlite_watch import NO_FILE, FileCheck
from .sqlite_worker import _EXIT_WAIT_SECONDS, _LIVE, _Batcher
from .turns import TransactionTurns

_T = TypeVar("_T")
_log = logging.getLogger(__name__)
# An inline write blocks the event loop for its commit (the fsync). When the
# moving average of those commits exceeds this (a slow or busy disk; a lone
# spike does not), the next _INLINE_PAUSE_WRITES writes take the worker
# thread, which does not block the loop, and then inline writes are retried.
INLINE_WRITE_BUDGET_S = 0.002
_INLINE_PAUSE_WRITES = 1000
_COST_WEIGHT = 0.05  # of the newest commit in the moving average (~20 writes)
# A statement still running after this long on the loop (a bulk UPDATE or
# DELETE of a named query) is interrupted, rolled back by SQLite, and run
# again on the worker thread: an inline write never holds the loop for long.
INLINE_STATEMENT_BUDGET_S = 0.005
_PROGRESS_STEPS = 1000  # SQLite VM steps between two looks at the clock
_monotonic = time.monotonic  # the interrupt's clock; tests may replace `time`
# The inline writer never checkpoints (a checkpoint copies the WAL into the
# database file and fsyncs it: milliseconds on the loop). Every this many
# inline writes, a PASSIVE checkpoint is queued on the worker thread instead.
# Often, so the WAL stays small (its file peaked at 1.25 MiB over 2,000 inserts
# into a table with 5 indexes) and is reused from its start: a commit that must grow the WAL file
# costs a longer fsync (measured: inserts into a fresh file ran 1.27x the
# hand-written baseline with a checkpoint every 100 writes, 1.45x every 25).
CHECKPOINT_EVERY = 32


# An inline read looks whether the file was deleted or replaced (sqlite_watch,
# ~0.5 us; a stat: ~0.8) at most this often; in between it reads the file it has open. A
# write always looks first (no write ever goes to an unlinked file), so a
# replaced file is read at the latest this long after the swap, or at once
# after the next write.
READ_RECHECK_S = 0.001


class _PerThread(threading.local):
    """A thread's inline connections; replaced whole by `_new_generation`."""

    reader: sqlite3.Connection | None = None
    cursor: sqlite3.Cursor | None = None  # on `reader`, reused read after read
    writer: sqlite3.Connection | None = None


# Several threads may each run an event loop on one database (`shared()`), so
# one may close it (or reopen a replaced file) while another reads or writes
# inline. sqlite3 does not guard that: closing a connection in the middle of
# another thread's `execute` crashed the interpreter. So `_idle` holds every
# inline connection NOT in use (with the deadline list of its progress
# handler); a read or write checks its connection out (`pop`) and back in.
# `_close_readers` swaps in an empty map and closes what the old one holds: the
# idle ones, at once. A read or write in flight sees the swap when it checks in
# and closes its own connection. One dict operation each step (atomic), and
# exactly one side gets each connection, so each is closed once, by its holder.
Idle = dict[sqlite3.Connection, list[float]]


def _check_in(
    self: _Connections, idle: Idle, conn: sqlite3.Connection, deadline: list[float]
) -> None:
    idle[conn] = deadline
    if self._idle is not idle:  # closed or reopened meanwhile: ours to close
        _retire(idle, conn)


def _retire(idle: Idle, conn: sqlite3.Connection) -> None:
    if idle.pop(conn, None) is not None:  # unless the closer took it
        with contextlib.suppress(sqlite3.Error):
            conn.close()


class _FallBack(Exception):
    """An inline write could not run (the database is locked): use the worker."""


class _Connections:
    """SqliteDatabase's connection handling; it owns the state declared here."""

    _path: str
    _options: tuple[int, str, bool]
    # The writer generation's check (sqlite_watch); `.files` are the identities it
    # opened ((st_dev, st_ino) per path). Closed or not yet open: NO_FILE, no files.
    _check: FileCheck = NO_FILE
    _local: _PerThread
    _recheck_at: float  # when an inline read next stats the file (monotonic seconds)
    _idle: Idle  # the inline connections not in use (see above)
    _gate: threading.Lock  # held to swap the writer's generation, and to open on it
    _tx_turns: TransactionTurns
    _conn: aiosqlite.Connection | None
    _batchers: dict[asyncio.AbstractEventLoop, _Batcher]
    _inline_pause: int
    _inline_cost: float
    _inline_since_checkpoint: int
    _wal: bool

    def _inline_reader(self, sql: str) -> sqlite3.Cursor | None:
        """This thread's read cursor, when `sql` may be read inline; else None.

        The slow path of `fetch_one_now` (which uses `self._local.cursor`
        directly while it is set and the file was checked recently): opens the
        reader, and every READ_RECHECK_S looks whether the file was deleted or
        replaced (`_file_changed`). Then it returns None, and the worker path reopens.
        One cursor serves read after read (a cursor per read cost ~0.16 us).
        """
        path = self._path
        if path == MEMORY or self._conn is None or not is_select(sql):
            return None
        owner = self._tx_turns.owner
        if owner is not None and owner is asyncio.current_task():
            return None  # our own transaction: only the writer sees its writes
        now = _monotonic()
        if now >= self._recheck_at:
            if self._file_changed():
                return None  # deleted or replaced: the threaded path reopens
            self._recheck_at = now + READ_RECHECK_S
        local = self._local
        if local.reader is not None:
            if local.cursor is None:
                try:
                    local.cursor = local.reader.cursor()
                except sqlite3.ProgrammingError:  # closed by another loop's close() just now
                    local.reader = None
                    return None
            return local.cursor
        try:
            with self._gate:  # on the writer's generation only (sqlite_files.py)
                if self._conn is None:
                    return None
                reader = open_follower(path, self._check.files.get(path), self._connect, _read_only)
                if reader is None:  # replaced: the threaded path reopens
                    return None
                cursor = reader.cursor()  # before `_idle` has it: a close may take it there
                self._idle[reader] = [0.0]
        except sqlite3.Error:
            return None
        local.reader, local.cursor = reader, cursor
        return cursor

    def _connect(self) -> sqlite3.Connection:
        """An inline connection: busy_timeout=0 (a locked database falls back to
        the worker at once, the loop never waits), autocommit, statements cached."""
        return sqlite3.connect(
            self._path,
            timeout=0,
            isolation_level=None,  # each statement is its own transaction
            check_same_thread=False,  # closed from close(), maybe on another thread
            cached_statements=256,
        )

    def _new_generation(self) -> None:
        """Forget every thread's inline connections (after a close or a reopen).

        A fresh `_PerThread` makes every thread open new ones; the old ones
        are closed by `_close_readers` (the idle ones) or by their threads.
        """
        self._local = _PerThread()
        self._recheck_at = 0.0

    def _idle_writer(self) -> sqlite3.Connection | None:
        """This thread's write connection, when a write may run inline; else None.

        Inline only when the write would make nobody wait: no transaction is
        open, this loop has no job on the worker and nothing queued, no other
        task is ready to run, and recent inline commits were fast. Otherwise
        the write takes the worker, where concurrent writes share one commit.
        """
        if self._inline_pause:
            self._inline_pause -= 1
            return None
        if self._tx_turns.owner is not None or self._conn is None or not self._wal:
            return None
        loop = asyncio.get_running_loop()
        if getattr(loop, "_ready", True):  # other callbacks are due (or unknown loop)
            return None
        batcher = self._batchers.get(loop)
        if batcher is not None and (batcher.in_flight or batcher.pending):
            return None
        if self._file_changed():
            return None  # the worker path reopens the file
        local = self._local
        writer: sqlite3.Connection | None = local.writer
        if writer is not None:
            return writer
        deadline = [float("inf")]  # set by _write_inline before each statement
        setup = partial(_inline_writer, self._options[1], deadline)
        try:
            with self._gate:  # on the writer's generation only (sqlite_files.py)
                if self._conn is None:
                    return None
                writer = open_follower(
                    self._path, self._check.files.get(self._path), self._connect, setup
                )
                if writer is None:
                    return None
                self._idle[writer] = deadline
        except sqlite3.Error:
            return None
        local.writer = writer
        return writer

    def _write_inline(
        self, writer: sqlite3.Connection, op: Callable[[sqlite3.Connection], _T]
    ) -> _T:
        """Run one autocommitted write on the loop thread; _FallBack if it is locked.

        With busy_timeout=0 a locked database fails before the statement
        changes anything, and a statement interrupted for running too long is
        rolled back by SQLite, so in both cases the caller can safely run it
        again on the worker. Closed by another thread meanwhile: _FallBack too.
        """
        idle = self._idle
        deadline = idle.pop(writer, None)  # checked out: no close() closes it under us
        if deadline is None:
            self._local.writer = None
            raise _FallBack
        deadline[0] = _monotonic() + INLINE_STATEMENT_BUDGET_S
        started = time.perf_counter()
        try:
            value = op(writer)
        except BaseException as exc:
            if writer.in_transaction:
                writer.execute("ROLLBACK")
            name = getattr(exc, "sqlite_errorname", "")
            if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or (
                name == "SQLITE_INTERRUPT" and _monotonic() > deadline[0]
            ):
                raise _FallBack from exc
            raise
        finally:
            _check_in(self, idle, writer, deadline)
        cost = self._inline_cost
        cost += (time.perf_counter() - started - cost) * _COST_WEIGHT
        if cost > INLINE_WRITE_BUDGET_S:
            self._inline_pause, cost = _INLINE_PAUSE_WRITES, 0.0
        self._inline_cost = cost
        self._inline_since_checkpoint += 1
        if self._inline_since_checkpoint >= CHECKPOINT_EVERY:
            self._inline_since_checkpoint = 0
            self._checkpoint_on_worker()
        return value

    def _checkpoint_on_worker(self) -> None:
        """Queue a PASSIVE checkpoint on the worker; nobody waits for it.

        PASSIVE never blocks readers or writers: it copies what it can. If it
        fails (the database is busy, a transaction began first), the next one
        catches up, and SQLite's own auto-checkpoint on the worker remains.
        Under synchronous=FULL (or EXTRA) it goes through the batcher, so the
        next write waits for it on the worker: inline writes beside it (their
        WAL fsyncs against its database fsync) cost 30-35% of the insert rate.
        Without a WAL fsync per commit it goes straight onto the worker's
        queue and the next write runs inline beside it (through the batcher,
        every 32nd write took a hop: ~4 us a write on average under OFF).
        """
        conn = self._conn
        if conn is None or not conn._running:
            return
        if self._options[1] not in ("FULL", "EXTRA"):
            conn._tx.put_nowait((None, partial(_checkpoint_job, conn)))
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        done.add_done_callback(_ignore_outcome)
        self._batcher(loop, conn).submit(_passive_checkpoint, done, 0)

    def _batcher(self, loop: asyncio.AbstractEventLoop, conn: aiosqlite.Connection) -> _Batcher:
        """The queue of `loop`'s calls to the worker of `conn` (a new one after a reopen)."""
        batcher = self._batchers.get(loop)
        if batcher is None or batcher.conn is not conn:
            batcher = self._batchers[loop] = _Batcher(loop, conn)
        return batcher

    def _inline_failed(self, cursor: sqlite3.Cursor, exc: BaseException, idle: Idle) -> None:
        """After a failed inline read (its reader checked out of `idle`): keep the
        reader on BUSY; else close it (its statement and read snapshot end with it)."""
        reader = cursor.connection
        if getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            _check_in(self, idle, reader, [0.0])
            return
        with contextlib.suppress(sqlite3.Error):
            cursor.close()
        with contextlib.suppress(sqlite3.Error):
            reader.close()
        if self._local.reader is reader:
            self._local.reader = self._local.cursor = None

    def _lost_reader(self) -> None:
        """This thread's reader was closed by another thread: open a new one next time."""
        self._local.reader = self._local.cursor = None

    def _end_statement(self, cursor: sqlite3.Cursor) -> None:
        """A read that had more rows: close its cursor (the statement ends, no
        read snapshot lingers on the idle connection); the next read makes one."""
        cursor.close()
        if self._local.cursor is cursor:
            self._local.cursor = None

    def _close_readers(self) -> None:
        """Close every idle inline connection now; one in use is closed by its thread."""
        idle, self._idle = self._idle, {}
        while idle:
            try:
                conn, _ = idle.popitem()
            except KeyError:  # its thread took the last one meanwhile
                break
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _file_changed(self) -> bool:
        """Whether the file we opened is gone or replaced (`sqlite_watch.FileCheck`)."""
        return self._check.changed()

    async def _open(self) -> tuple[aiosqlite.Connection, FileCheck]:
        # `connect` must not hold `self` nor, once opened, the check: aiosqlite
        # keeps it (and its worker thread, the last job) for as long as the
        # worker runs, so a store dropped unclosed would never be collected and
        # its watch never closed (its inotify instance is the user's).
        opened: list[tuple[bool, FileCheck]] = []
        path, (busy_timeout_ms, synchronous, _) = self._path, self._options

        def connect() -> sqlite3.Connection:  # on the worker: one hop with pragmas
            conn, wal, check = open_writer(path, busy_timeout_ms, synchronous)
            opened.append((wal, check))
            return conn

        # aiosqlite.connect() would need a second hop for the pragmas.
        conn = aiosqlite.Connection(connect, 64)
        conn._thread.daemon = True  # an unclosed store must not block exit
        try:
            await conn
        except Exception:
            for _, check in opened:
                check.close()
            # A failed connect queues a stop that replies to this loop; let it
            # land before the caller's loop may close.
            await asyncio.to_thread(conn._thread.join, _EXIT_WAIT_SECONDS)
            raise
        self._wal, check = opened.pop()
        _LIVE[conn] = (self._path, check.files)
        return conn, check


def _read_only(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA query_only=ON")


def _inline_writer(synchronous: str, deadline: list[float], conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # the worker checkpoints
    conn.set_progress_handler(lambda: _monotonic() > deadline[0], _PROGRESS_STEPS)


def _passive_checkpoint(conn: sqlite3.Connection) -> None:
    if not conn.in_transaction:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _checkpoint_job(conn: aiosqlite.Connection) -> None:
    """On the worker, between two jobs: the checkpoint, a failure only logged."""
    raw = conn._connection
    try:
        if raw is not None:
            _passive_checkpoint(raw)
    except sqlite3.Error:
        _log.debug("background checkpoint failed", exc_info=True)


def _ignore_outcome(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        _log.debug("background checkpoint failed", exc_info=future.exception())
