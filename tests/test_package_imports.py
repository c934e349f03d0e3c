"""The source folder `generator/` ships as the import package `storegen`.

Setuptools maps the folder to the name at build time, so code inside it must
never name its own package: an absolute `generator.` import works in a checkout
and breaks in the installed wheel (and `storegen.` breaks mypy on the folder).
"""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "generator"
OWN_NAME = re.compile(r"^\s*(from|import)\s+(generator|storegen)\b", re.M)


def test_generator_uses_relative_imports_only() -> None:
    offenders = [
        f"{path.relative_to(SOURCE.parent)}: {match.group(0).strip()}"
        for path in sorted(SOURCE.rglob("*.py"))
        for match in OWN_NAME.finditer(path.read_text())
    ]
    assert offenders == []


def test_import_name_is_storegen() -> None:
    import storegen

    assert Path(storegen.__file__).resolve().parent == SOURCE
