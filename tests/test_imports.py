"""Unused imports are pruned from rendered modules, and only where that is safe."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from storegen.output.imports import prune_unused_imports

REPO = Path(__file__).resolve().parent.parent

SOURCE = '''\
"""A module."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any, Literal, TypeVar
from ._runtime import convert as _convert
from .models import (
    A,
    B,
)

__all__ = ["B", "f"]
_log = logging.getLogger(__name__)


def f(x: "Any") -> Literal["a"]:
    _convert.encode_bool(True)
    return "a"
'''


def test_unused_names_go_and_used_ones_stay() -> None:
    pruned = prune_unused_imports("_stores.py", SOURCE)
    assert "import datetime" not in pruned
    assert "Decimal" not in pruned
    assert "from typing import Any, Literal\n" in pruned  # quoted annotation "Any" counts
    assert "from ._runtime import convert as _convert" in pruned
    assert "from .models import B\n" in pruned  # listed in __all__: a re-export
    assert "from __future__ import annotations" in pruned
    assert "import logging" in pruned
    ast.parse(pruned)


@pytest.mark.parametrize("name", ["__init__.py", "public.py", "notes.txt"])
def test_modules_that_may_re_export_are_left_alone(name: str) -> None:
    source = SOURCE.replace('__all__ = ["B", "f"]\n', "")
    assert prune_unused_imports(name, source) == source


def test_text_that_does_not_parse_is_left_for_black_to_report() -> None:
    broken = "import os\ndef f(:\n"
    assert prune_unused_imports("_x.py", broken) == broken


def test_no_generated_module_imports_what_it_does_not_use() -> None:
    """Pruning the committed and golden outputs again finds nothing left to remove."""
    modules = [
        path
        for folder in [REPO / "generated", *sorted((REPO / "tests" / "golden").glob("*/expected"))]
        for path in folder.glob("*.py")
        if path.name != "__init__.py"
    ]
    assert len(modules) > 100
    unpruned = [
        str(path.relative_to(REPO))
        for path in modules
        if prune_unused_imports(path.name, text := path.read_text(encoding="utf-8")) != text
    ]
    assert unpruned == []
