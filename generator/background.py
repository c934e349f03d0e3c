"""One function run in a forked child process while this one goes on.

A cold `storegen generate` of a small schema is mostly imports: sqlglot and
the schema parse on one side (~0.1 s), Jinja, PyPika and the render modules
on the other, and the second side needs nothing from the first until it
renders. `Background(parse_sources, *sources)` forks: the child imports sqlglot,
parses and sends the Schema back pickled through a pipe, while the parent
imports the rest on the other core; `result()` waits for the child. The
modules the parent imports meanwhile keep sqlglot out of their module level
(they import it inside the functions that need it) so it loads only once,
in the child.

The child is only a shortcut, so it can never change an outcome:

- a StoregenError (bad input) is sent back and raised here, as if raised here;
- anything else (a bug, a crash, a result that does not pickle) sends
  nothing, and `result()` runs the function in this process, where an error
  shows its real traceback;
- without `fork` (Windows), or with other threads running (forking those is
  unsafe), `result()` simply runs the function here.

The first Background of a `storegen` command does not fork: it hands its
work to the child forked as the command started (spare.py), already warm.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, NoReturn, TypeVar, cast

from . import spare
from .errors import StoregenError
from .spare import can_fork

# The C pickler itself (what `pickle.dumps` and `pickle.loads` are): `pickle.py` around
# it cost the parsing child ~1.2 ms to import, on the critical path of a cold run.
try:
    from _pickle import dumps as dumps, loads as loads
except ImportError:  # an interpreter without the accelerator
    from pickle import dumps as dumps, loads as loads

_T = TypeVar("_T")


class Background(Generic[_T]):
    """`function(*args)`, computed in a forked child; use it as a context manager."""

    def __init__(self, function: Callable[..., _T], *args: object) -> None:
        self._function, self._args = function, args
        self._pid: int | None = None
        self._pipe: int | None = None
        if _take_spare(self, function, args) or not can_fork():
            return
        reap(wait=False)  # the earlier generations' children, gone by now
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            if stream is not None:  # None when the stream was closed (`>&-`)
                stream.flush()
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # EAGAIN, ENOMEM: no child, so `result()` computes it here
            os.close(read)
            os.close(write)
            return
        if pid == 0:
            os.close(read)
            _child(write, function, args)
        os.close(write)
        self._pid, self._pipe = pid, read

    def result(self) -> _T:
        """The child's result (raising its StoregenError), else `function(*args)` run here."""
        if self._pipe is not None:
            with os.fdopen(self._pipe, "rb", closefd=False) as pipe:
                data = pipe.read()  # until the child closes its end: it sent all it will
            # Closed only once read: interrupted mid-read, close() still stops the child.
            os.close(self._pipe)
            self._pipe = None
            payload: tuple[bool, Any] = (False, None)
            try:
                payload = loads(data) if data else payload
            except Exception:  # a result that does not unpickle: compute it here
                pass
            ok, value = payload
            if ok:
                return cast(_T, value)
            if isinstance(value, StoregenError):
                raise value
        return self._function(*self._args)

    def close(self, *, later: bool = False) -> None:
        """Reap the child; stop it first if nobody read its result (the caller failed first).

        A child whose result was read is exiting on its own; reaping it here,
        not in `result()`, keeps the caller from waiting for that exit. With
        `later`, such a child still exiting is left to `reap()`: its exit (~1 ms
        for a child with the generator's memory) then overlaps the caller's work.
        """
        exiting = self._pipe is None
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
            if self._pid is not None:
                os.kill(self._pid, signal.SIGKILL)
        if self._pid is not None:
            pid, self._pid = self._pid, None
            try:
                if later and exiting and os.waitpid(pid, os.WNOHANG)[0] == 0:
                    _exiting.append(pid)
                elif not (later and exiting):
                    os.waitpid(pid, 0)
            except ChildProcessError:  # already reaped (SIGCHLD ignored): nothing to wait for
                pass

    def __enter__(self) -> Background[_T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# Children whose result was read, left exiting by `close(later=True)`.
_exiting: list[int] = []


def reap(*, wait: bool = True) -> None:
    """Reap the children `close(later=True)` left exiting.

    `wait=False` reaps those already gone and keeps the others listed for a
    later call: one that sent its result only has its exit left (1-3 ms for a
    copy of the generator's memory). `generate` waits for them before it
    returns; only `generate_in_command` leaves them to `cli.main`.
    """
    for pid in list(_exiting):
        try:
            gone = os.waitpid(pid, 0 if wait else os.WNOHANG)[0] != 0
        except ChildProcessError:  # already reaped (SIGCHLD ignored, or another thread)
            gone = True
        if gone:
            try:
                _exiting.remove(pid)
            except ValueError:  # another thread reaped it meanwhile
                pass


def _take_spare(
    job: Background[Any], function: Callable[..., object], args: tuple[object, ...]
) -> bool:
    """Give the work to the child forked at start-up (spare.py), if there is one; True if given."""
    if not spare.waiting():
        return False
    try:
        data = dumps((function, args), protocol=-1)
    except Exception:  # a lambda, a lock: fork as usual (the spare is stopped)
        spare.discard()
        return False
    taken = spare.take(data)
    if taken is None:
        return False
    job._pid, job._pipe = taken.pid, taken.answer
    return True


def _child(write: int, function: Callable[..., object], args: tuple[object, ...]) -> NoReturn:
    """In the child: send `(True, result)` or `(False, StoregenError)`, then exit at once."""
    status = 1
    try:
        try:
            payload: tuple[bool, object] = (True, function(*args))
        except StoregenError as error:
            payload = (False, error)
        data = dumps(payload, protocol=-1)  # -1: the highest
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException:  # nothing sent: the parent computes it and shows the error
        pass
    finally:
        os._exit(status)  # never back into the caller's code, its atexit hooks or buffers
