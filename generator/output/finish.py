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
from typing import Any, TypeVar

from .imports import prune_checked, prune_unused_imports

# Below this much rendered text a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 1_000_000

_T = TypeVar("_T")


class Early:
    """Files handed to worker processes before the rest of the package was rendered."""

    def __init__(self, pool: Any, futures: dict[str, Any]) -> None:
        self.pool, self.futures = pool, futures

    def close(self) -> None:
        """Stop the workers (generation failed before `finish_many` collected them)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def start_early(
    sources: dict[str, tuple[str, str]], *, black: bool, cache_dir: Path | None = None
) -> Early | None:
    """Start finishing `sources` on the other cores while the caller renders the rest.

    Only for built-in output (black has its own pool) and when the text is
    large enough to pay for the processes; None otherwise.
    """
    if black or not _parallel(sum(len(text) for text, _ in sources.values()), len(sources)):
        return None
    pool = _pool()
    return Early(pool, _submit(pool, sources, {}, cache_dir))


def finish_many(
    sources: dict[str, tuple[str, str]],
    cache_dir: Path | None,
    *,
    black: bool,
    early: Early | None = None,
) -> dict[str, str]:
    """Every `name: (rendered text, template file)` as written; `black` for user templates.

    `early`: what `start_early` already handed to workers (same names, same text).
    """
    if black:
        from .format import format_many

        return format_many(
            {
                name: (prune_unused_imports(name, text), template)
                for name, (text, template) in sources.items()
            },
            cache_dir,
        )
    if early is None:
        jobs = {
            name: (name, text, template, cache_dir) for name, (text, template) in sources.items()
        }
        return run_jobs(_lay_out, jobs, sum(len(text) for text, _ in sources.values()))
    with early.pool:
        futures = _submit(early.pool, sources, early.futures, cache_dir)
        return {name: futures[name].result() for name in sources}


def _submit(
    pool: Any, sources: dict[str, tuple[str, str]], started: dict[str, Any], cache: Path | None
) -> dict[str, Any]:
    """Submit what is not started yet, largest first, so the long files start at once."""
    futures = dict(started)
    for name in sorted(sources, key=lambda n: -len(sources[n][0])):
        if name not in futures:
            text, template = sources[name]
            futures[name] = pool.submit(_lay_out, name, text, template, cache)
    return futures


def _parallel(size: int, count: int) -> bool:
    return size >= PARALLEL_MIN_BYTES and count > 1 and _workers() > 1 and os.name == "posix"


def _workers() -> int:
    return os.cpu_count() or 1


def _pool() -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: the workers start with the modules already imported.
    context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=_workers(), mp_context=context)


def _lay_out(name: str, source: str, template: str, cache_dir: Path | None) -> str:
    """Prune, then `shape`: black's layout without black. Broken code goes to black to report."""
    from .layout import shape_or_none

    pruned = prune_checked(name, source)
    if pruned is None:  # not valid Python: black names the template line (TemplateError)
        from .format import format_or_raise

        return format_or_raise(source, template)
    if not name.endswith(".py"):
        return pruned
    try:
        shaped = shape_or_none(pruned)
    except Exception:  # an optimisation must never stop generation
        shaped = None
    return _black(pruned, template, cache_dir) if shaped is None else shaped


def _black(source: str, template: str, cache_dir: Path | None) -> str:
    """A file shape cannot vouch for (an unusual name, a long one): black, as `format_many`
    does it (chunks through the cache), in this process."""
    from .format import _chunks, _join, format_python

    parts = [format_python(chunk, template, cache_dir) for chunk in _chunks(source)]
    return parts[0] if len(parts) == 1 else _join(parts)


def run_jobs(
    work: Callable[..., _T], jobs: Mapping[str, tuple[object, ...]], size: int
) -> dict[str, _T]:
    """`work(*args)` for every job, in forked processes when `size` bytes make it worth it."""
    if not _parallel(size, len(jobs)):
        return {name: work(*args) for name, args in jobs.items()}
    # Largest first, so the long files start at once.
    order = sorted(jobs, key=lambda name: -sum(len(str(a)) for a in jobs[name]))
    with _pool() as pool:
        futures = {name: pool.submit(work, *jobs[name]) for name in order}
        return {name: futures[name].result() for name in jobs}
