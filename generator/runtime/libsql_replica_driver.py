"""libsql-experimental, imported quietly, and the threads that own its connections.

Each connection is used on the thread that opened it (the driver's default
`check_same_thread=True`); a `Thread` runs one call at a time for the
replica, one hop per call, and is a daemon so a sync stuck on a dead
primary never keeps the interpreter from exiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Thread", "lx"]

_T = TypeVar("_T")


def _import_quietly() -> Any:
    """Import the driver with its Rust log output off, unless RUST_LOG is set.

    libsql's tracing subscriber reads RUST_LOG once, at import, and otherwise
    prints an INFO line (to stdout, in 0.0.55) on every handshake with the primary.
    """
    if "RUST_LOG" in os.environ:
        import libsql_experimental  # type: ignore[import-untyped, unused-ignore]

        return libsql_experimental
    os.environ["RUST_LOG"] = "off"
    try:
        import libsql_experimental

        return libsql_experimental
    finally:
        os.environ.pop("RUST_LOG", None)


lx = _import_quietly()


class Thread:
    """One daemon thread that owns its driver connection; one hop per call.

    A daemon, so a replica that is never closed (or a sync stuck on a dead
    primary) does not keep the interpreter from exiting.
    """

    def __init__(self, name: str, generation: int = 0) -> None:
        self._calls: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.conn: Any = None
        self.generation = generation
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            item = self._calls.get()
            if item is None:
                if self.conn is not None:
                    with contextlib.suppress(Exception):
                        self.conn.close()
                return
            fn, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(self))
            except BaseException as exc:  # noqa: B036 - handed to whoever waits
                future.set_exception(exc)

    def submit(self, fn: Callable[[Thread], _T]) -> concurrent.futures.Future[_T]:
        """Queue `fn`; its future is not tied to an event loop, so a call begun
        under one loop (a slow first sync) can be awaited from the next."""
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()
        self._calls.put((fn, future))
        return future

    async def run(self, fn: Callable[[Thread], _T]) -> _T:
        return await asyncio.wrap_future(self.submit(fn))

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Close the connection on the thread, then end it (queued after pending calls)."""
        self._calls.put(None)

    async def finish(self, timeout: float) -> bool:
        """`stop()`, then wait (at most `timeout` s: a sync may hang); whether it ended."""
        self.stop()
        await asyncio.to_thread(self._thread.join, timeout)
        return not self._thread.is_alive()
