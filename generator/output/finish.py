"""From rendered text to the bytes written: unused imports pruned, laid out like black.

Built-in templates print code that `layout.shape` lays out exactly as black
would (tests/test_black_authority.py runs black over every golden and the
committed package and fails, naming the file, on any byte black would
change), so their output skips black: black was ~90% of a cold generation.
Output of user templates (any `templates` folder configured) still goes
through black, behind its content-hash cache. Either way a large package is
finished on every core, one file per task, largest first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from .imports import prune_checked, prune_unused_imports

# Below this much rendered text a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 1_000_000

_T = TypeVar("_T")


def finish_many(
    sources: dict[str, tuple[str, str]], cache_dir: Path | None, *, black: bool
) -> dict[str, str]:
    """Every `name: (rendered text, template file)` as written; `black` for user templates."""
    if black:
        from .format import format_many

        return format_many(
            {
                name: (prune_unused_imports(name, text), template)
                for name, (text, template) in sources.items()
            },
            cache_dir,
        )
    jobs = {name: (name, text, template) for name, (text, template) in sources.items()}
    return run_jobs(_lay_out, jobs, sum(len(text) for text, _ in sources.values()))


def _lay_out(name: str, source: str, template: str) -> str:
    """Prune, then `shape`: black's layout without black. Broken code goes to black to report."""
    from .layout import shape

    pruned = prune_checked(name, source)
    if pruned is None:  # not valid Python: black names the template line (TemplateError)
        from .format import format_or_raise

        return format_or_raise(source, template)
    if not name.endswith(".py"):
        return pruned
    try:
        return shape(pruned)
    except Exception:  # shape gave up on something: black still lays it out
        from .format import format_or_raise

        return format_or_raise(pruned, template)


def run_jobs(
    work: Callable[..., _T], jobs: Mapping[str, tuple[object, ...]], size: int
) -> dict[str, _T]:
    """`work(*args)` for every job, in forked processes when `size` bytes make it worth it."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if size < PARALLEL_MIN_BYTES or workers < 2 or os.name != "posix":
        return {name: work(*args) for name, args in jobs.items()}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Largest first, so the long files start at once.
    order = sorted(jobs, key=lambda name: -sum(len(str(a)) for a in jobs[name]))
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {name: pool.submit(work, *jobs[name]) for name in order}
        done = {name: futures[name].result() for name in order}
    return {name: done[name] for name in jobs}
