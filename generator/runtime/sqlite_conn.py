"""Opening the writer connection, and the inline read connections.

Kept apart from SqliteDatabase's API: how a connection is made (one hop with
its pragmas), how a deleted or replaced file is noticed, and the per-thread
read-only connections that serve point reads without a thread hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from typing import Any

import aiosqlite

from .sqlite_worker import _EXIT_WAIT_SECONDS, _LIVE, MEMORY


class _Connections:
    """SqliteDatabase's connection handling; it owns the state declared here."""

    _path: str
    _options: tuple[int, str]
    _files: dict[str, tuple[int, int]]
    _local: threading.local
    _generation: int
    _readers: set[sqlite3.Connection]
    _readers_lock: threading.Lock
    _tx_owner: asyncio.Task[Any] | None

    def _inline_reader(self) -> sqlite3.Connection | None:
        """This thread's read connection, when an inline read is safe; else None.

        The hot path of every point read: kept to one stat and a few
        attribute reads (the checks of `_file_changed`, inlined).
        """
        path = self._path
        if path == MEMORY:
            return None
        owner = self._tx_owner
        if owner is not None and owner is asyncio.current_task():
            return None  # our own transaction: only the writer sees its writes
        opened = self._files.get(path)
        if opened is not None:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                return None  # deleted: the threaded path reopens
            except OSError:
                pass  # let the read itself report the problem
            else:
                if (st.st_dev, st.st_ino) != opened:
                    return None  # replaced: the threaded path reopens
        local = self._local
        reader: sqlite3.Connection | None = getattr(local, "reader", None)
        if reader is not None and local.generation == self._generation:
            return reader
        if reader is not None:
            self._drop_reader(reader)
        try:
            reader = sqlite3.connect(
                self._path,
                timeout=0,  # busy_timeout=0: never wait on the loop thread
                isolation_level=None,  # each statement is its own read transaction
                check_same_thread=False,  # closed from close(), maybe on another thread
                cached_statements=256,
            )
            reader.execute("PRAGMA query_only=ON")
        except sqlite3.Error:
            return None
        local.reader, local.generation = reader, self._generation
        with self._readers_lock:
            self._readers.add(reader)
        return reader

    def _inline_failed(self, reader: sqlite3.Connection, exc: sqlite3.DatabaseError) -> None:
        """After a failed inline read: keep the reader on BUSY, drop it otherwise."""
        if getattr(exc, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return
        self._drop_reader(reader)
        if getattr(self._local, "reader", None) is reader:
            self._local.reader = None

    def _drop_reader(self, reader: sqlite3.Connection) -> None:
        with self._readers_lock:
            self._readers.discard(reader)
        with contextlib.suppress(sqlite3.Error):
            reader.close()

    def _close_readers(self) -> None:
        with self._readers_lock:
            readers, self._readers = self._readers, set()
        for reader in readers:
            with contextlib.suppress(sqlite3.Error):
                reader.close()

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
