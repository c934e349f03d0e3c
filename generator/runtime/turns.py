"""Fair turns at the writer: whoever waited for it goes before whoever just let it go.

A caller that ends a transaction and at once begins the next (a batch job
looping over `transaction()`) used to win the writer every time: no waiter
the end woke had run yet, so every other write of the process waited until
the loop ended. Two shapes of the same rule:

* `Turns`, for the sync engine's lock. Python's `threading.Lock` is not
  fair: the releasing thread holds the GIL and takes it again first. A
  release with threads waiting hands the lock over (`_handoff`), and anyone
  who asks for it through `Turns` then waits until one of them has it. The
  hot path keeps the bare lock: a write alone, with nothing queued, may
  still slip in first (one statement, not a loop of transactions).
* `TransactionTurns`, for the async engines: the owner of the transaction,
  and a count of the tasks (of any loop) that waited for its end; they are
  owed a turn before a task that did not wait may claim the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from functools import partial
from typing import Any

# The longest anyone yields to the waiters of a release: a waiter that never
# runs (its thread stopped in a debugger, its event loop stopped) must not hold everyone.
TURN_WAIT_S = 1.0


class Turns:
    """`with turns:` takes `lock` fairly; see the module docstring."""

    __slots__ = ("_lock", "_cond", "_waiting", "_handoff")

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._cond = threading.Condition(threading.Lock())
        self._waiting = 0  # threads blocked in `_lock.acquire()` through us
        self._handoff = False  # released to them: nobody else takes it first

    def __enter__(self) -> None:
        if not self._handoff and self._lock.acquire(False):
            return
        with self._cond:
            if self._handoff and not self._cond.wait_for(self._handed_over, TURN_WAIT_S):
                self._handoff = False
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._cond:
                self._waiting -= 1
                if self._handoff:
                    self._handoff = False
                    self._cond.notify_all()

    def __exit__(self, *exc_info: object) -> None:
        with self._cond:
            if self._waiting:
                self._handoff = True
        self._lock.release()

    def _handed_over(self) -> bool:
        return not self._handoff


class TransactionTurns:
    """Who owns an async database's transaction, and fair turns at it, for tasks of any loop.

    A task that ends a transaction and at once claims the next would win
    every time: no task its end woke has run yet. So the calls and claimants
    that waited for a transaction are owed a turn when it ends, and a
    claimant that did not wait lets them go first, for at most TURN_WAIT_S (a
    waiter whose loop has stopped never resumes). The waits are concurrent
    futures, so a task of any loop (thread) wakes when a transaction of
    another loop ends. The state changes under `gate`.
    """

    __slots__ = ("owner", "_gate", "_idle", "_waiters", "_owed", "_turn")

    def __init__(self, gate: threading.Lock) -> None:
        self.owner: asyncio.Task[Any] | None = None
        self._gate = gate
        self._idle: Future[None] | None = None  # the open one's end; made by its first waiter
        self._waiters = 0  # tasks waiting for the open one's end
        self._owed = 0  # waiters of the last one that have not resumed yet
        self._turn: Future[None] | None = None  # done once none of them is owed a turn

    async def claim(self) -> None:
        """Make the current task the owner: once no transaction is open, and the
        waiters of the last one went first."""
        me = asyncio.current_task()
        waited = False
        while True:
            with self._gate:
                if self.owner is None and (waited or not self._owed):
                    self.owner = me
                    return
                if self.owner is None:  # the last one's waiters go first
                    turn = self._turn = self._turn or Future()
                    idle = None
                else:
                    idle = self._waiting()
            if idle is None:
                await self._turn_comes(turn)
            else:
                await self._wait_end(idle)
            waited = True

    async def wait_idle(self, hold: bool = False) -> Callable[..., None] | None:
        """Wait until no other task's transaction is open.

        With `hold`, the turn a transaction's end owed this caller is kept until
        it calls what this returns (None: it owed none), once its own call has
        run: where that call and the next BEGIN travel apart (libSQL's streams),
        resuming first would not make it run first.
        """
        me = asyncio.current_task()
        held = 0
        try:
            while True:
                with self._gate:
                    owner = self.owner
                    if owner is None or owner is me:
                        return partial(self._give_back, held) if held else None
                    idle = self._waiting()
                held += await self._wait_end(idle, hold)
        except BaseException:  # cancelled: the turns it kept go back
            self._give_back(held)
            raise

    def release(self) -> None:
        """End the owner's transaction; its waiters go before the next claimant."""
        with self._gate:
            self.owner = None
            ended, self._idle = self._idle, None
            self._owed += self._waiters
            self._waiters = 0
        if ended is not None:
            _done(ended)

    def _waiting(self) -> Future[None]:
        """The open transaction's end, with the caller counted among its waiters (gate held)."""
        if self._idle is None:
            self._idle = Future()
        self._waiters += 1
        return self._idle

    async def _wait_end(self, idle: Future[None], hold: bool = False) -> int:
        """Wait for `idle`, then stop being owed a turn (the last one done lets
        newcomers in); with `hold`, keep it: 1 when kept."""
        try:
            await _ended(idle)
        except BaseException:  # cancelled: while it was open, or once it had ended
            with self._gate:
                still_open = self._idle is idle
                if still_open:
                    self._waiters -= 1
            if not still_open:
                self._give_back(1)
            raise
        if hold:
            return 1
        self._give_back(1)
        return 0

    def _give_back(self, turns: int, *_: object) -> None:
        """`turns` owed turns taken; once none is owed, a new claimant may begin.
        (A future's done-callback too: it passes the future.)"""
        turn = None
        with self._gate:
            for _turn in range(turns):
                if self._owed:  # 0 when `_turn_comes` gave up on us
                    self._owed -= 1
                    if not self._owed:
                        turn, self._turn = self._turn, None
        if turn is not None:
            _done(turn)

    async def _turn_comes(self, turn: Future[None]) -> None:
        """Wait for `turn`, at most TURN_WAIT_S; then those still owed a turn lose it."""
        try:  # not wait_for: on 3.11 it can swallow a cancel that lands as the turn comes
            async with asyncio.timeout(TURN_WAIT_S):
                await _ended(turn)
        except TimeoutError:
            with self._gate:
                if self._turn is turn:
                    self._owed, self._turn = 0, None
            _done(turn)


async def _ended(future: Future[None]) -> None:
    """Wait for `future` from any loop; a cancel stays the waiter's."""
    await asyncio.shield(asyncio.wrap_future(future))


def _done(future: Future[None]) -> None:
    with contextlib.suppress(InvalidStateError):
        future.set_result(None)
