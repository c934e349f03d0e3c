"""black with a pinned mode, behind a content-hash cache.

Formatting is the slowest step of generation; the cache makes regenerating
an unchanged schema cost a hash per file instead of a black run. black is
imported only on a cache miss (`check` on an unchanged tree never pays for
it), and when several files miss, they are formatted in parallel processes.
On a miss, `layout.shape` first lays the text out as black would: black
formats a second time whenever its output differs from its input, so text
already in its layout costs one pass instead of two (about half the time).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import TemplateError

# The pinned mode, spelled out so the cache key needs no `import black`.
TARGET_VERSION = "PY311"
LINE_LENGTH = 100
_CACHE_SALT = (
    f"black={importlib.metadata.version('black')};"
    f"target_versions={TARGET_VERSION};line_length={LINE_LENGTH}"
)
# Below this many misses a process pool costs more than it saves.
_PARALLEL_MIN = 2


def black_mode() -> Any:
    """black's Mode for our pinned settings (imports black)."""
    import black
    from black.mode import TargetVersion

    return black.Mode(target_versions={TargetVersion[TARGET_VERSION]}, line_length=LINE_LENGTH)


def format_python(source: str, template: str, cache_dir: Path | None = None) -> str:
    """Format `source`; a black failure names the template that produced it."""
    cached = _cache_path(source, cache_dir)
    if cached is not None and cached.is_file():
        return cached.read_text(encoding="utf-8")
    formatted = format_or_raise(source, template)
    if cached is not None:
        _store(cached, formatted)
    return formatted


def format_many(
    sources: dict[str, tuple[str, str]], cache_dir: Path | None = None
) -> dict[str, str]:
    """Format every `name: (source, template)`; misses run in parallel when several.

    Each module is formatted as a series of top-level chunks (a class or a
    function with its decorators and comments, merged up to `_CHUNK_LINES`),
    joined by the two blank lines black puts between them. black's time grows
    faster than linearly with a file's length, so chunks keep a 500-table
    package linear; they are also what the cache stores, so a changed table
    re-formats its chunk only. The result equals black on the whole module.
    """
    pieces = {name: _chunks(source) for name, (source, _) in sources.items()}
    chunked = {
        (name, i): (chunk, sources[name][1])
        for name, chunks in pieces.items()
        for i, chunk in enumerate(chunks)
    }
    formatted = _format_all(chunked, cache_dir)
    result: dict[str, str] = {}
    for name, chunks in pieces.items():
        parts = [formatted[(name, i)] for i in range(len(chunks))]
        result[name] = parts[0] if len(parts) == 1 else _join(parts)
    return result


# Chunks are merged up to about this many lines: fewer black calls, still linear.
_CHUNK_LINES = 300


def _join(parts: list[str]) -> str:
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


def _chunks(source: str) -> list[str]:
    """Split a module before top-level class/def statements (decorators, comments kept).

    A split happens only where a blank line precedes the statement, and never
    inside a string (positions come from `ast`); unparsable text stays whole,
    so black reports it.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [source]
    lines = source.splitlines(keepends=True)
    begin, chunks = 0, []
    for node in tree.body:
        if not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        while first > 0 and lines[first - 1].lstrip().startswith("#"):
            first -= 1
        if first - begin >= _CHUNK_LINES and not lines[first - 1].strip():
            # Without the blank lines black would strip at its end: a chunk already
            # in black's layout then comes back unchanged, in one pass instead of two.
            chunks.append("".join(lines[begin:first]).rstrip("\n") + "\n")
            begin = first
    chunks.append("".join(lines[begin:]))
    return chunks


def _format_all(sources: dict[Any, tuple[str, str]], cache_dir: Path | None) -> dict[Any, str]:
    """Format every `key: (source, template)` through the cache, in parallel when it helps."""
    done: dict[Any, str] = {}
    missing: dict[Any, tuple[str, str]] = {}
    for name, (source, template) in sources.items():
        cached = _cache_path(source, cache_dir)
        if cached is not None and cached.is_file():
            done[name] = cached.read_text(encoding="utf-8")
        else:
            missing[name] = (source, template)
    workers = min(len(missing), os.cpu_count() or 1)
    if len(missing) >= _PARALLEL_MIN and workers > 1:
        # Largest first, so the long files start at once.
        order = sorted(missing, key=lambda n: -len(missing[n][0]))
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {n: pool.submit(format_or_raise, *missing[n]) for n in order}
            formatted = {n: futures[n].result() for n in order}
    else:
        formatted = {n: format_or_raise(*missing[n]) for n in missing}
    for name, text in formatted.items():
        cached = _cache_path(missing[name][0], cache_dir)
        if cached is not None:
            _store(cached, text)
        done[name] = text
    return done


def _cache_path(source: str, cache_dir: Path | None) -> Path | None:
    if cache_dir is None:
        return None
    key = hashlib.sha256((_CACHE_SALT + "\0" + source).encode()).hexdigest()
    return cache_dir / f"{key}.py"


def format_or_raise(source: str, template: str) -> str:
    """black on `source`, laid out by `layout.shape` first: the same result, about twice as fast.

    black formats a second time whenever its output differs from its input, so
    text already in its layout costs one pass instead of two.
    """
    import black

    from .layout import shape

    try:
        shaped = shape(source)
    except Exception:  # an optimisation must never stop generation: black alone still works
        shaped = source
    if shaped != source:
        try:
            result: str = black.format_str(shaped, mode=black_mode())
            return result
        except black.parsing.InvalidInput:
            pass  # report the error against the text the template rendered
    try:
        formatted: str = black.format_str(source, mode=black_mode())
    except black.parsing.InvalidInput as exc:
        where = _template_line(template, source, str(exc))
        raise TemplateError(f"{where}: rendered code is not valid Python: {exc}") from None
    return formatted


def _template_line(template: str, source: str, message: str) -> str:
    """`template:LINE` when the rendered line black rejects appears once in the template.

    black reports a line of the *rendered* text; templates print most lines
    verbatim, so the same text in the template file is very likely its origin.
    """
    match = re.search(r"(\d+):(\d+)", message)
    path = Path(template)
    if match is None or not path.is_file():
        return template
    lines = source.splitlines()
    number = int(match.group(1))
    if not 0 < number <= len(lines) or not lines[number - 1].strip():
        return template
    wanted = lines[number - 1].strip()
    try:
        found = [
            i
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if line.strip() == wanted
        ]
    except (OSError, UnicodeDecodeError):
        return template
    return f"{template}:{found[0]}" if len(found) == 1 else template


_GITIGNORE = "# storegen's black cache: safe to delete, never to commit.\n*\n"


def _store(path: Path, text: str) -> None:
    """Best effort: a cache that cannot be written only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.is_file():  # the cache never shows up in the user's `git status`
            ignore.write_text(_GITIGNORE, encoding="utf-8")
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
