"""The sync SQLite engine (stdlib sqlite3): one database object per file, shared by threads.

What the stores of the `sqlite3` backend run on. No event loop, no thread
hop: every call runs on the caller's thread, so a point read costs what a
hand-written `conn.execute(...).fetchone()` costs plus the store's decode.

The thread model (measured in bench/sync_threads.py; see docs/usage.md):

* Writes go to ONE writer connection behind a lock, with a writer queue: a
  thread appends its write to the queue, then takes the lock; the thread
  that holds it runs every write queued so far, several of them in one
  transaction (a savepoint each, one COMMIT: group commit, the same code as
  the async worker's, `sqlite_common.run_group`). A thread whose write was
  run by another finds it done when it gets the lock. So threads never
  contend inside SQLite (no `database is locked` between them), and under
  load N writes share one fsync. Alone, a write is one autocommitted
  statement, as the hand-written code would run it.
* Reads (a SELECT through `fetch_one` / `fetch_all`) run on a read-only
  connection of the calling thread, without the lock: under WAL a reader
  never waits for the writer, reads of several threads overlap (sqlite3
  releases the GIL while SQLite works), and each read is its own read
  transaction, so it sees every write committed before it. `close()` and the
  reopen of a replaced file never close a reader another thread is using
  (`sqlite_sync_reads.py` says how).
* `with db.transaction():` takes the writer lock for the whole block
  (BEGIN IMMEDIATE ... COMMIT, a SAVEPOINT when nested): the calling
  thread's reads and writes inside run on the writer and see the block's
  writes; other threads' writes wait until the block ends, their reads see
  what was committed before it.

The same pragmas and durability as the async engine (`sqlite_files.open_writer`):
foreign keys on, WAL, busy timeout, `synchronous=FULL` by default. A deleted or
replaced file is noticed by the next write, and by a reader that opens (an
open reader reads the old file until then); see `sqlite_files.py` for how no
connection ever opens the new file next to the old one's -wal/-shm.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from .errors import Failure, TransactionLost, classify_sqlite_error
from .sqlite_common import (
    READ,
    Answer,
    OnePerFile,
    WRITE,
    begin,
    check_options,
    end,
    fetch_first as _fetch_first,
    execute_one as _execute,
    fail_unrun as _fail,
    kind,
    many,
    resolve_path,
    rollback_to,
    run_group,
    run_one,
    run_sql,
    take_queued as _take,
    then_fetch,
)
from .sqlite_common import script as run_script
from .sqlite_files import file_changed, guard_sidecars, open_writer, remove_stale_sidecars
from .sqlite_watch import NO_FILE
from .sqlite_sync_reads import _Reads
from .turns import Turns

__all__ = ["SyncSqliteDatabase"]

_T = TypeVar("_T")
Params = Sequence[object] | Mapping[str, object]
Row = tuple[Any, ...]
_log = logging.getLogger(__name__)
_SHARED: OnePerFile[SyncSqliteDatabase] = OnePerFile("busy_timeout_ms, synchronous")
_get_ident = threading.get_ident
_Call = tuple[Callable[[sqlite3.Connection], Any], Answer, int]  # a queued call


class SyncSqliteDatabase(_Reads):
    """A lazily opened SQLite database, safe to share between threads.

    The constructor is cheap; the writer opens on first use. `close()` closes
    every connection; the next call opens them again.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 5000,
        synchronous: str = "FULL",
    ) -> None:
        self._options = check_options(busy_timeout_ms, synchronous)
        self._path = resolve_path(path)
        self._lock = threading.Lock()  # the writer connection and the queue's runner
        self._turns = Turns(self._lock)  # the lock, fairly: for transactions and queued calls
        # Held to swap the writer's generation (`_conn`, `_check`) and by a reader
        # while it opens on that generation (sqlite_files.open_follower).
        self._gate = threading.Lock()
        self._queue: collections.deque[_Call]
        self._queue = collections.deque()
        self._conn: sqlite3.Connection | None = None
        # Is the file still the one opened? (sqlite_watch) `.files`: the identities
        # ((st_dev, st_ino) per path) the writer opened; NO_FILE: none open.
        self._check = NO_FILE
        self._guard: Any = None  # the writer's exit hook (sqlite_files.guard_sidecars)
        self._owner = 0  # ident of the thread whose transaction holds the lock
        self._depth = 0
        self._readers: dict[int, sqlite3.Cursor] = {}  # idle ones (sqlite_sync_reads)

    @classmethod
    def shared(
        cls, path: str | os.PathLike[str], *, busy_timeout_ms: int = 5000, synchronous: str = "FULL"
    ) -> SyncSqliteDatabase:
        """The one instance for this file in this process (":memory:" is always private)."""
        db = cls(path, busy_timeout_ms=busy_timeout_ms, synchronous=synchronous)
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
        return f"SyncSqliteDatabase({self._path!r})"

    def classify_error(self, exc: BaseException, table: str, operation: str) -> Failure:
        """Map what sqlite3 raised to an ErrorCode and a client-safe message."""
        return classify_sqlite_error(exc, table, operation=operation)

    # ------------------------------------------------------------ writes

    # A write alone (the lock free, nothing queued) runs at once, as `_call`
    # would run it, without building its call: one autocommitted statement.

    def execute(self, sql: str, params: Params) -> int:
        """Run one statement (autocommitted, or in the open transaction); its rowcount."""
        lock = self._lock
        if not self._queue and lock.acquire(False):
            try:
                return _execute(sql, params, self._connection())
            finally:
                lock.release()
        return self._call(partial(_execute, sql, params), sql)

    def execute_returning(self, sql: str, params: Params) -> Row | None:
        """Run `... RETURNING` to completion (so it commits); the first row."""
        lock = self._lock
        if not self._queue and lock.acquire(False):
            try:
                rows: list[Row] = self._connection().execute(sql, params).fetchall()
            finally:
                lock.release()
            return rows[0] if rows else None
        return self._call(partial(_fetch_first, sql, params), sql)

    def execute_then_fetch(
        self, sql: str, params: Params, read_sql: str, key_at: Sequence[int]
    ) -> Row | None:
        """The write, then a read by the returned key, in one transaction."""
        return self._call(partial(then_fetch, sql, params, read_sql, key_at), None)

    def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        """Run `sql` for every row in one transaction (a savepoint inside one): all or nothing."""
        batch = list(rows)
        if not batch:
            return 0
        return self._call(partial(many, sql, batch), None)

    def execute_script(self, script: str) -> None:
        """Run a DDL script in one transaction; it must not BEGIN/COMMIT itself."""
        if self._owner == _get_ident():
            raise sqlite3.OperationalError("execute_script cannot run inside transaction()")
        self._call(partial(run_script, script), None)

    # ------------------------------------------------------------ transactions

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Make every call of this thread inside the block one atomic unit.

        The outermost block is BEGIN IMMEDIATE ... COMMIT; a nested block is a
        SAVEPOINT. An exception leaving a block rolls that block back and
        propagates. Other threads' writes wait until the outermost block ends;
        their reads see what was committed before it. A store method that
        returns a FailedResult inside the block does not roll back.
        """
        return self._transaction(False)

    def migration_transaction(
        self, *, foreign_keys_off: bool = False
    ) -> contextlib.AbstractContextManager[None]:
        """`transaction()` for migrations; `foreign_keys_off` turns FKs off around it."""
        return self._transaction(foreign_keys_off)

    @contextlib.contextmanager
    def _transaction(self, foreign_keys_off: bool) -> Iterator[None]:
        me = _get_ident()
        if self._owner == me:
            if foreign_keys_off:
                raise sqlite3.OperationalError("foreign keys cannot be turned off in a transaction")
            conn = self._writer()
            self._depth += 1
            name = f"storegen_sp{self._depth}"
            try:
                run_sql(f"SAVEPOINT {name}", conn)
                try:
                    yield
                except BaseException:
                    rollback_to(name, conn)
                    raise
                run_sql(f"RELEASE {name}", conn)
            finally:
                self._depth -= 1
            return
        with self._turns:
            conn = self._connection()
            begin(foreign_keys_off, conn)
            self._owner, self._depth = me, 0
            try:
                try:
                    yield
                except BaseException:
                    end(False, foreign_keys_off, conn)
                    raise
                if file_changed(self._path, self._check.files):  # its COMMIT would go to no file
                    end(False, foreign_keys_off, conn)
                    raise TransactionLost()
                end(True, foreign_keys_off, conn)
            finally:
                self._owner = 0

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close every connection (a reader in use: when its read ends); idempotent,
        and the next call opens them again.

        A file replaced (or deleted) under the database leaves our old -wal/-shm
        at the path, and SQLite neither checkpoints nor deletes a WAL whose file
        moved: any later opener would replay the old WAL into the new file. So
        they are unlinked (`_close_all`) while the writer still holds them; then
        every identity is forgotten (closed, their inode numbers may be reused).
        A file replaced during the close itself keeps its old sidecars.

        Inside this thread's own `transaction()` it raises ProgrammingError and
        changes nothing (the lock is the transaction's: taking it would hang);
        from another thread it waits for that transaction to end, then closes.
        """
        if self._owner == _get_ident():
            raise sqlite3.ProgrammingError(
                "close() inside this thread's transaction(): end the transaction first"
            )
        with self._turns:
            self._close_generation()

    def _close_generation(self) -> None:
        """`_close_all`, the stale sidecars of a replaced file unlinked while the writer
        still holds them; then every identity forgotten, replaced or not: once closed,
        their inode numbers may be given to another opener's sidecars."""
        check = self._check
        files = check.files
        self._close_all(files if file_changed(self._path, files) else None)
        with self._gate:
            self._check = NO_FILE
        check.close()

    def _close_all(self, stale: dict[str, tuple[int, int]] | None = None) -> None:
        """Close the writer and the idle readers; a reader in use is closed by its
        thread when its read ends (closing it here could crash the interpreter).
        `stale`: sidecars to unlink once no reader opens on them (one opening
        takes the gate, and would create them anew at the path), while the
        writer still holds them open (their inodes cannot be another file's)."""
        with self._gate:  # no reader opens on this generation from now on
            conn, self._conn = self._conn, None
        if stale is not None:
            remove_stale_sidecars(stale, self._path)
        self._close_readers()
        if conn is not None:
            self._guard.detach()
            conn.close()

    def __enter__(self) -> SyncSqliteDatabase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ the writer

    def _call(self, fn: Callable[[sqlite3.Connection], _T], sql: str | None) -> _T:
        """Run `fn` on the writer: at once in our transaction, else through the queue.

        Uncontended (the lock free, nothing queued) it runs at once, alone: one
        autocommitted statement, as hand-written code would run it. Otherwise
        it is queued, and whoever holds the lock next runs it with the rest;
        `sql` (None: a call of several statements) says whether it may share
        a transaction there (READ / WRITE).
        """
        if self._owner == _get_ident():
            return fn(self._writer())
        lock = self._lock
        if not self._queue and lock.acquire(blocking=False):
            try:
                return fn(self._connection())
            finally:
                lock.release()
        answer = Answer()
        self._queue.append((fn, answer, 0 if sql is None else kind(sql)))
        with self._turns:
            if not answer.done:  # nobody ran it yet: run everything queued
                try:
                    conn = self._connection()
                except BaseException as exc:
                    _fail(_take(self._queue), exc)  # else run later: a retry writes twice
                    raise
                self._run_queue(conn)
        if answer.ok:
            value: _T = answer.value
            return value
        raise answer.value

    def _run_queue(self, conn: sqlite3.Connection) -> None:
        """Under the lock: every queued call, consecutive writes sharing one COMMIT."""
        batch = _take(self._queue)
        try:
            self._run_batch(conn, batch)
        except BaseException as exc:  # no call is left unanswered, none runs later
            _fail([call for call in batch if not call[1].done], exc)
            raise

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Call]) -> None:
        i, n = 0, len(batch)
        while i < n:
            j, writes = i, 0
            while j < n and batch[j][2] in (READ, WRITE):
                writes += batch[j][2] == WRITE
                j += 1
            if writes >= 2 and not conn.in_transaction:
                outcomes = run_group(conn, batch[i:j])
                i = j
            else:
                outcomes = [run_one(conn, batch[i])]
                i += 1
            for answer, ok, value in outcomes:
                answer.ok, answer.value, answer.done = ok, value, True

    def _writer(self) -> sqlite3.Connection:
        conn = self._conn
        if conn is None:  # closed by close() from inside a transaction
            raise sqlite3.ProgrammingError("the database was closed inside a transaction")
        return conn

    def _connection(self) -> sqlite3.Connection:
        """The writer (call with the lock held), opened on first use, and again
        when the file was deleted or replaced under it (checked before every
        write: `sqlite_watch.FileCheck`), so a write never goes to an unlinked
        file. Readers follow: they reopen."""
        conn = self._conn
        if conn is not None:
            if not self._check.changed_alone():  # (the lock we hold serializes it)
                return conn  # the hot path: the same file
            _log.warning("%s was deleted or replaced; reopening it", self._path)
            self._close_generation()
        # (a replaced file's sidecars went in _close_generation)
        busy_timeout_ms, synchronous = self._options
        conn, _, check = open_writer(self._path, busy_timeout_ms, synchronous)
        self._guard = guard_sidecars(self, self._lock, conn, check.files, self._path)
        with self._gate:
            self._conn, self._check = conn, check
        return conn
