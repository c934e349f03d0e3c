"""One persistent SQLite connection per database file, shared by its stores.

Every await on aiosqlite is a thread hop (~90 us), and a connection per call
costs ~760 us, so this keeps one connection open and runs each operation as
ONE hop: a plain function executes on the worker thread's sqlite3 connection
(execute + fetch + commit together). That needs aiosqlite internals
(`_execute`, `_conn`, `_thread`, `_tx`); they are used on purpose with the
pinned aiosqlite==0.22.1, and checked at import so a change fails loudly.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar, cast

import aiosqlite
import aiosqlite.core

from .errors import Failure, classify_sqlite_error

_T = TypeVar("_T")
Params = Sequence[object] | Mapping[str, object]
Row = tuple[Any, ...]
MEMORY = ":memory:"
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
_EXIT_WAIT_SECONDS = 2.0
_log = logging.getLogger(__name__)


def _check_aiosqlite() -> None:
    """Fail at import, with a clear message, if the internals we use moved."""
    probe = aiosqlite.Connection(partial(sqlite3.connect, MEMORY), 64)  # not started
    probe._running = False
    names = ("_thread", "_tx", "_connection", "_running")
    missing = [name for name in names if not hasattr(probe, name)]
    missing += [n for n in ("_execute", "_conn") if not hasattr(type(probe), n)]
    if not hasattr(aiosqlite.core, "_STOP_RUNNING_SENTINEL"):
        missing.append("core._STOP_RUNNING_SENTINEL")
    if missing:
        raise ImportError(
            f"this runtime needs aiosqlite==0.22.1 internals, but aiosqlite "
            f"{aiosqlite.__version__} lacks {', '.join(missing)}"
        )


_check_aiosqlite()
# Open connections, for the exit hook; weak, so a dropped instance is not kept.
_LIVE: weakref.WeakSet[aiosqlite.Connection] = weakref.WeakSet()
_SHARED: dict[str, SqliteDatabase] = {}
_SHARED_LOCK = threading.Lock()


def resolve_path(path: str | os.PathLike[str]) -> str:
    """Normalise a path, `sqlite:///rel`, `sqlite:////abs` or `file:` URI.

    Returns an absolute, symlink-free path (the registry key), or ":memory:".
    """
    text = os.fspath(path)
    if text.startswith("sqlite://"):
        rest = text[len("sqlite://") :]
        if rest in ("", "/", "/" + MEMORY):
            return MEMORY
        if not rest.startswith("/") or "?" in rest:
            raise ValueError(f"expected sqlite:///path or sqlite:////abs/path: {text}")
        text = rest[1:]
    elif text.startswith("file:"):
        parts = urllib.parse.urlsplit(text)
        if parts.query or parts.fragment or parts.netloc not in ("", "localhost"):
            raise ValueError(f"file: URI with a host or parameters: {text}")
        text = urllib.parse.unquote(parts.path)
    if text == MEMORY:
        return MEMORY
    if not text:
        raise ValueError("empty database path")
    return os.path.realpath(text)


class SqliteDatabase:
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
    ) -> None:
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(_SYNCHRONOUS)}")
        if busy_timeout_ms < 0:
            raise ValueError("busy_timeout_ms must be >= 0")
        self._path = resolve_path(path)
        self._options = (int(busy_timeout_ms), synchronous.upper())
        self._conn: aiosqlite.Connection | None = None
        # (st_dev, st_ino) of the file and its -wal/-shm as opened; {} for memory.
        self._files: dict[str, tuple[int, int]] = {}
        # asyncio.Lock binds to one loop: keep one per loop, so sequential
        # asyncio.run() calls (and pytest's per-test loops) each get their own.
        self._open_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def shared(
        cls,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 5000,
        synchronous: str = "FULL",
    ) -> SqliteDatabase:
        """The one instance for this file (":memory:" is always private)."""
        db = cls(path, busy_timeout_ms=busy_timeout_ms, synchronous=synchronous)
        if db._path == MEMORY:
            return db
        with _SHARED_LOCK:
            existing = _SHARED.setdefault(db._path, db)
        if existing._options != db._options:
            raise ValueError(
                f"{db._path} is already open with busy_timeout_ms, synchronous="
                f"{existing._options}; got {db._options}"
            )
        return existing

    @property
    def path(self) -> str:
        """The resolved absolute path, or ":memory:"."""
        return self._path

    def __repr__(self) -> str:
        return f"SqliteDatabase({self._path!r})"

    def classify_error(self, exc: BaseException, table: str, operation: str) -> Failure:
        """Map what this driver raised to an ErrorCode and a client-safe message."""
        return classify_sqlite_error(exc, table, operation=operation)

    async def fetch_one(self, sql: str, params: Params) -> Row | None:
        def op(conn: sqlite3.Connection) -> Row | None:
            cursor = conn.execute(sql, params)
            try:
                row: Row | None = cursor.fetchone()
                return row
            finally:
                cursor.close()  # ends the statement, so no read snapshot lingers

        return await self._run(op)

    async def fetch_all(self, sql: str, params: Params) -> list[Row]:
        def op(conn: sqlite3.Connection) -> list[Row]:
            rows: list[Row] = conn.execute(sql, params).fetchall()
            return rows

        return await self._run(op)

    async def execute(self, sql: str, params: Params) -> int:
        """Run one statement (autocommitted); return its rowcount."""

        def op(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(sql, params)
            count = cursor.rowcount
            cursor.close()
            return count

        return await self._run(op)

    async def execute_returning(self, sql: str, params: Params) -> Row | None:
        """Run `... RETURNING` to completion (so it commits); return the first row."""

        def op(conn: sqlite3.Connection) -> Row | None:
            rows: list[Row] = conn.execute(sql, params).fetchall()
            return rows[0] if rows else None

        return await self._run(op)

    async def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        """Run `sql` for every row in one IMMEDIATE transaction: all or nothing."""
        batch = list(rows)  # consume the caller's iterable here, not on the worker
        if not batch:
            return 0

        def op(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade
            try:
                count = conn.executemany(sql, batch).rowcount
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return count

        return await self._run(op)

    async def execute_script(self, script: str) -> None:
        """Run a DDL script in one transaction; it must not BEGIN/COMMIT itself."""

        def op(conn: sqlite3.Connection) -> None:
            try:
                conn.executescript(f"BEGIN IMMEDIATE;\n{script}\n;\nCOMMIT;")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if conn.in_transaction:  # e.g. an unclosed /* swallowed the COMMIT
                conn.execute("ROLLBACK")
                raise sqlite3.OperationalError("schema script is incomplete")

        await self._run(op)

    async def close(self) -> None:
        """Close the connection; idempotent, and the next use reopens it."""
        conn, self._conn, self._files = self._conn, None, {}
        if conn is not None:
            _LIVE.discard(conn)
            await conn.close()

    async def __aenter__(self) -> SqliteDatabase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run `fn` on the worker's sqlite3 connection in one hop.

        The single funnel for all SQL: batching, a read connection or
        transactions can later be added here without touching callers.
        """
        conn = await self._connection()
        execute = cast(Callable[[Callable[[], _T]], Awaitable[_T]], conn._execute)
        return await execute(lambda: fn(conn._conn))

    async def _connection(self) -> aiosqlite.Connection:
        conn = self._conn
        if conn is not None and not self._file_changed():
            return conn
        loop = asyncio.get_running_loop()
        async with self._open_locks.setdefault(loop, asyncio.Lock()):
            if self._conn is not None and self._file_changed():
                _log.warning("%s was deleted or replaced; reopening it", self._path)
                files = self._files
                try:
                    await self.close()
                except Exception:
                    _log.warning("closing the stale connection failed", exc_info=True)
                _remove_stale_sidecars(files, self._path)
            if self._conn is None:
                self._conn, self._files = await self._open()
            return self._conn

    def _file_changed(self) -> bool:
        """Whether the file we opened is gone or replaced (one cheap stat)."""
        opened = self._files.get(self._path)
        if opened is None:  # :memory:
            return False
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return True
        except OSError:
            return False  # let the operation itself report the problem
        return (st.st_dev, st.st_ino) != opened

    async def _open(self) -> tuple[aiosqlite.Connection, dict[str, tuple[int, int]]]:
        files: dict[str, tuple[int, int]] = {}
        busy_timeout_ms, synchronous = self._options

        def connect() -> sqlite3.Connection:  # on the worker: one hop with pragmas
            conn = sqlite3.connect(
                self._path,
                timeout=busy_timeout_ms / 1000,
                isolation_level=None,  # autocommit; explicit BEGIN IMMEDIATE
                check_same_thread=False,
            )
            try:
                conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
                conn.execute("PRAGMA foreign_keys=ON")
                if self._path != MEMORY:
                    conn.execute("PRAGMA journal_mode=WAL").fetchall()
                    # A first read creates -wal/-shm (and rejects a non-database).
                    conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
                    for name in (self._path, f"{self._path}-wal", f"{self._path}-shm"):
                        with contextlib.suppress(FileNotFoundError):
                            st = os.stat(name)
                            files[name] = (st.st_dev, st.st_ino)
                conn.execute(f"PRAGMA synchronous={synchronous}")
            except BaseException:
                conn.close()
                raise
            return conn

        # aiosqlite.connect() would need a second hop for the pragmas.
        conn = aiosqlite.Connection(connect, 64)
        conn._thread.daemon = True  # an unclosed store must not block exit
        try:
            await conn
        except Exception:
            # A failed connect queues a stop that replies to this loop; let it
            # land before the caller's loop may close.
            await asyncio.to_thread(conn._thread.join, _EXIT_WAIT_SECONDS)
            raise
        _LIVE.add(conn)
        return conn, files


def _remove_stale_sidecars(files: dict[str, tuple[int, int]], path: str) -> None:
    """Delete OUR old -wal/-shm after the file was replaced or deleted.

    SQLite leaves them when the file was unlinked under it, and would replay
    that stale WAL into the new file. Only files with the inode we opened are
    removed, so another file's WAL is never touched.
    """
    for name, opened in files.items():
        if name == path:
            continue
        try:
            st = os.stat(name)
            if (st.st_dev, st.st_ino) == opened:
                os.remove(name)
        except FileNotFoundError:
            pass
        except OSError:
            _log.warning("cannot remove stale %s", name, exc_info=True)


def _stop_worker(conn: aiosqlite.Connection) -> object:
    """Runs on the worker: close sqlite3, then tell the worker loop to end."""
    raw, conn._connection = conn._connection, None
    try:
        if raw is not None:
            raw.close()
    except Exception:
        pass  # the process is exiting; the data is already committed
    return aiosqlite.core._STOP_RUNNING_SENTINEL


@atexit.register
def _close_all_at_exit() -> None:
    """Best-effort close of connections nobody closed, bounded in time.

    No event loop runs here, so queue the close straight onto each worker.
    """
    conns = list(_LIVE)
    for conn in conns:
        conn._running = False
        conn._tx.put_nowait((None, partial(_stop_worker, conn)))
    deadline = time.monotonic() + _EXIT_WAIT_SECONDS
    for conn in conns:
        conn._thread.join(max(0.0, deadline - time.monotonic()))
