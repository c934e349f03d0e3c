"""The writer's worker thread: batched jobs, group commit, and the exit hook.

This is the part of the engine that reaches into aiosqlite internals, kept
apart so SqliteDatabase reads as its API. Calls queued on one event loop go
to the worker as ONE job; plain writes in a job share one COMMIT (fsync).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite
import aiosqlite.core

from .sqlite_common import MEMORY
from .sqlite_common import READ as _READ
from .sqlite_common import TX as _TX
from .sqlite_common import WRITE as _WRITE
from .sqlite_common import kind as _kind
from .sqlite_common import run_group as _run_group
from .sqlite_common import run_one as _run_one
from .sqlite_files import Files, file_changed, remove_stale_sidecars

_EXIT_WAIT_SECONDS = 2.0


def _check_aiosqlite() -> None:
    """Fail at import, with a clear message, if the internals we use moved."""
    probe = aiosqlite.Connection(partial(sqlite3.connect, MEMORY), 64)  # not started
    probe._running = False
    names = ("_thread", "_tx", "_connection", "_running")
    missing = [name for name in names if not hasattr(probe, name)]
    missing += [n for n in ("_conn",) if not hasattr(type(probe), n)]
    if not hasattr(aiosqlite.core, "_STOP_RUNNING_SENTINEL"):
        missing.append("core._STOP_RUNNING_SENTINEL")
    if missing:
        raise ImportError(
            f"this runtime needs aiosqlite==0.22.1 internals, but aiosqlite "
            f"{aiosqlite.__version__} lacks {', '.join(missing)}"
        )


_check_aiosqlite()
# Open connections, for the exit hook, with the path and files they opened;
# weak, so a dropped instance is not kept.
_LIVE: weakref.WeakKeyDictionary[aiosqlite.Connection, tuple[str, Files]] = (
    weakref.WeakKeyDictionary()
)
# Held to queue a job only on a running worker, and to stop one: no job is ever
# queued behind the stop (it would never run, and its caller would wait forever).
# Several event loops (threads) may queue on one worker, and any of them close it.
_QUEUE = threading.Lock()


class ForeignTransaction(Exception):
    """A call found another task's transaction open on the worker; nothing of it ran.

    It passed `SqliteDatabase._run`'s "no transaction open" check on its loop
    just before a task of another loop began one, and reached the worker after
    that BEGIN. Run, it would have joined that transaction (lost with its
    rollback); `_run` waits for the transaction to end and submits it again.
    """


_Call = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]", int]
_Outcome = tuple["asyncio.Future[Any]", bool, Any]


class _Batcher:
    """Pending calls of one event loop on one writer connection.

    A call made while no job is on the worker goes at once, as a job of its
    own. Calls made while one is queued wait for the end of the loop turn and
    go together as ONE job; its results come back in ONE loop wake-up.
    """

    __slots__ = ("loop", "conn", "pending", "in_flight", "scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop, conn: aiosqlite.Connection) -> None:
        self.loop = loop
        self.conn = conn
        self.pending: list[_Call] = []
        self.in_flight = 0
        self.scheduled = False

    def submit(
        self, fn: Callable[[sqlite3.Connection], Any], future: asyncio.Future[Any], kind: int
    ) -> None:
        self.pending.append((fn, future, kind))
        if self.in_flight == 0:
            self.flush()
        elif not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        batch, self.pending = self.pending, []
        if not batch:
            return
        conn = self.conn
        with _QUEUE:
            running = conn._running
            if running:
                conn._tx.put_nowait((None, partial(_run_batch, conn, batch, self)))
        if not running:  # closed (maybe by another loop): the callers retry (SqliteDatabase._run)
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(ValueError("Connection closed"))
            return
        self.in_flight += 1

    def deliver(self, results: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
        """On the loop: resolve every future of one job."""
        self.in_flight -= 1
        for future, ok, value in results:
            if future.done():  # cancelled by its caller
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


def _run_batch(conn: aiosqlite.Connection, batch: list[_Call], batcher: _Batcher) -> None:
    """On the worker: run each call in order, then wake the loop once.

    Two or more plain writes in a row (reads may sit between them) run in ONE
    transaction, each in its own savepoint, so a failing call fails alone and
    the group pays one commit, one fsync. Every caller resumes only after that
    COMMIT, so durability is the same as one commit per call.
    While the connection is inside a transaction, only that transaction's
    calls (kind | TX) run: any other is answered ForeignTransaction, unrun.
    The worker runs one job at a time, so this check is exact.
    """
    raw = conn._connection
    results: list[_Outcome] = []
    i, n = 0, len(batch)
    while i < n:
        j, writes = i, 0
        while j < n and 0 < batch[j][2] < _TX:
            writes += batch[j][2] == _WRITE
            j += 1
        busy = raw is not None and raw.in_transaction
        if raw is not None and writes >= 2 and not busy:
            results.extend(_run_group(raw, batch[i:j]))
            i = j
        else:
            call = batch[i]
            if busy and not call[2] & _TX:  # another task's transaction is open
                results.append((call[1], False, ForeignTransaction()))
            else:
                outcome = _run_one(raw, call)
                if raw is not None and not call[2] & _TX and raw.in_transaction:
                    outcome = _left_open(raw, call)
                results.append(outcome)
            i += 1
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
        batcher.loop.call_soon_threadsafe(batcher.deliver, results)


def _left_open(raw: sqlite3.Connection, call: _Call) -> _Outcome:
    """A call not of a `transaction()` left one open (its own BEGIN or SAVEPOINT):
    roll it back and fail the call. Owned by no task, it would refuse every
    other call (ForeignTransaction) and, closed, lose what ran inside it."""
    with contextlib.suppress(sqlite3.Error):
        raw.execute("ROLLBACK")
    message = "open a transaction with `async with db.transaction():`, not with a statement"
    return (call[1], False, sqlite3.OperationalError(message))


def _stop_worker(conn: aiosqlite.Connection) -> object:
    """Runs on the worker: close sqlite3, then tell the worker loop to end."""
    raw, conn._connection = conn._connection, None
    try:
        if raw is not None:
            raw.close()
    except Exception:
        pass  # the process is exiting; the data is already committed
    return aiosqlite.core._STOP_RUNNING_SENTINEL


async def stop(conn: aiosqlite.Connection) -> None:
    """Close the worker's connection after every job queued so far, and end the worker.

    Instead of aiosqlite's close(), which queues the close while its
    connection still takes jobs: a job queued by another loop after it ran on
    a closed connection ("Cannot operate on a closed database"), or never.
    """
    done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    with _QUEUE:
        if not conn._running:
            return
        conn._running = False
        conn._tx.put_nowait((done, partial(_stop_worker, conn)))
    await done


@atexit.register
def _close_all_at_exit() -> None:
    """Best-effort close of connections nobody closed, bounded in time.

    No event loop runs here, so queue the close straight onto each worker.
    A file replaced or deleted meanwhile: its old -wal/-shm go too, while
    their connection still holds them open (the next process would replay
    that WAL into the file at the path; closed, their inode numbers could be
    given to another opener's sidecars).
    """
    conns = list(_LIVE.items())
    for conn, (path, files) in conns:
        with _QUEUE:
            if not conn._running:
                continue
            conn._running = False
            if file_changed(path, files):
                remove_stale_sidecars(files, path)
            conn._tx.put_nowait((None, partial(_stop_worker, conn)))
    deadline = time.monotonic() + _EXIT_WAIT_SECONDS
    for conn, _ in conns:
        conn._thread.join(max(0.0, deadline - time.monotonic()))
