"""What building the stores' SQL costs (`render.context.attach_sql`), per placeholder style.

    python -m bench.sql_build [--rounds 15]

For bench/vs_sqlc.py's 8-table project (8 tables, 16 named queries, aiosqlite)
and for the repo's schema (every backend style it configures): the first call
in this process, which is what a generation pays (its SQL child runs it once),
and the best of the later calls. Query texts are lexed afresh in every call
(their token cache is cleared), as in a generation. The garbage collector's
first threshold is the command's (`storegen.__main__`). Also prints the number
of statement names, and of SQL texts (a dynamic query has one per variant).
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from storegen import load_schema
from storegen.backends.manifest import load_backend
from storegen.config import load_options
from storegen.queries import sqltext
from storegen.render.context import attach_sql, build_package_view

from bench.vs_sqlc import storegen_project

REPO = Path(__file__).resolve().parent.parent


def measure(project: Path, rounds: int) -> list[str]:
    """One line per SQL style of the project at `project` (its pyproject.toml)."""
    options = load_options(None, project)
    schema = load_schema(options)
    styles: dict[tuple[str, str], Any] = {}
    for name in options.backends:
        backend = load_backend(name, options.templates)
        styles.setdefault((backend.dialect, backend.paramstyle), backend)
    view = build_package_view(schema, options, ())
    view = replace(view, backends=tuple(b.module for b in styles.values()))
    lines = []
    for (dialect, style), backend in styles.items():
        times = []
        for _ in range(rounds):
            sqltext._tokens.cache_clear()
            start = time.perf_counter()
            statements = attach_sql(view, backend)
            times.append((time.perf_counter() - start) * 1e3)
        names = sum(len(t) for t in statements.values())
        texts = sum(
            len(s) if isinstance(s, dict) else 1 for t in statements.values() for s in t.values()
        )
        lines.append(
            f"| {project.name} | {dialect}/{style} | {times[0]:.1f} | {min(times[1:]):.1f} "
            f"| {names} | {texts} |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    gc.set_threshold(100_000, 50, 100)
    print("| project | style | first call, ms | best later call, ms | statement names | texts |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "tables8"
        storegen_project(project, 8, ["aiosqlite"])
        for line in measure(project, args.rounds):
            print(line, flush=True)
    cwd = os.getcwd()
    try:  # the repo's options name paths relative to it
        os.chdir(REPO)
        for line in measure(REPO, args.rounds):
            print(line.replace(f"| {REPO.name} |", "| repo |"), flush=True)
    finally:
        os.chdir(cwd)


if __name__ == "__main__":
    main()
