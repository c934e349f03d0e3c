"""Turns at a lock: a thread that releases it and comes straight back waits for those already waiting.

Python's `threading.Lock` is not fair. A thread that releases it and at once
takes it again (a loop of `with db.transaction():`) almost always wins: it
holds the GIL, and the waiter the release woke has not run yet. With
`synchronous=OFF` (no fsync to sleep in) one such loop kept every other
thread's write waiting until it ended. `Turns` wraps the lock for those slow
paths: a release with threads waiting hands it over (`_handoff`), and anyone
who then asks for it waits until one of those threads has it. The hot paths
(a write alone: `lock.acquire(False)`) keep using the bare lock.
"""

from __future__ import annotations

import threading

# The longest a thread yields to the waiters of a release: a waiter that never
# gets to run (its thread stopped in a debugger) must not hold everyone.
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
