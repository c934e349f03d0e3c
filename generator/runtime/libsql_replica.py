"""A Turso embedded replica: a local file synced from the primary.

Reads run on the local file, writes go to the primary, and `sync()` pulls
the primary's changes into the file (libsql-experimental 0.0.55; the newer
`libsql` 0.1.x cannot sync from sqld 0.24). How each call is served:

* `fetch_one` of a SELECT runs inline on the event loop thread, on a local
  read connection (~15 us, no thread hop). `fetch_all` takes one hop to a
  read thread (a long list must not stall the loop). Reads never wait for the
  network, so they keep working (stale) while the primary is down.
* Writes (`execute*`, and a fetch whose statement writes: `:many` UPDATE ...
  RETURNING) go to the primary through `LibsqlDatabase` (libsql-client). The
  file's own connections are query_only. Concurrent single-statement writes
  share one batch (`libsql_batch`): one request and one transaction there.
* Read-your-writes: a write that shared its batch returns after one sync,
  shared by the whole batch, has pulled it into the file, so reads stay
  local under concurrent writes. A lone write returns as soon as the primary
  committed (a sync would double its time); until a sync that began after it
  has finished, reads go to the primary (one round trip, which starts that
  sync in the background), then they are local again. If the primary cannot
  be reached, they are served from the file, stale, with a warning.
* `transaction()` is the primary's interactive transaction (ws/wss writes
  only; over http it raises `TransactionUnsupported`). The owning task's reads
  go to the primary inside it, so they see the block's own writes.

The file, its connections, what writes: `libsql_replica_local`; threads: `libsql_replica_driver`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from .errors import ErrorCode, Failure
from .libsql import DEFAULT_TIMEOUT, LibsqlDatabase, classify_libsql_error
from .libsql_replica_local import ReplicaSyncError, _LocalFile
from .libsql_batch import BatchedWrite, WriteBatcher
from .libsql_urls import parse_replica_url

__all__ = ["LibsqlReplicaDatabase", "ReplicaSyncError", "parse_replica_url"]

_T = TypeVar("_T")
Row = tuple[Any, ...]
_log = logging.getLogger(__name__)
_SHARED: dict[tuple[str, str], LibsqlReplicaDatabase] = {}
_SHARED_LOCK = threading.Lock()
_STALE: Any = object()  # a remote read failed: read the local file instead
_EXACT_INT = 2**53  # every integer up to this magnitude survives a trip through a float


class LibsqlReplicaDatabase(_LocalFile):
    """A local replica file of a libSQL primary: local reads, forwarded writes.

    `sync_url` is the primary (`libsql://db.turso.io`, or
    `libsql://127.0.0.1:8080?tls=0` for a local sqld: its HTTP port serves
    both the sync and the WebSocket writes). `write_url` sends the writes
    elsewhere (a local sqld's `--hrana-listen-addr` port is faster than the
    WebSocket upgrade of its HTTP port). `sync_interval` (seconds) also syncs
    in the background. `read_your_writes=False` reads the file even while it
    lags our own writes (until the next sync): faster under a write-heavy mix,
    but a read may miss a write that has returned. The constructor does no
    I/O; the first call opens the file and syncs it.
    """

    def __init__(
        self,
        local_path: str | os.PathLike[str],
        sync_url: str,
        *,
        auth_token: str | None = None,
        sync_interval: float | None = None,
        write_url: str | None = None,
        read_your_writes: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if sync_interval is not None and not sync_interval > 0:
            raise ValueError("sync_interval must be > 0 seconds")
        primary = LibsqlDatabase(sync_url, auth_token=auth_token, timeout=timeout)
        http = "https" if primary.url.startswith(("wss:", "https:")) else "http"
        self._init_local(
            os.path.realpath(os.fspath(local_path)),
            urllib.parse.urlunsplit((http, *urllib.parse.urlsplit(primary.url)[1:])),
            primary._auth_token or "",
            sync_interval,
            float(timeout),
        )
        self._remote = (
            primary
            if write_url is None
            else LibsqlDatabase(write_url, auth_token=auth_token, timeout=timeout)
        )
        self._read_your_writes = bool(read_your_writes)
        # Read-your-writes: writes done, writes returned before a sync pulled
        # them, and writes a finished sync has pulled (all counts, monotonic).
        self._written = 0
        self._owed = 0
        self._synced = 0
        self._writes = WriteBatcher(
            self._remote.execute_batch,
            self._remote._execute_alone,
            self._remote.timeout,
            committed=self._count_writes,
        )
        self._sync_task: asyncio.Task[None] | None = None
        self._sync_mark = 0  # writes counted when the running sync started
        self._next_sync: asyncio.Task[None] | None = None

    @classmethod
    def shared(
        cls,
        local_path: str | os.PathLike[str],
        sync_url: str,
        *,
        auth_token: str | None = None,
        sync_interval: float | None = None,
        write_url: str | None = None,
        read_your_writes: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> LibsqlReplicaDatabase:
        """The one instance for this file (two syncers on one file would clash)."""
        db = cls(
            local_path, sync_url, auth_token=auth_token, sync_interval=sync_interval,
            write_url=write_url, read_your_writes=read_your_writes, timeout=timeout,
        )  # fmt: skip
        with _SHARED_LOCK:
            existing = _SHARED.setdefault((db._path, db._sync_url), db)
        return existing

    @classmethod
    def from_url(
        cls, url: str, *, auth_token: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> LibsqlReplicaDatabase:
        """The shared instance for `libsql://host?replica=/path/local.db` (see parse_replica_url)."""
        path, primary, interval = parse_replica_url(url)
        return cls.shared(
            path, primary, auth_token=auth_token, sync_interval=interval, timeout=timeout
        )

    @property
    def path(self) -> str:
        """The local replica file (absolute)."""
        return self._path

    @property
    def url(self) -> str:
        """Where writes go (the primary, as libsql-client sees it)."""
        return self._remote.url

    @property
    def sync_url(self) -> str:
        """Where `sync()` pulls from (the primary's HTTP endpoint)."""
        return self._sync_url

    @property
    def timeout(self) -> float:
        return self._timeout

    def __repr__(self) -> str:
        return f"LibsqlReplicaDatabase({self._path!r}, {self._sync_url!r})"

    def classify_error(self, exc: BaseException, table: str, operation: str) -> Failure:
        """libsql-client errors as for LibsqlDatabase; a failed sync is UNAVAILABLE."""
        return classify_libsql_error(exc, table, operation=operation)

    # ------------------------------------------------------------- reads
    async def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        """The first row, from the local file: a SELECT runs inline on the loop thread."""
        if not sql.startswith("SELECT") and await self._is_write(sql):  # UPDATE ... RETURNING
            return next(iter(await self._write_rows(sql, params)), None)
        if _inexact(params):
            return await self._remote.fetch_one(sql, params)
        if self._remote._in_own_transaction() or self._behind():
            found: Row | None = await self._read_remote(self._remote.fetch_one, sql, params)
            if found is not _STALE:
                return found
        if sql.startswith("SELECT"):
            reader = self._inline_reader() or await self._open_inline_reader()
            try:
                cursor = reader.execute(sql, tuple(params))
                row: Row | None = cursor.fetchone()
                return row
            except ValueError:
                self._local.reader = None  # e.g. busy: the read thread tries again
        found = await self._read_thread(lambda conn: conn.execute(sql, tuple(params)).fetchone())
        return found

    async def fetch_all(self, sql: str, params: Sequence[object]) -> list[Row]:
        """Every row, from the local file, in one hop to the read thread."""
        if not sql.startswith("SELECT") and await self._is_write(sql):  # UPDATE ... RETURNING
            return await self._write_rows(sql, params)
        if _inexact(params):
            return await self._remote.fetch_all(sql, params)
        if self._remote._in_own_transaction() or self._behind():
            found: list[Row] = await self._read_remote(self._remote.fetch_all, sql, params)
            if found is not _STALE:
                return found
        rows: list[Row] = await self._read_thread(
            lambda conn: conn.execute(sql, tuple(params)).fetchall()
        )
        return rows

    def _behind(self) -> bool:
        """Whether the file may lack a write of ours that has returned."""
        return self._owed > self._synced and self._read_your_writes

    async def _read_remote(
        self, read: Callable[[str, Sequence[object]], Awaitable[Any]], sql: str, params: Any
    ) -> Any:
        """A read while the file lags our own writes (or inside our transaction).

        The primary answers it (one round trip, less than waiting for a sync),
        and a sync starts in the background so the reads after it are local
        again. If the primary cannot be reached, _STALE: read the file.
        """
        if self._remote._in_own_transaction():
            return await read(sql, params)
        self._start_sync()
        try:
            return await read(sql, params)
        except Exception as exc:
            if classify_libsql_error(exc, "").code is not ErrorCode.UNAVAILABLE:
                raise
        _log.warning("reading %s without the latest writes: the primary is unreachable", self._path)
        return _STALE

    # ------------------------------------------------------------- writes
    async def execute(self, sql: str, params: Sequence[object]) -> int:
        """Run one write on the primary; return the number of rows it changed."""
        if self._remote._in_own_transaction():
            return await self._remote.execute(sql, params)
        return (await self._batched(sql, params)).changed

    async def execute_returning(self, sql: str, params: Sequence[object]) -> Row | None:
        """Run `... RETURNING` on the primary; return the first row."""
        return next(iter(await self._write_rows(sql, params)), None)

    async def _write_rows(self, sql: str, params: Sequence[object]) -> list[Row]:
        """Every row a write returned, run on the primary as `execute` runs it."""
        if self._remote._in_own_transaction():
            return (await self._remote._execute_alone((sql, params)))[0]
        return (await self._batched(sql, params)).rows

    async def execute_then_fetch(
        self, sql: str, params: Sequence[object], read_sql: str, key_at: Sequence[int]
    ) -> Row | None:
        """The write, then a read by its key, on the primary (AFTER triggers' values)."""
        return await self._write(self._remote.execute_then_fetch(sql, params, read_sql, key_at))

    async def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        """Run `sql` for every row on the primary, all or nothing."""
        return await self._write(self._remote.execute_many(sql, rows))

    async def execute_script(self, script: str) -> None:
        """Run a DDL script on the primary (one atomic batch)."""
        await self._write(self._remote.execute_script(script))

    @property
    def sql_dialect(self) -> str:
        """The SQL dialect of this database's DDL and migrations: "sqlite"."""
        return "sqlite"

    @contextlib.asynccontextmanager
    async def migration_transaction(self, *, foreign_keys_off: bool = False) -> AsyncIterator[None]:
        """The primary's locked migration transaction; the file syncs before the next read."""
        try:
            async with self._remote.migration_transaction(foreign_keys_off=foreign_keys_off):
                yield
        finally:
            self._wrote()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """The primary's interactive transaction (ws/wss only), as `LibsqlDatabase.transaction`.

        Inside it the owning task reads from the primary (its own writes are
        not in the file yet); when it ends, the file is synced before the
        next read.
        """
        outermost = not self._remote._in_own_transaction()
        try:
            async with self._remote.transaction():
                yield
        finally:
            if outermost:
                self._wrote()

    async def _batched(self, sql: str, params: Sequence[object]) -> BatchedWrite:
        """One write in a shared batch; read-your-writes as the module docstring says."""
        try:
            written = await self._writes.write(sql, params)
        except BaseException:
            self._owe(self._written)  # it may have reached the primary
            raise
        try:
            if written.shared and self._read_your_writes:
                with contextlib.suppress(Exception):  # unsynced: reads ask the primary
                    await asyncio.shield(self._start_sync())
        finally:
            if self._synced < written.mark:
                self._owe(written.mark)
        return written

    def _count_writes(self, count: int) -> int:
        """Count writes that may have reached the primary; the new total."""
        self._written += count
        return self._written

    def _owe(self, mark: int) -> None:
        """Writes up to `mark` returned before a sync pulled them: reads ask the primary."""
        self._owed = max(self._owed, mark)

    async def _write(self, call: Awaitable[_T]) -> _T:
        try:
            return await call
        finally:
            # Even a failed or timed-out write may have reached the primary.
            if not self._remote._in_own_transaction():
                self._wrote()

    def _wrote(self) -> None:
        """Count a write: the next read syncs first (not now: a sync per write
        would double the primary's work and slow the writes that follow)."""
        self._owe(self._count_writes(1))

    # ------------------------------------------------------------- sync
    async def sync(self) -> None:
        """Pull the primary's changes into the local file now.

        Rebuilds the file first if it was deleted or replaced. Raises
        ReplicaSyncError when the primary cannot be reached in time.
        """
        await self._sync_once()

    def _start_sync(self) -> asyncio.Task[None]:
        """A sync that pulls every write done so far: the running one, or one queued after it."""
        loop = asyncio.get_running_loop()
        running = self._sync_task
        if running is None or running.done() or running.get_loop() is not loop:
            running = self._sync_task = loop.create_task(self._sync_once(self._written))
            running.add_done_callback(_consume_outcome)
            self._sync_mark = self._written
            return running
        if self._sync_mark >= self._written:
            return running
        queued = self._next_sync
        if queued is None or queued.done():
            # It starts when the running one ends, so it covers every write before then.
            queued = self._next_sync = loop.create_task(self._sync_after(running))
            queued.add_done_callback(_consume_outcome)
        return queued

    async def _sync_after(self, running: asyncio.Task[None]) -> None:
        with contextlib.suppress(Exception):
            await running
        self._sync_task, self._next_sync = asyncio.current_task(), None
        self._sync_mark = self._written
        await self._sync_once(self._written)

    async def _sync_once(self, mark: int | None = None) -> None:
        """One sync; on success every write counted before it started is in the file."""
        mark = self._written if mark is None else mark
        syncer = await self._open()
        try:
            async with asyncio.timeout(self._timeout):
                await syncer.run(lambda thread: thread.conn.sync())
        except TimeoutError:
            raise ReplicaSyncError(f"sync from the primary took over {self._timeout} s") from None
        except ValueError as exc:
            raise ReplicaSyncError(f"sync from the primary failed: {exc}") from None
        self._synced = max(self._synced, mark)

    async def close(self) -> None:
        """Close the primary client and the local connections; the next call reopens."""
        await self._close_local()
        await self._remote.close()

    async def __aenter__(self) -> LibsqlReplicaDatabase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _inexact(params: Sequence[object]) -> bool:
    """Whether libsql-experimental would change a parameter: it binds integers through
    a float, so past 2**53 a local read looks up another value (measured, 0.0.55:
    `WHERE id = 2**53 + 1` found the row 2**53). Such reads ask the primary."""
    return any(type(p) is int and not -_EXACT_INT <= p <= _EXACT_INT for p in params)


def _consume_outcome(task: asyncio.Task[None]) -> None:
    """A background sync's failure is reported to whoever waits on it, else logged."""
    if not task.cancelled() and task.exception() is not None:
        _log.debug("background sync failed", exc_info=task.exception())
