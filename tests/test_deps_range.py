"""Dependency ranges for users, exact pins for our CI (issue 23, item 5).

`pip install storegen` used to pin `sqlglot==30.30.0`, `black==26.10.1` and
`jinja2==3.1.6` into the user's environment. The metadata now declares
ranges; constraints.txt holds our exact versions; `make test-deps-range`
(tests/deps_range.py) runs this module, the goldens and the committed-output
check in a venv at each end of the ranges, where the checks below also
confirm the venv really is at that end.
"""

from __future__ import annotations

import importlib.metadata
import os
import re

import pytest
from deps_range import EXTRAS, MARKERS, REPO, base_ranges, pins

MODE = os.environ.get("STOREGEN_DEPS_RANGE")  # set by tests/deps_range.py


def _installed(name: str) -> bool:
    try:
        importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def test_base_dependencies_are_ranges_not_pins() -> None:
    ranges = base_ranges(extras=EXTRAS)
    assert set(ranges) >= {"sqlglot", "jinja2", "pypika", "aiosqlite", "black", "pydantic"}
    for name, (low, high) in ranges.items():
        assert _key(low) < _key(high), name


def test_constraints_pin_every_dependency_inside_its_range() -> None:
    pinned = pins(REPO / "constraints.txt")
    for name, (low, high) in base_ranges(extras=EXTRAS).items():
        assert name in pinned, f"constraints.txt does not pin {name}"
        assert _key(low) <= _key(pinned[name]) < _key(high), (name, pinned[name])


def test_make_venv_installs_with_the_constraints() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert makefile.count("$(VPY) -m pip install -c constraints.txt -e") == 2
    assert "test-deps-range:" in makefile
    assert "make test-deps-range" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.skipif(MODE != "lowest", reason="only inside the lowest-versions venv")
def test_the_lowest_venv_holds_the_lower_bounds() -> None:
    for name, (low, _) in base_ranges(extras=EXTRAS).items():
        if name in MARKERS and not _installed(name):
            continue  # a platform-only dependency on another platform
        assert _key(importlib.metadata.version(name)) == _key(low), name


@pytest.mark.skipif(MODE != "highest", reason="only inside the highest-versions venv")
def test_the_highest_venv_is_inside_the_ranges() -> None:
    for name, (low, high) in base_ranges(extras=EXTRAS).items():
        if name in MARKERS and not _installed(name):
            continue
        assert _key(low) <= _key(importlib.metadata.version(name)) < _key(high), name
