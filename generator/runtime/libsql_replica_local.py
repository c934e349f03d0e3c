"""The replica's local file: the sync process, the read connections, a rebuild.

One sync connection per file (in a child process, see `libsql_replica_sync`),
opened once and synced; local read connections (libsql's own SQLite, never
the stdlib's: two SQLite libraries in one process do not see each other's
POSIX locks, sqlite.org/howtocorrupt.html 2.2.1); and a file that was deleted
or replaced is rebuilt from the primary by the next open.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .database import NOT_NOW, NotNow
from .libsql_replica_driver import Thread, lx
from .libsql_replica_sync import SyncProcess

__all__ = ["ReplicaSyncError"]

_T = TypeVar("_T")
_log = logging.getLogger(__name__)
# Files libsql keeps beside the database; a rebuild removes them all, or the
# next connect refuses ("Can not sync a database without a wal_index").
_SIDECARS = ("-wal", "-shm", "-client_wal_index", "-info")
_CLOSE_TIMEOUT = 5.0
_WRITE_HEADS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_KNOWN_MAX = 4096  # statements classified by their plan, kept (generated SQL is a fixed set)


class ReplicaSyncError(ConnectionError):
    """A sync with the primary failed (unreachable, refused, or timed out)."""


class _LocalFile:
    """LibsqlReplicaDatabase's local file and its connections; it owns this state."""

    def fetch_one_now(self, sql: str, params: Sequence[object]) -> Sequence[Any] | None | NotNow:
        """Always NOT_NOW: every read here is awaited (see `Database.fetch_one_now`)."""
        return NOT_NOW

    def _init_local(
        self, path: str, sync_url: str, token: str, interval: float | None, timeout: float
    ) -> None:
        self._path, self._sync_url, self._token = path, sync_url, token
        self._interval, self._timeout = interval, timeout
        self._syncer: Thread | None = None  # owns the sync process
        self._reader: Thread | None = None  # fetch_all and inline fallbacks
        self._local = threading.local()  # the inline reader of each loop thread
        self._writes_by_plan: dict[str, bool] = {}
        self._generation = 0
        self._inode: tuple[int, int] | None = None
        self._open_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        # The first open in flight: it may outlive a caller's deadline.
        self._opening: tuple[Thread, concurrent.futures.Future[tuple[int, int]]] | None = None

    async def _open(self) -> Thread:
        """The sync thread and its connection; the file is rebuilt when it is gone.

        The first open also syncs once; if that fails, an existing file is
        still read (stale), and a missing one makes the call fail UNAVAILABLE.
        """
        syncer = self._syncer
        if syncer is not None and not self._file_changed():
            return syncer
        loop = asyncio.get_running_loop()
        async with self._open_locks.setdefault(loop, asyncio.Lock()):
            if self._syncer is not None and self._file_changed():
                _log.warning(
                    "%s was deleted or replaced; rebuilding it from the primary", self._path
                )
                await self._close_local()
                for suffix in ("", *_SIDECARS):
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(self._path + suffix)
            if self._syncer is None:
                self._syncer = await self._start_syncer()
            return self._syncer

    async def _start_syncer(self) -> Thread:
        """The sync connection, opened and synced once on its own thread.

        A caller's deadline ends its wait, not the open: a new file replays the
        primary's whole log, which can take longer than one call may. The next
        call waits on the same open, so one file never has two syncers.
        """
        if self._opening is None:
            thread = Thread("storegen-replica-sync")
            self._opening = (thread, thread.submit(self._connect_and_sync))
        thread, opened = self._opening
        try:
            async with asyncio.timeout(self._timeout):
                waiting = asyncio.wrap_future(opened)
                waiting.add_done_callback(_retrieve)  # a caller that gave up won't
                inode = await asyncio.shield(waiting)
        except TimeoutError:
            raise ReplicaSyncError(
                f"cannot open the replica {self._path} yet: its first sync is still"
                f" running after {self._timeout} s"
            ) from None
        except Exception as exc:
            if self._opening is not None and self._opening[1] is opened:
                self._opening = None
                await _end(thread)
            if isinstance(exc, ValueError):
                raise ReplicaSyncError(f"cannot open the replica {self._path}: {exc}") from None
            raise
        if self._opening is None or self._opening[1] is not opened:
            raise ReplicaSyncError(f"the replica {self._path} was closed while it opened")
        self._opening = None
        self._inode = inode
        self._generation += 1
        return thread

    def _connect_and_sync(self, me: Thread) -> tuple[int, int]:
        """On the sync thread: start the sync process, wait for its first sync,
        and name the file by its inode."""
        me.conn = SyncProcess(self._path, self._sync_url, self._token, self._interval)
        if not me.conn.first_sync():
            _log.warning("opening %s stale: the first sync failed", self._path)
        st = os.stat(self._path)
        return (st.st_dev, st.st_ino)

    def _file_changed(self) -> bool:
        if self._inode is None:
            return False
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return (st.st_dev, st.st_ino) != self._inode

    async def _is_write(self, sql: str) -> bool:
        """Whether `sql` writes, so it must run on the primary, never on the file.

        A `:many`/`:one` query may be `UPDATE ... RETURNING` (or `WITH ...
        UPDATE`): the stores send it to fetch_all/fetch_one. A SELECT never
        writes in SQLite and INSERT/UPDATE/DELETE/REPLACE always do; anything
        else (WITH, VALUES, a leading comment) is decided by SQLite itself:
        its plan opens a write transaction or not (what sqlite3_stmt_readonly
        reads), once per statement. Unplannable here (e.g. its table is not
        synced yet): a write, so the primary answers, correct if slower.
        """
        head = sql.lstrip()[:7].upper()
        if head.startswith("SELECT"):
            return False
        if head.startswith(_WRITE_HEADS):
            return True
        known = self._writes_by_plan.get(sql)
        if known is None:
            try:
                plan = await self._read_thread(lambda c: c.execute("EXPLAIN " + sql).fetchall())
            except ValueError:
                return True
            known = any(op[1] == "OpenWrite" or (op[1] == "Transaction" and op[3]) for op in plan)
            if len(self._writes_by_plan) < _KNOWN_MAX:
                self._writes_by_plan[sql] = known
        return known

    def _inline_reader(self) -> Any:
        """This thread's local read connection, if opened for the current file."""
        local = self._local
        reader = getattr(local, "reader", None)
        if reader is not None and local.generation == self._generation:
            return reader
        return None

    async def _open_inline_reader(self) -> Any:
        await self._open()
        reader = _read_only(lx.connect(self._path, isolation_level=None))
        self._local.reader, self._local.generation = reader, self._generation
        return reader

    async def _read_thread(self, fn: Callable[[Any], _T]) -> _T:
        await self._open()
        thread = self._reader
        if thread is None or thread.generation != self._generation:
            if thread is not None:
                thread.stop()
            thread = self._reader = Thread("storegen-replica-read", self._generation)

        def read(me: Thread) -> _T:
            if me.conn is None:
                me.conn = _read_only(lx.connect(self._path, isolation_level=None))
            return fn(me.conn)

        return await thread.run(read)

    async def _close_local(self) -> None:
        """Close every local connection (the threads close theirs before they end)."""
        syncer, self._syncer = self._syncer, None
        reader, self._reader = self._reader, None
        opening, self._opening = self._opening, None
        self._generation += 1
        self._inode = None
        local_reader = getattr(self._local, "reader", None)
        self._local.reader = None
        if local_reader is not None:
            with contextlib.suppress(Exception):
                local_reader.close()
        for thread in (reader, syncer, opening[0] if opening else None):
            if thread is not None:
                await _end(thread)


def _read_only(conn: Any) -> Any:
    """A local connection that cannot write: a write that reached the file would
    fork it from the primary, so SQLite refuses it ("attempt to write a readonly
    database") before it changes anything."""
    conn.execute("PRAGMA query_only = 1")
    return conn


async def _end(thread: Thread) -> None:
    """Stop a thread; a sync process stuck in a sync is killed, so it always ends."""
    if await thread.finish(_CLOSE_TIMEOUT):
        return
    if isinstance(thread.conn, SyncProcess):
        await asyncio.to_thread(thread.conn.kill)
        await thread.finish(_CLOSE_TIMEOUT)


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Take the outcome of an open nobody waits for any more, so asyncio logs nothing."""
    if not future.cancelled():
        future.exception()
