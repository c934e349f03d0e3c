"""stdout for a reader that may leave: `storegen check | head` keeps its verdict.

When the reader of a pipe exits, the next write raises BrokenPipeError. Caught
around the whole command, that ended `check` with exit 0 even when the package
was stale (the diff filled the pipe before the verdict), and could stop any
command half-way. Here the first broken write points stdout at /dev/null and
the command runs on to its own exit code; only what nobody reads is dropped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class _ForgivingStdout:
    """Delegates to the real stdout; a write or flush the reader left is dropped."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_devnull()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_devnull()

    def _to_devnull(self) -> None:
        """Send this and every later write (and the final flush) to /dev/null."""
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def forgiving_stdout() -> Iterator[None]:
    """Within the block, stdout survives its reader leaving (see the module docstring)."""
    real = sys.stdout
    if real is None:  # closed (`>&-`): nothing to guard
        yield
        return
    sys.stdout = _ForgivingStdout(real)
    try:
        yield
    finally:
        sys.stdout = real
