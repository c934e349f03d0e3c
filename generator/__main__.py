"""`python -m storegen`, and `run`: the `storegen` command."""

from __future__ import annotations

import gc
import os
import sys

from . import spare

TYPE_CHECKING = False  # as typing's, without importing typing before the fork (spare.py)
if TYPE_CHECKING:
    from typing import NoReturn

# The commands that parse the schema through `generate` (a cache hit stops the child).
_PARSING = {"generate", "check"}


def run() -> NoReturn:
    """The `storegen` command: `main()`, then exit without tearing the interpreter down.

    For `generate` and `check`, a child is forked first (spare.py): it imports
    sqlglot and the parsing modules while this process imports the CLI and
    reads the options, and then parses the schema `generate` hands it.

    Freeing every object of every imported module at exit cost 20-35 ms, a
    tenth of a small generation, for memory the operating system takes back
    anyway (mypy exits the same way). Every file storegen writes is closed
    by then; stdout and stderr are flushed here. Tests call `cli.main()`.

    The cyclic garbage collector runs after every 100,000 net allocations
    instead of 700: a generation makes millions of short-lived objects that
    reference counting frees, and the default spent ~6% of the CPU of an
    8-table run (2-11% at 500 tables) scanning them; the peak memory did not
    move (52 and 106 MB).
    """
    gc.set_threshold(100_000, 50, 100)
    if _PARSING.intersection(sys.argv[1:]):
        spare.prestart(_warm_parser)
    from .cli import main

    try:
        code = main()
    finally:
        spare.discard()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None when the stream was closed (`>&-`)
                stream.flush()
        except OSError:  # the reader left (BrokenPipeError, see main): nothing more to say
            pass
    os._exit(code)


def _warm_parser() -> None:
    """In the spare: what `parse_sources` imports and loads on its first parse.

    storegen names only sqlglot's built-in dialects, so sqlglot never looks for
    a dialect plugin here and `importlib.metadata` need not load; it never diffs
    trees (`sqlglot.diff`), and `difflib` serves only to suggest names in errors
    (defer_import: each loads on its first use, if any).
    """
    spare.defer_import("importlib.metadata", ("entry_points",))
    spare.defer_import("difflib", ("get_close_matches",))
    spare.defer_import("sqlglot.diff", ("diff",))
    import sqlglot

    from .load import parse_sources  # noqa: F401  # the job unpickles it (plain text in)
    from .queries import parse  # noqa: F401
    from .schema import parse as _, validate  # noqa: F401

    sqlglot.parse_one("SELECT 1", read="sqlite")  # loads the SQLite dialect


if __name__ == "__main__":
    run()
