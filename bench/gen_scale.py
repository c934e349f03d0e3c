"""Generation time: the real schema, and synthetic schemas of 100 / 250 / 500 tables.

    python -m bench.gen_scale [--sizes 100,250,500] [--backends aiosqlite,libsql,postgres]

Each run is a whole `storegen generate` process in a scratch folder: "cold"
with an empty black cache, "warm" regenerating the same tree, and `check` on
the unchanged tree. Wall-clock seconds.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STOREGEN = [sys.executable, "-m", "storegen"]


def synthetic_schema(tables: int) -> str:
    """`tables` tables, each with a key, a unique column, an index and a foreign key."""
    parts = []
    for i in range(tables):
        parent = (
            f"    parent_id TEXT REFERENCES t{i - 1:04d} (id) ON DELETE CASCADE,\n" if i else ""
        )
        parts.append(
            f"CREATE TABLE t{i:04d} (\n"
            "    id TEXT PRIMARY KEY NOT NULL,\n"
            "    code TEXT NOT NULL UNIQUE,\n"
            f"{parent}"
            "    name TEXT NOT NULL,\n"
            "    amount INTEGER NOT NULL DEFAULT 0,\n"
            "    ratio REAL,\n"
            "    active INTEGER NOT NULL CHECK (active IN (0, 1)),\n"
            "    created_at INTEGER NOT NULL,\n"
            "    created_by TEXT NOT NULL,\n"
            "    updated_at INTEGER NOT NULL\n"
            ");\n"
            f"CREATE INDEX t{i:04d}_name ON t{i:04d} (name);\n"
        )
    return "\n".join(parts)


def _time(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(folder: Path) -> tuple[float, float, float]:
    """(cold generate, warm generate, check) seconds in `folder`."""
    shutil.rmtree(folder / ".storegen-cache", ignore_errors=True)
    shutil.rmtree(folder / "out", ignore_errors=True)
    cold = _time([*STOREGEN, "generate"], folder)
    warm = _time([*STOREGEN, "generate"], folder)
    check = _time([*STOREGEN, "check"], folder)
    return cold, warm, check


def _project(folder: Path, schema: str, backends: list[str]) -> None:
    (folder / "schema.sql").write_text(schema, encoding="utf-8")
    (folder / "pyproject.toml").write_text(
        "[tool.storegen]\n"
        'schema = ["schema.sql"]\n'
        'out = "out"\n'
        'package = "out"\n'
        f"backends = {backends!r}\n".replace("'", '"'),
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> list[tuple[str, float, float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,250,500")
    parser.add_argument("--backends", default="aiosqlite,libsql,postgres")
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    rows: list[tuple[str, float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="storegen-gen-") as tmp:
        real = Path(tmp) / "real"
        real.mkdir()
        shutil.copy(REPO / "pyproject.toml", real)
        shutil.copytree(REPO / "schema", real / "schema")
        rows.append(("schema/ (repo)", *measure(real)))
        for size in (int(s) for s in args.sizes.split(",") if s):
            folder = Path(tmp) / f"t{size}"
            folder.mkdir()
            _project(folder, synthetic_schema(size), backends)
            rows.append((f"{size} tables", *measure(folder)))
    print("| schema | generate, cold cache | generate, warm | check, unchanged |")
    print("|---|---|---|---|")
    for name, cold, warm, check in rows:
        print(f"| {name} | {cold:.2f} s | {warm:.2f} s | {check:.2f} s |")
    return rows


if __name__ == "__main__":
    main()
