"""Hints for a missing `[tool.storegen]`: where the file is, and a near-miss section name.

Split from config.py (which reads and validates the section) to keep each
module short; nothing here knows `Options`.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

__all__ = ["section_problem", "shown_path"]


def shown_path(path: Path, cwd: Path) -> str:
    """`pyproject.toml`, `../pyproject.toml`: the file as the user would type it."""
    try:
        return os.path.relpath(path, cwd)
    except ValueError:  # another drive
        return str(path)


def section_problem(path: str, data: dict[str, Any]) -> str:
    """`no [tool.storegen] in … (found [tool.storgen]: did you mean …?)`, or ""."""
    tool = data.get("tool", {})
    found = [f"[tool.{k}]" for k in difflib.get_close_matches("storegen", list(tool), 1, 0.75)]
    if "storegen" in data:
        found = ["[storegen]"]
    if not found:
        return ""
    return f"no [tool.storegen] in {path} (found {found[0]}: did you mean [tool.storegen]?)"
