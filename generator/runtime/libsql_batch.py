"""Group commit for a libSQL primary: concurrent writes share one request.

sqld applies writes one at a time, each in its own transaction, so 128
concurrent single inserts over ws took 167 ms where one batch of the same
128 took 3.1 ms. One batch is in flight at a time; the writes that arrive
meanwhile queue up and go together as the next batch: one request, one
transaction on the primary. A write that finds nothing in flight goes at
once, on its own, so a lone write pays nothing extra.

One write transaction per database at a time also keeps sqld's write queue
short. With many writers queued, sqld 0.24.32 can stop taking writes until
it is restarted; its debug log points to a race in how it hands its write
lock to a WAL checkpoint (docs/libsql.md).

A batch is all or nothing. If it fails on a statement (a constraint, say),
nothing of it was applied, and its writes are sent again one by one, so each
gets its own answer. If the link fails, every write of the batch gets that
error: whether it was applied is unknown, as for any write that times out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ErrorCode
from .libsql_errors import classify_libsql_error

__all__ = ["BatchedWrite", "WriteBatcher"]

Row = tuple[Any, ...]
Statement = tuple[str, Sequence[object]]
Outcome = tuple[list[Row], int]  # the rows a statement returned, the rows it changed
_MAX_BATCH = 64  # statements per request: bounds one transaction's length


@dataclass(frozen=True)
class BatchedWrite:
    """What one write returned, and whether it shared its batch with others."""

    rows: list[Row]
    changed: int
    mark: int  # the `committed` counter after its batch (0 without one)
    shared: bool


@dataclass
class _Pending:
    statement: Statement
    done: asyncio.Future[BatchedWrite] = field(repr=False)


class WriteBatcher:
    """Queues single-statement writes and sends them one batch at a time.

    `send_batch` runs statements as one atomic batch, `send_one` runs one on
    its own. `committed(n)`, if given, is called once per batch that may have
    reached the primary (n writes) and returns the counter it ends at.
    """

    def __init__(
        self,
        send_batch: Callable[[list[Statement]], Awaitable[list[Outcome]]],
        send_one: Callable[[Statement], Awaitable[Outcome]],
        timeout: float,
        committed: Callable[[int], int] | None = None,
    ) -> None:
        self._send_batch = send_batch
        self._send_one = send_one
        self._timeout = timeout
        self._committed = committed or (lambda count: 0)
        self._queue: list[_Pending] = []
        self._sender: asyncio.Task[None] | None = None

    async def write(self, sql: str, params: Sequence[object]) -> BatchedWrite:
        """Send one write with whatever else is waiting; its rows and count.

        Within `timeout`, counting the wait for the batch ahead. A write that
        is cancelled or runs out of time while it waits is never sent.
        """
        loop = asyncio.get_running_loop()
        pending = _Pending((sql, params), loop.create_future())
        if self._sender is None or self._sender.done() or self._sender.get_loop() is not loop:
            # Writes left by a loop that ended can never be answered: drop them.
            self._queue = [p for p in self._queue if p.done.get_loop() is loop]
            self._sender = loop.create_task(self._send_all())
        self._queue.append(pending)
        try:
            async with asyncio.timeout(self._timeout):
                return await asyncio.shield(pending.done)
        except (asyncio.CancelledError, TimeoutError):
            if pending in self._queue:
                self._queue.remove(pending)
            raise

    async def _send_all(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:_MAX_BATCH], self._queue[_MAX_BATCH:]
            await self._send(batch)

    async def _send(self, batch: list[_Pending]) -> None:
        try:
            if len(batch) == 1:
                outcomes = [await self._send_one(batch[0].statement)]
            else:
                outcomes = await self._send_batch([p.statement for p in batch])
        except Exception as exc:
            if len(batch) > 1 and _statement_error(exc):
                await asyncio.gather(*(self._send([p]) for p in batch))  # each its own answer
                return
            self._committed(len(batch))  # it may have been applied
            for p in batch:
                _fail(p.done, exc)
            return
        mark = self._committed(len(batch))
        for p, (rows, changed) in zip(batch, outcomes, strict=True):
            p.done.set_result(BatchedWrite(rows, changed, mark, shared=len(batch) > 1))


def _statement_error(exc: Exception) -> bool:
    """Whether the server refused a statement (the batch was rolled back), not the link."""
    if isinstance(exc, TimeoutError):
        return False
    return classify_libsql_error(exc, "").code is not ErrorCode.UNAVAILABLE


def _fail(done: asyncio.Future[BatchedWrite], exc: BaseException) -> None:
    done.set_exception(exc)
    done.exception()  # retrieved: a writer that gave up must not leave it "never retrieved"
