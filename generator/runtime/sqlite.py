"""One persistent SQLite connection per database file, shared by its stores.

Every await on aiosqlite is a thread hop (~90 us), and a connection per call
costs ~760 us, so this keeps one connection open and runs each operation as
ONE hop: a plain function executes on the worker thread's sqlite3 connection
(execute + fetch + commit together). That needs aiosqlite internals
(`_conn`, `_thread`, `_tx`); they are used on purpose with the pinned
aiosqlite==0.22.1, and checked at import so a change fails loudly.

Four things make it faster than one hop per call, without giving up safety:

* Inline point reads. `fetch_one` of a SELECT runs on a read-only sqlite3
  connection ON the event loop thread (no hop), with busy_timeout=0. In WAL
  mode a reader never waits for the writer; on BUSY (an exclusive lock, a WAL
  recovery) or any other error it falls back to the worker. Each inline read
  is its own read transaction, so it sees every write committed before it
  started, ours and other processes'. A task inside `transaction()` never
  reads inline: only the writer sees its uncommitted writes.
* Inline single writes, when nothing would wait for them: no transaction is
  open, nothing of this loop is on the worker, no other callback is due on
  the loop, and inline commits take under 2 ms on average. Same pragmas and
  durability (autocommit, `synchronous` as configured); a locked database
  (busy_timeout=0) falls back to the worker before anything changed, and a
  statement still running after 5 ms is interrupted (SQLite rolls it back)
  and run again on the worker. `inline_writes=False` turns this off.
* Batched hops. Operations submitted while others are queued share one job
  on the worker (plain writes share one COMMIT), and their results come back
  in one wake-up of the loop.
* `transaction()` (in `sqlite_transactions.py`): `async with
  db.transaction():` makes every call of the current task atomic (BEGIN
  IMMEDIATE ... COMMIT, or ROLLBACK on an exception); a nested block is a
  SAVEPOINT. Other tasks' calls wait until it ends, so no foreign statement
  ever runs inside it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import aiosqlite

from .errors import Failure, classify_sqlite_error
from .sqlite_common import OnePerFile, check_options, many, resolve_path, then_fetch
from .sqlite_common import SELECTS as _SELECTS
from .sqlite_files import Files, file_changed
from .sqlite_files import remove_stale_sidecars as _remove_stale_sidecars
from .sqlite_watch import NO_FILE
from .database import NOT_NOW, NotNow
from .sqlite_conn import Idle, _Connections, _FallBack, _PerThread, _monotonic, _retire
from .sqlite_common import script as run_script
from .sqlite_transactions import _Transactions, closed_error
from .turns import TransactionTurns
from .sqlite_common import READ as _READ
from .sqlite_common import WRITE as _WRITE
from .sqlite_common import kind as _kind
from .sqlite_common import execute_one as _execute_one
from .sqlite_common import fetch_all as _fetch_all
from .sqlite_common import fetch_first as _fetch_first
from .sqlite_common import fetch_one as _fetch_one
from .sqlite_worker import _LIVE, ForeignTransaction, _Batcher, stop

_T = TypeVar("_T")
Params = Sequence[object] | Mapping[str, object]
Row = tuple[Any, ...]
_log = logging.getLogger(__name__)
_SHARED: OnePerFile[SqliteDatabase] = OnePerFile("busy_timeout_ms, synchronous, inline_writes")
_AGAIN = 8  # runs of a call whose connection another loop closed under it, each time


class SqliteDatabase(_Transactions, _Connections):
    """A lazily opened, self-healing connection to one SQLite database.

    The constructor is sync and cheap; the connection opens on first use, is
    reopened if the file was deleted or replaced, and is closed at exit.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 5000,
        synchronous: str = "FULL",
        inline_writes: bool = True,
    ) -> None:
        busy_timeout_ms, synchronous = check_options(busy_timeout_ms, synchronous)
        self._path = resolve_path(path)
        self._options = (busy_timeout_ms, synchronous, bool(inline_writes))
        self._inline_pause = 0  # writes left to send to the worker after a slow commit
        self._inline_since_checkpoint = 0
        self._inline_cost = 0.0  # moving average of inline commit times, seconds
        self._wal = False
        self._conn: aiosqlite.Connection | None = None
        # Held (briefly, never across an await) to swap the writer's generation
        # (`_conn`, `_check`) and by an inline connection opening on it
        # (sqlite_files.open_follower). Several loops (threads) may share this object.
        self._gate = threading.Lock()
        # Set while one loop opens (or reopens) the writer: the others wait for it.
        self._opening: concurrent.futures.Future[None] | None = None
        self._batchers: dict[asyncio.AbstractEventLoop, _Batcher] = {}
        # Inline readers and writers: one per thread, forgotten by _new_generation().
        self._local = _PerThread()
        self._recheck_at = 0.0
        self._idle: Idle = {}
        # The task whose transaction is open on the writer, if any.
        self._tx_turns = TransactionTurns(self._gate)
        self._tx_depth = 0
        self._tx_conn: aiosqlite.Connection | None = None

    @classmethod
    def shared(
        cls,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 5000,
        synchronous: str = "FULL",
        inline_writes: bool = True,
    ) -> SqliteDatabase:
        """The one instance for this file (":memory:" is always private)."""
        db = cls(
            path,
            busy_timeout_ms=busy_timeout_ms,
            synchronous=synchronous,
            inline_writes=inline_writes,
        )
        return _SHARED.one(db, db._path, db._options)

    @property
    def sql_dialect(self) -> str:
        """The SQL dialect of this database's DDL and migrations: "sqlite"."""
        return "sqlite"

    @property
    def path(self) -> str:
        """The resolved absolute path, or ":memory:"."""
        return self._path

    def __repr__(self) -> str:
        return f"SqliteDatabase({self._path!r})"

    def classify_error(self, exc: BaseException, table: str, operation: str) -> Failure:
        """Map what this driver raised to an ErrorCode and a client-safe message."""
        return classify_sqlite_error(exc, table, operation=operation)

    def fetch_one_now(self, sql: str, params: Params) -> Row | None | NotNow:
        """`fetch_one` without an await, when it can be served at once; else NOT_NOW.

        A SELECT runs on this thread's read connection (no thread hop) when
        safe: outside our own transaction, the file checked within the last
        READ_RECHECK_S. NOT_NOW (then `await fetch_one`) when it must take the
        worker. The stores call this first: a point read costs no coroutine.
        """
        cursor = self._local.cursor
        if (
            cursor is None
            or self._tx_turns.owner is not None
            or sql not in _SELECTS
            or _monotonic() >= self._recheck_at
        ):
            cursor = self._inline_reader(sql)  # every check, and now and then the file's
            if cursor is None:
                return NOT_NOW
        idle = self._idle
        reader = cursor.connection
        deadline = idle.pop(reader, None)  # checked out: no close() closes it under us
        if deadline is None:  # closed by another thread (a close, a reopen) meanwhile
            self._lost_reader()
            return NOT_NOW
        try:
            row: Row | None = cursor.execute(sql, params).fetchone()
            if row is not None and cursor.fetchone() is not None:
                self._end_statement(cursor)  # more rows: end the read transaction now
        except sqlite3.DatabaseError as exc:
            self._inline_failed(cursor, exc, idle)  # then take the threaded path
            return NOT_NOW
        except BaseException as exc:  # e.g. KeyboardInterrupt: no snapshot may linger
            self._inline_failed(cursor, exc, idle)
            raise
        idle[reader] = deadline  # checked in
        if self._idle is not idle:  # closed or reopened meanwhile: ours to close
            _retire(idle, reader)
        return row

    async def fetch_one(self, sql: str, params: Params) -> Row | None:
        """The first row; a SELECT is served inline (no thread hop) when safe."""
        found = self.fetch_one_now(sql, params)
        if found is not NOT_NOW:
            return found
        return await self._write(partial(_fetch_one, sql, params), sql)

    async def fetch_all(self, sql: str, params: Params) -> list[Row]:
        return await self._run(partial(_fetch_all, sql, params), _kind(sql))

    async def execute(self, sql: str, params: Params) -> int:
        """Run one statement (autocommitted); return its rowcount."""
        return await self._write(partial(_execute_one, sql, params), sql)

    async def execute_returning(self, sql: str, params: Params) -> Row | None:
        """Run `... RETURNING` to completion (so it commits); return the first row."""
        return await self._write(partial(_fetch_first, sql, params), sql)

    async def execute_then_fetch(
        self, sql: str, params: Params, read_sql: str, key_at: Sequence[int]
    ) -> Row | None:
        """The write, then a read by the returned key: one hop, one transaction."""
        op = partial(then_fetch, sql, params, read_sql, key_at)
        return await self._run(op, _kind(sql))

    async def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        """Run `sql` for every row in one transaction: all or nothing.

        Alone it is one BEGIN IMMEDIATE ... COMMIT; inside `transaction()` it
        is a savepoint of that transaction.
        """
        batch = list(rows)  # consume the caller's iterable here, not on the worker
        if not batch:
            return 0
        op = partial(many, sql, batch)
        return await self._run(op, _kind(sql))

    async def execute_script(self, script: str) -> None:
        """Run a DDL script in one transaction; it must not BEGIN/COMMIT itself."""
        if self._tx_turns.owner is not None and self._tx_turns.owner is asyncio.current_task():
            raise sqlite3.OperationalError("execute_script cannot run inside transaction()")
        await self._run(partial(run_script, script))

    async def close(self) -> None:
        """Close the connection; idempotent, and the next use reopens it.

        A call of another loop (thread) racing the close runs on the old
        connection before it closes, or again on a new one (`_run`). An open
        transaction (of any task) is not waited for: closing rolls it back,
        and its later statements raise TransactionLost. If the file was
        replaced or deleted, the old file's -wal/-shm are removed while the
        writer still holds them open (SQLite would replay that WAL into whatever
        opens the path next); once closed, their identities are forgotten: the
        filesystem may give their inode numbers to another opener's sidecars.
        """
        with self._gate:  # no inline connection opens on this generation from now on
            conn, self._conn = self._conn, None
            check, self._check = self._check, NO_FILE
            self._new_generation()
        files = check.files
        check.close()
        self._close_readers()
        if conn is not None:
            _LIVE.pop(conn, None)
            self._flush_mine(conn)  # this loop's queued work runs before the close
            if file_changed(self._path, files):  # ours still open: no inode reused
                _remove_stale_sidecars(files, self._path)
            await stop(conn)

    async def __aenter__(self) -> SqliteDatabase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _write(self, op: Callable[[sqlite3.Connection], _T], sql: str) -> _T:
        """One statement: inline when nothing would wait for it, else on the worker."""
        kind = _kind(sql)
        if kind == _WRITE and self._options[2]:  # inline_writes
            writer = self._idle_writer()
            if writer is not None:
                with contextlib.suppress(_FallBack):
                    return self._write_inline(writer, op)
        return await self._run(op, kind)

    async def _run(
        self, fn: Callable[[sqlite3.Connection], _T], kind: int = 0, again: int = _AGAIN
    ) -> _T:
        """Run `fn` on the worker's sqlite3 connection in one hop (or a shared one).

        The single funnel for all SQL on the writer. While another task's
        transaction is open, wait for it to end; then queue `fn`. Calls queued
        while a job is on the worker go together as the next job. `kind`
        (_READ, _WRITE, or 0 for anything else) lets that job group plain
        reads and writes into one transaction: one commit (fsync) for all.
        A call whose connection was closed under it runs again (`_run_again`).
        """
        owner = self._tx_turns.owner
        if owner is not None:
            if owner is asyncio.current_task():
                return await self._in_transaction(fn, kind)
            await self._tx_turns.wait_idle()  # before any (re)open: never under another's transaction
        conn = self._conn
        if conn is None or self._file_changed():
            conn = await self._connection()
            if self._tx_turns.owner is not None:  # another task began one meanwhile
                return await self._run(fn, kind, again)
        files = self._check.files  # the generation `fn` runs on
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        self._batcher(loop, conn).submit(fn, future, kind)  # as `_submit`, one frame less
        try:
            return await future
        except ForeignTransaction:  # queued behind another loop's BEGIN: nothing of it ran
            return await self._run(fn, kind, self._refused(again))
        except (ValueError, sqlite3.DatabaseError) as exc:
            if not self._run_again(conn, files, exc, kind, again):
                raise
        return await self._run(fn, kind, again - 1)  # on the file, and connection, now open

    async def _submit(
        self, conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], _T], kind: int
    ) -> _T:
        """Queue `fn` on `conn`'s worker (this loop's batcher) and await its outcome."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        self._batcher(loop, conn).submit(fn, future, kind)
        return await future

    def _run_again(
        self,
        conn: aiosqlite.Connection,
        files: Files,
        exc: BaseException,
        kind: int,
        again: int,
    ) -> bool:
        """Whether a call that failed on `conn` (opened as `files`) may run again.

        When the connection was closed under it (another loop's close() or
        reopen: nothing of it ran, its job found the worker stopped; up to
        _AGAIN times), and once when a read failed because the file it read
        was replaced under it. Any other failure is the call's own.
        """
        if again <= 0:
            return False
        if closed_error(exc):
            return conn is not self._conn
        return kind == _READ and again == _AGAIN and file_changed(self._path, files)

    def _flush_mine(self, conn: aiosqlite.Connection) -> None:
        """Queue this loop's pending calls on `conn` now (before its close is queued).

        Other loops' batchers belong to their threads: their calls find the
        worker stopped and run again on the next connection.
        """
        batcher = self._batchers.get(asyncio.get_running_loop())
        if batcher is not None and batcher.conn is conn:
            batcher.flush()
        for loop, other in self._batchers.copy().items():  # let closed loops go
            if other.conn is conn:
                self._batchers.pop(loop, None)

    async def _connection(self) -> aiosqlite.Connection:
        """The writer, opened on first use and again when the file was replaced.

        One loop opens it; other loops (threads) that need it meanwhile wait
        for that one, so a replacement opens one writer, not one per loop.
        """
        while True:
            with self._gate:
                conn = self._conn
                if conn is not None and not self._file_changed():
                    return conn
                waiting = self._opening
                if waiting is None:
                    stale, files = conn, self._check.files
                    opening: concurrent.futures.Future[None] = concurrent.futures.Future()
                    self._opening = opening
                    if stale is not None:  # retire the generation: no inline opens on it
                        self._conn = None
                        self._new_generation()
            if waiting is None:
                break
            await asyncio.shield(asyncio.wrap_future(waiting))  # a cancel stays ours
        try:
            if stale is not None:
                _log.warning("%s was deleted or replaced; reopening it", self._path)
                self._close_readers()
                _LIVE.pop(stale, None)
                self._flush_mine(stale)
                # Before anything opens the new file, and while `stale` holds the old
                # sidecars open (closed, their inode numbers could be another's).
                _remove_stale_sidecars(files, self._path)
                try:
                    await stop(stale)
                except Exception:
                    _log.warning("closing the stale connection failed", exc_info=True)
            new, check = await self._open()
            with self._gate:
                self._check.close()  # the stale generation's, if any
                self._conn, self._check = new, check
                self._new_generation()
            return new
        finally:
            with self._gate:
                self._opening = None
            opening.set_result(None)
