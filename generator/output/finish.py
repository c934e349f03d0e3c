"""From rendered text to the bytes written: unused imports pruned, laid out like black.

Built-in templates print code that `layout.shape` lays out exactly as black
would (tests/test_black_authority.py runs black over every golden and the
committed package and fails, naming the file, on any byte black would
change), so their output skips black: black was ~90% of a cold generation.
Output of user templates (any `templates` folder configured) still goes
through black, behind its content-hash cache. Either way a package of
50 KB or more is finished on every core: child processes (background.py)
take its largest files, the common ones as soon as they are rendered, while
this process renders the backends and finishes the rest.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..background import Background
from ..errors import TemplateError
from .imports import prune_checked, prune_unused_imports

# Below this much rendered text, a child process costs more than it saves.
PARALLEL_MIN_BYTES = 50_000

# A finished file, or the TemplateError its rendered text raised.
Finished = str | TemplateError


class Early:
    """Files handed to child processes (background.py) before the rest was rendered."""

    def __init__(self, children: list[tuple[list[str], Background[dict[str, Finished]]]]) -> None:
        self.children = children
        self.names = {name for names, _ in children for name in names}

    def results(self) -> dict[str, Finished]:
        """Every file the children finished (waits for them)."""
        return {name: text for _, child in self.children for name, text in child.result().items()}

    def close(self) -> None:
        """Stop the children (generation failed before `finish_many` collected them)."""
        for _, child in self.children:
            child.close()


def start_early(
    sources: dict[str, tuple[str, str]],
    *,
    black: bool,
    cache_dir: Path | None = None,
    keep: float = 0.0,
) -> Early | None:
    """Start finishing `sources` on the other cores while the caller renders the rest.

    Only for built-in output (black has its own pool) and when the text is
    large enough to pay for the processes; None otherwise. The largest files
    go to the children (one per other core, dealt out by size) until about
    `keep` of the text is left, the smallest files, for this process.
    """
    total = sum(len(text) for text, _ in sources.values())
    if black or not _parallel(total, len(sources)):
        return None
    bins: list[list[str]] = [[] for _ in range(min(_workers() - 1, len(sources)))]
    loads = [0] * len(bins)
    for name in sorted(sources, key=lambda n: -len(sources[n][0])):
        if sum(loads) >= (1 - keep) * total:
            break
        lightest = loads.index(min(loads))
        bins[lightest].append(name)
        loads[lightest] += len(sources[name][0])
    return Early(
        [
            (names, Background(_finish_each, {n: sources[n] for n in names}, cache_dir))
            for names in bins
            if names
        ]
    )


def finish_many(
    sources: dict[str, tuple[str, str]],
    cache_dir: Path | None,
    *,
    black: bool,
    early: Early | None = None,
) -> dict[str, str]:
    """Every `name: (rendered text, template file)` as written; `black` for user templates.

    `early`: what `start_early` already handed to children (same names, same text);
    this process finishes the rest. A broken file raises its TemplateError, the
    first in `sources` order, wherever it was finished.
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
    if early is None:  # an even share for each core
        early = start_early(sources, black=False, cache_dir=cache_dir, keep=1 / _workers())
    try:
        rest = {n: s for n, s in sources.items() if early is None or n not in early.names}
        done = _finish_each(rest, cache_dir)
        if early is not None:
            done.update(early.results())
    finally:
        if early is not None:
            early.close()
    files: dict[str, str] = {}
    for name in sources:
        finished = done[name]
        if isinstance(finished, TemplateError):
            raise finished
        files[name] = finished
    return files


def finish_here(sources: dict[str, tuple[str, str]], cache_dir: Path | None) -> dict[str, Finished]:
    """Built-in output, finished in this process: each file's text, or its TemplateError."""
    return _finish_each(sources, cache_dir)


def _finish_each(
    sources: dict[str, tuple[str, str]], cache_dir: Path | None
) -> dict[str, Finished]:
    """`_lay_out` every file, keeping a TemplateError as that file's result."""
    done: dict[str, Finished] = {}
    for name, (text, template) in sources.items():
        try:
            done[name] = _lay_out(name, text, template, cache_dir)
        except TemplateError as error:
            done[name] = error
    return done


def _parallel(size: int, count: int) -> bool:
    return size >= PARALLEL_MIN_BYTES and count > 1 and _workers() > 1


def _workers() -> int:
    return os.cpu_count() or 1


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
