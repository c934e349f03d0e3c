"""black with a pinned mode, behind a content-hash cache.

Formatting is the slowest step of generation; the cache makes regenerating
an unchanged schema cost a hash per file instead of a black run.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from pathlib import Path

import black
from black.mode import TargetVersion

from generator.errors import TemplateError

MODE = black.Mode(target_versions={TargetVersion.PY311}, line_length=100)
_CACHE_SALT = f"black={importlib.metadata.version('black')};mode={MODE!r}"


def format_python(source: str, template: str, cache_dir: Path | None = None) -> str:
    """Format `source`; a black failure names the template that produced it."""
    key = hashlib.sha256((_CACHE_SALT + "\0" + source).encode()).hexdigest()
    cached = cache_dir / f"{key}.py" if cache_dir else None
    if cached is not None and cached.is_file():
        return cached.read_text(encoding="utf-8")
    try:
        formatted = black.format_str(source, mode=MODE)
    except black.parsing.InvalidInput as exc:
        raise TemplateError(f"{template}: rendered code is not valid Python: {exc}") from None
    if cached is not None:
        _store(cached, formatted)
    return formatted


def _store(path: Path, text: str) -> None:
    """Best effort: a cache that cannot be written only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
