"""A child forked as the `storegen` command starts, before anything else is imported.

A cold generation of a small schema waits on one chain: start the
interpreter, import sqlglot (~60 ms), parse. `background.Background` moves
that chain to a forked child, but a child forked from `generate()` starts
only once this process has imported the CLI, the config and the IR and read
its options (~35 ms). `prestart(warm)` forks at the first line of the
command instead: the child runs `warm` (imports sqlglot and the parsing
modules) while this process reads its options, then waits for its job. The
first `Background` takes it (`take`) and sends the job, pickled, through a
pipe; the child runs it and answers through the other pipe exactly as a
child forked by `Background` does.

A spare is only a head start, so it can never change an outcome: without
`fork`, with SIGCHLD ignored, or when the job does not pickle, `Background`
forks (or computes) as it would without one; a spare whose `warm` fails runs
its job anyway (the job imports what it needs); one that dies sends nothing,
and the caller computes the result itself. A spare nobody takes is stopped
by `discard`, or exits once this process is gone (its job pipe closes).

This module imports only `os`, `signal` and `sys`, so that the fork comes
first: everything the command imports after it loads on both cores at once.
"""

from __future__ import annotations

import os
import signal
import sys

TYPE_CHECKING = False  # as typing's, without importing typing (2 ms) before the fork
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

# A job larger than this could wait in `take` until the child, still warming, reads
# it. Below it the pipe buffers it (Linux: 64 KB, macOS: 16 KB, or more); above it
# the pipe is grown to hold it where it can be (`_room_for`).
_MAX_JOB_BYTES = 16_000


class Spare:
    """A warm child: its pid, the pipe its job goes to, the pipe its answer comes from."""

    __slots__ = ("pid", "job", "answer")

    def __init__(self, pid: int, job: int, answer: int) -> None:
        self.pid, self.job, self.answer = pid, job, answer

    def stop(self) -> None:
        """Stop the child and reap it; close both pipes."""
        for fd in (self.job, self.answer):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):  # gone, or already reaped
            pass


_spare: Spare | None = None


def can_fork() -> bool:
    """fork is there, no other thread runs, and children can be waited for.

    With SIGCHLD ignored (inherited from some supervisors) the kernel reaps a
    child at once: `waitpid` fails, and its pid may be reused by the time we
    would kill it.
    """
    if not hasattr(os, "fork"):
        return False
    if signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN:
        return False
    threading = sys.modules.get("threading")  # not imported: no other Python thread
    return threading is None or threading.active_count() == 1


def prestart(warm: Callable[[], object]) -> None:
    """Fork a child that runs `warm()`, then the job the first `Background` gives it."""
    global _spare
    if _spare is not None or not can_fork():
        return
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        if stream is not None:  # None when the stream was closed (`>&-`)
            stream.flush()
    job_read, job_write = os.pipe()
    answer_read, answer_write = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # EAGAIN, ENOMEM: no spare; Background forks (or computes) later
        for fd in (job_read, job_write, answer_read, answer_write):
            os.close(fd)
        return
    if pid == 0:
        os.close(job_write)
        os.close(answer_read)
        _serve(warm, job_read, answer_write)
    os.close(job_read)
    os.close(answer_write)
    _spare = Spare(pid, job_write, answer_read)


def waiting() -> bool:
    """Whether a spare waits for a job."""
    return _spare is not None


def take(job: bytes) -> Spare | None:
    """Hand `job` (a pickled `(function, args)`) to the spare; None when there is none.

    The spare is taken either way: a job too large for the pipe's buffer,
    even grown, stops it instead (it would make this process wait for the
    child's warm-up).
    """
    global _spare
    spare, _spare = _spare, None
    if spare is None:
        return None
    if len(job) > _MAX_JOB_BYTES and not _room_for(spare.job, len(job)):
        spare.stop()
        return None
    try:
        while job:  # below the buffer's size a pipe takes it at once
            job = job[os.write(spare.job, job) :]
    except OSError:  # the child is gone: its answer pipe is empty, and the caller computes
        pass
    os.close(spare.job)
    return spare


def _room_for(pipe: int, size: int) -> bool:
    """Grow `pipe`'s buffer to hold `size` bytes; False where it cannot.

    Linux only (F_SETPIPE_SZ, up to /proc/sys/fs/pipe-max-size: 1 MB by
    default, the schema text of ~2,000 tables): the job is the schema and
    query text, so a large project would otherwise lose its head start.
    """
    try:
        import fcntl

        return int(fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, size)) >= size
    except (ImportError, AttributeError, OSError):
        return False


def discard() -> None:
    """Stop the spare if nobody took it (the command needed no schema)."""
    global _spare
    spare, _spare = _spare, None
    if spare is not None:
        spare.stop()


def defer_import(name: str, functions: tuple[str, ...]) -> None:
    """Let `import name` cost nothing until the module is used; then import it for real.

    For the spare's warm-up: sqlglot imports `importlib.metadata` (~14 ms with
    the email, zipfile and csv modules it pulls in) for one function,
    `entry_points`, which it calls only to find a plugin for a dialect name it
    does not know; `sqlglot.diff` (~3 ms: dataclasses compiled at import) for
    its `diff`, which storegen never calls; `difflib` for `get_close_matches`,
    called only to suggest a name in an error. A parent package not imported
    yet is not imported here (it may import `name` itself). The stand-in put in `sys.modules` has each of `functions`
    as a forwarder, and a module `__getattr__` for anything else: the first use
    imports the real module (which then replaces the stand-in) and forwards to
    it, so nothing behaves differently; it only loads later, or never.
    """
    if name in sys.modules:
        return
    import importlib
    import importlib.machinery
    import importlib.util
    import types

    package, _, child = name.rpartition(".")
    parent = sys.modules.get(package) if package else None
    if parent is not None:
        where = getattr(parent, "__path__", None)
    elif package:  # not imported yet (sqlglot.diff, which sqlglot's __init__ imports)
        found = importlib.util.find_spec(package)  # a top-level package: imports nothing
        where = found.submodule_search_locations if found is not None else None
        if not where:
            return
    else:
        where = None
    spec = importlib.machinery.PathFinder.find_spec(name, where)
    if spec is None:  # nothing to defer: `import name` fails as it would have
        return
    stand_in = types.ModuleType(name, f"Stands for {name} until it is used (storegen.spare).")
    if spec.submodule_search_locations is not None:
        # A package: `from name import x` checks `__path__` (through __getattr__, it would
        # load the real module), and its submodules import from there.
        stand_in.__path__ = list(spec.submodule_search_locations)

    def real() -> types.ModuleType:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        holder = sys.modules.get(package) if package else None
        bound = getattr(holder, child, None) if holder is not None else None
        module = importlib.import_module(name)
        if holder is not None and bound is not None and bound is not stand_in:
            # The package bound a name of its own over its submodule (sqlglot's `diff` is
            # the function of sqlglot.diff); importing the submodule rebinds it: undo that.
            setattr(holder, child, bound)
        return module

    def forwarder(function: str) -> Callable[..., object]:
        def forward(*args: object, **kwargs: object) -> object:
            return getattr(real(), function)(*args, **kwargs)

        forward.__name__ = forward.__qualname__ = function
        return forward

    for function in functions:
        setattr(stand_in, function, forwarder(function))

    def attribute_of_real(attribute: str) -> object:
        if attribute == "__path__":  # `from name import x` asks; a plain module has none
            raise AttributeError(f"module {name!r} has no attribute '__path__'")
        return getattr(real(), attribute)

    stand_in.__getattr__ = attribute_of_real  # type: ignore[method-assign]
    sys.modules[name] = stand_in
    if parent is not None:  # `import a.b` then `a.b.x` reads the attribute from the package
        setattr(parent, child, stand_in)


def _serve(warm: Callable[[], object], job: int, answer: int) -> NoReturn:
    """In the child: warm up, read the job, answer it (background._child); never return."""
    try:
        try:
            warm()
        except Exception:  # the job imports what it needs, and fails there if it must
            pass
        with os.fdopen(job, "rb") as pipe:
            data = pipe.read()  # until the parent closes its end
        if not data:  # nobody took this spare
            os._exit(0)
        from .background import _child, loads

        function, args = loads(data)
    except BaseException:  # nothing sent: the parent computes it
        os._exit(1)
    _child(answer, function, args)
