"""Helpers shared by the reliability tests: generate, write, import, count.

`FIGURES` collects the numbers the README quotes (schemas generated, inputs
tried, tasks and operations run); `conftest.py` prints them at the end of
the session.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from storegen import Generation, generate
from storegen.config import Options, options_from_mapping

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the committed package `generated` lives at the root
    sys.path.insert(0, str(REPO))
FIGURES: Counter[str] = Counter()
MODULES = ("__init__", "models", "results", "contracts", "tables", "schema", "_rows", "aiosqlite")


def options_for(root: Path, schema: list[Path], package: str, **extra: Any) -> Options:
    """Options as `[tool.storegen]` would give them, rooted at `root`."""
    raw = {"schema": [p.relative_to(root).as_posix() for p in schema], "package": package}
    return options_from_mapping({**raw, **extra}, root=root, source="test")


def generate_from_sql(root: Path, sql: str, package: str, **extra: Any) -> Generation:
    """Write `sql` as `<root>/<package>.sql` and run the pure generator on it."""
    path = root / f"{package}.sql"
    path.write_text(sql, encoding="utf-8")
    return generate(options_for(root, [path], package, **extra))


def write_package(files: dict[str, str], out: Path, package: str) -> Path:
    """Write a generation under `out/package` (out must be on sys.path to import it)."""
    target = out / package
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return target


def import_package(out: Path, package: str) -> dict[str, ModuleType]:
    """Import every module of a written package, by its short name."""
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    return {
        name: importlib.import_module(f"{package}.{name}".removesuffix(".__init__"))
        for name in MODULES
    }


def forget_package(package: str) -> None:
    """Drop a package's modules from sys.modules (many packages get imported)."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


def run_mypy(out: Path, packages: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` over some written packages, in one process."""
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *packages],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MYPYPATH": ""},
    )


WORKERS = Path(__file__).resolve().parent / "_workers.py"


def worker_command(*args: str) -> tuple[list[str], dict[str, str]]:
    """argv and environment to run `_workers.py` in a child process."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return [sys.executable, str(WORKERS), *args], env


def sqlite_returning_applies_wrong_affinity() -> bool:
    """SQLite 3.40: RETURNING gives column 0's REAL affinity to every column."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE TABLE t (r REAL, i INTEGER)")
        (row,) = db.execute("INSERT INTO t VALUES (NULL, 5) RETURNING i").fetchall()
    finally:
        db.close()
    return isinstance(row[0], float)


SQLITE_RETURNING_BUG = sqlite_returning_applies_wrong_affinity()
