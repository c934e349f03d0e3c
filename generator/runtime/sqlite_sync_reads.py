"""The sync SQLite engine's reads: a read-only connection per thread, safe to close.

Kept apart from SyncSqliteDatabase's writes: how a thread's reader is found,
used and given back, so that no thread ever closes a connection another
thread is using (sqlite3 does not guard that: closing a connection in the
middle of another thread's `execute` crashed the interpreter).

The protocol. `_readers` maps a thread ident to its reader's cursor. A read
CHECKS OUT its cursor (`pop`: while it reads, the cursor is in no map), runs,
and checks it back in (`readers[me] = cursor`). `close()` (and the reopen of
a replaced file) swaps in an empty map and closes what the old map holds:
exactly the idle readers' connections, at once. A read in flight when the
map was swapped sees it when it checks in, and closes its own reader. Every
step is one dict operation, atomic, and exactly one side (the closer's
`popitem` or the reader's `pop`) gets each cursor, so each connection is
closed once, by whoever holds it. A thread's next read after the swap finds
nothing in the new map and opens a fresh reader. (Dropping references is not
enough: a sqlite3.Connection sits in a reference cycle with its statement
cache, so it would stay open until the garbage collector runs.)

A read that raises anything (a row that cannot be decoded, a
KeyboardInterrupt between execute and fetch) closes its cursor, which ends
the statement and its read snapshot, and its connection; the next read opens
a new one. Otherwise the idle thread's snapshot would pin the WAL. A read
that failed because the file was replaced under it (the path holds another
file than the one its reader opened, `_Reader.generation`), or because its
connection was closed, runs once more, on a reader of the file now at the
path; any other error is raised as it is, even when another thread closed the
database meanwhile (a plain SQL error is never run twice). A
reader opens only on the writer's file (`sqlite_files.open_follower`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from .sqlite_common import MEMORY, SELECTS as _SELECTS
from .sqlite_common import fetch_all as _fetch_all
from .sqlite_common import fetch_one as _fetch_one
from .sqlite_common import is_select
from .sqlite_files import identity, open_follower
from .sqlite_watch import FileCheck

_T = TypeVar("_T")
Params = Sequence[object] | Mapping[str, object]
Row = tuple[Any, ...]
_get_ident = threading.get_ident
_OPEN_ATTEMPTS = 3  # a file replaced again while a reader opens: then read on the writer


class _Reads:
    """SyncSqliteDatabase's reads; it owns the state declared here."""

    _path: str
    _options: tuple[int, str]
    _lock: threading.Lock
    _gate: threading.Lock  # held to swap the writer's generation, and to open on it
    _conn: sqlite3.Connection | None
    _check: FileCheck  # the writer generation's (sqlite_watch): `.files` it opened
    _owner: int  # ident of the thread whose transaction holds the writer
    # Idle read cursors by thread ident (a dead thread's ident, reused by a new
    # thread, reuses its connection); swapped for an empty map by `_close_readers`.
    _readers: dict[int, sqlite3.Cursor]

    @property
    def _opened(self) -> tuple[int, int] | None:
        """(st_dev, st_ino) of the database file the writer opened; None: none open."""
        return self._check.files.get(self._path)

    def _call(self, fn: Callable[[sqlite3.Connection], _T], sql: str | None) -> _T:
        raise NotImplementedError

    def _connection(self) -> sqlite3.Connection:
        raise NotImplementedError

    def fetch_one(self, sql: str, params: Params) -> Row | None:
        """The first row; a SELECT outside this thread's transaction runs on its reader."""
        me = _get_ident()
        readers = self._readers
        cursor = readers.pop(me, None)  # checked out: no close() closes it under us
        if cursor is None or self._owner or sql not in _SELECTS:
            found: Row | None = self._read(me, readers, cursor, sql, params, True)
            return found
        try:
            row: Row | None = cursor.execute(sql, params).fetchone()
            if row is not None and cursor.fetchone() is not None:
                cursor = _spent(cursor)  # more rows: end the statement now, no snapshot lingers
        except sqlite3.DatabaseError as exc:
            _discard(cursor)
            if not self._replaced(cursor, exc):
                raise
            found = self._read(me, self._readers, None, sql, params, True, False)
            return found
        except BaseException:
            _discard(cursor)
            raise
        readers[me] = cursor  # checked in
        if self._readers is not readers:  # closed or reopened meanwhile: ours to close
            _retire(readers, me)
        return row

    def fetch_all(self, sql: str, params: Params) -> list[Row]:
        """Every row of a query."""
        me = _get_ident()
        readers = self._readers
        cursor = readers.pop(me, None)
        if cursor is None or self._owner or sql not in _SELECTS:
            found: list[Row] = self._read(me, readers, cursor, sql, params, False)
            return found
        try:
            rows: list[Row] = cursor.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            _discard(cursor)
            if not self._replaced(cursor, exc):
                raise
            rows = self._read(me, self._readers, None, sql, params, False, False)
            return rows
        except BaseException:
            _discard(cursor)
            raise
        readers[me] = cursor
        if self._readers is not readers:
            _retire(readers, me)
        return rows

    def _read(
        self,
        me: int,
        readers: dict[int, sqlite3.Cursor],
        cursor: sqlite3.Cursor | None,
        sql: str,
        params: Params,
        one: bool,
        retry: bool = True,
    ) -> Any:
        """The reads' slow path: on the writer in our transaction or for a non-SELECT,
        else on this thread's reader (opened here when it has none). A read that
        failed because the file was replaced under it runs once more, on the file
        now at the path (`retry`)."""
        if self._owner == me or not is_select(sql):
            if cursor is not None:  # give the unused reader back
                readers[me] = cursor
                if self._readers is not readers:
                    _retire(readers, me)
            return self._call(partial(_fetch_one if one else _fetch_all, sql, params), sql)
        if cursor is None:
            readers = self._readers  # before the open: a close() during it retires it
            cursor = self._open_reader()
            if cursor is None:  # ":memory:": reads take the writer
                return self._call(partial(_fetch_one if one else _fetch_all, sql, params), sql)
        try:
            cursor.execute(sql, params)
            if one:
                found = cursor.fetchone()
                if found is not None and cursor.fetchone() is not None:
                    cursor = _spent(cursor)
            else:
                found = cursor.fetchall()
        except sqlite3.DatabaseError as exc:
            _discard(cursor)
            if not (retry and self._replaced(cursor, exc)):
                raise
            return self._read(me, self._readers, None, sql, params, one, False)
        except BaseException:
            _discard(cursor)
            raise
        readers[me] = cursor
        if self._readers is not readers:
            _retire(readers, me)
        return found

    def _open_reader(self) -> sqlite3.Cursor | None:
        """A new read cursor on a new read-only connection; None for ":memory:" (or
        a file replaced again and again meanwhile): then the read takes the writer.

        It opens on the writer's generation only (`sqlite_files.open_follower`,
        under `_gate`): when the file at the path is another, the writer reopens
        first (it makes the file, turns WAL on, and unlinks the old -wal/-shm).
        """
        if self._path == MEMORY:
            return None
        for _ in range(_OPEN_ATTEMPTS):
            with self._gate:
                if self._conn is not None:
                    conn = open_follower(self._path, self._opened, self._connect, _read_only)
                    if conn is not None:
                        return conn.cursor()
            with self._lock:
                self._connection()  # opens the writer, or reopens a replaced file
        return None

    def _connect(self) -> sqlite3.Connection:
        """Called under `_gate` by `open_follower`, which checks that the path
        is the generation `_opened` before the first read: it is the reader's."""
        conn = sqlite3.connect(
            self._path,
            timeout=self._options[0] / 1000,
            isolation_level=None,  # each statement is its own read transaction
            check_same_thread=False,  # an idle one is closed by close(), maybe on another thread
            cached_statements=256,
            factory=_Reader,
        )
        conn.generation = self._opened
        return conn

    def _replaced(self, cursor: sqlite3.Cursor, exc: sqlite3.DatabaseError) -> bool:
        """After a failed read: was the file it read replaced (or deleted) under it,
        or its connection closed? Only then does it run again: a plain error (say
        "no such table" while another thread merely close()s) is raised as it is."""
        if isinstance(exc, sqlite3.ProgrammingError) and "closed" in str(exc):
            return True  # the closed-connection error itself
        generation = getattr(cursor.connection, "generation", None)
        return generation is not None and identity(self._path) != generation

    def _close_readers(self) -> None:
        """Close every idle reader now; a reader in use is closed by its thread."""
        readers, self._readers = self._readers, {}
        while readers:
            try:
                _, cursor = readers.popitem()
            except KeyError:  # its thread took the last one back meanwhile
                break
            _discard(cursor)


class _Reader(sqlite3.Connection):
    """A reader's connection, knowing the file (st_dev, st_ino) it was opened on:
    after a failed read, whether the path still holds that file. Only the
    cursor is touched on the reads' hot path, so this costs them nothing."""

    generation: tuple[int, int] | None = None


def _read_only(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA query_only=ON")


def _spent(cursor: sqlite3.Cursor) -> sqlite3.Cursor:
    """Close `cursor` (its statement ends) and return a new one on its connection."""
    cursor.close()
    return cursor.connection.cursor()


def _retire(readers: dict[int, sqlite3.Cursor], me: int) -> None:
    """Close thread `me`'s reader in a map that was swapped out, unless the closer took it."""
    cursor = readers.pop(me, None)
    if cursor is not None:
        _discard(cursor)


def _discard(cursor: sqlite3.Cursor) -> None:
    """Close a reader its caller holds alone: the cursor first (it resets the statement,
    ending any read snapshot), then the connection (its statements are finalized, so
    its file descriptors close now)."""
    with contextlib.suppress(sqlite3.Error):
        cursor.close()
    with contextlib.suppress(sqlite3.Error):
        cursor.connection.close()
