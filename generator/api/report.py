"""The API-change report of `storegen check` and `storegen generate`.

The previous generation is the package on disk: its top-level modules are
read back (see extract.py for why the committed package, not a cache).
"""

from __future__ import annotations

from pathlib import Path

from .compare import Change, compare_api, format_report
from .extract import read_api

__all__ = ["Change", "api_changes", "format_report", "read_package"]


def read_package(out: Path) -> dict[str, str] | None:
    """The top-level modules of the package at `out`; None when there is none yet."""
    if not (out / "__init__.py").is_file():
        return None
    files = {}
    for path in sorted(out.glob("*.py")):
        try:
            files[path.name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return files


def api_changes(old_files: dict[str, str], new_files: dict[str, str]) -> list[Change]:
    """The public-API changes from the old package's sources to the new one's.

    An old module that no longer parses (hand-edited, half-merged) counts as
    absent rather than stopping the command: the diff still shows it.
    """
    readable = {}
    for name, text in old_files.items():
        try:
            compile(text, name, "exec", flags=0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
        except SyntaxError:
            continue
        readable[name] = text
    return compare_api(read_api(readable), read_api(new_files))
