"""What finishing the rendered files costs: pruning unused imports, then black's layout.

    python -m bench.finish_cost [--tables 8] [--warm 15] [--cold 11]

Generation renders every file, then "finishes" it (generator/output/finish.py
`_lay_out`): `imports.prune_checked` (CPython's symbol table: the syntax check
and which imported names are read) and `layout.shape_or_none` (black's layout
without black). This prints both per file of the synthetic project of
bench/vs_sqlc.py (`--tables` tables, 2 named queries each, aiosqlite):

- warm: the fastest of `--warm` calls in this process;
- cold: the first call in a fresh process (the modules imported first, as
  generation imports them while the schema is parsed, and the command's GC
  threshold), median of `--cold` processes;

and the symbol table alone (warm), the floor of pruning.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from bench.vs_sqlc import storegen_project

# Run in a fresh process: import what finishing needs, then time each file's first call.
COLD = r"""
import gc, json, pickle, sys, time, _symtable
gc.set_threshold(100_000, 50, 100)  # as the storegen command sets it (storegen/__main__.py)
from storegen.output import imports, layout, symbols
sources = pickle.load(open(sys.argv[1], "rb"))
clock = time.perf_counter
times = {}
for name, text in sources.items():
    start = clock()
    pruned = imports.prune_checked(name, text)
    middle = clock()
    shaped = layout.shape_or_none(pruned) if name.endswith(".py") else pruned
    times[name] = ((middle - start) * 1e3, (clock() - middle) * 1e3, shaped is not None)
print(json.dumps(times))
"""


def rendered(tables: int, folder: Path) -> dict[str, str]:
    """Every file generation finishes, as rendered (one process: no child takes a half)."""
    import storegen
    from storegen import background
    from storegen.config import load_options
    from storegen.output import finish

    storegen_project(folder, tables, ["aiosqlite"])
    captured: dict[str, str] = {}
    real_here, real_fork = finish.finish_here, background.can_fork

    def capture(sources: dict[str, tuple[str, str]], cache_dir: Path | None) -> Any:
        captured.update({name: text for name, (text, _) in sources.items()})
        return real_here(sources, cache_dir)

    finish.finish_here = capture  # type: ignore[assignment]
    background.can_fork = lambda: False
    here = Path.cwd()
    try:
        os.chdir(folder)
        storegen.generate(load_options(None, folder), cache=False)
    finally:
        os.chdir(here)
        finish.finish_here, background.can_fork = real_here, real_fork  # type: ignore[assignment]
    return captured


def fastest(call: Callable[[], object], times: int) -> float:
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=8)
    parser.add_argument("--warm", type=int, default=15)
    parser.add_argument("--cold", type=int, default=11)
    args = parser.parse_args(argv)
    import _symtable  # type: ignore[import-not-found,unused-ignore]

    from storegen.output import imports, layout

    with tempfile.TemporaryDirectory() as scratch:
        sources = rendered(args.tables, Path(scratch) / "project")
        dump = Path(scratch) / "sources.pickle"
        dump.write_bytes(pickle.dumps(sources))
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", COLD, str(dump)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            for _ in range(args.cold)
        ]
    print(
        f"{len(sources)} files, {sum(map(len, sources.values())) // 1000} KB, "
        f"{args.tables} tables; ms (warm: fastest of {args.warm}; cold: first call, "
        f"median of {args.cold} processes)\n"
    )
    print("| file | KB | prune warm | symbol table warm | shape warm | prune cold | shape cold |")
    print("|---|---|---|---|---|---|---|")
    totals = [0.0] * 5
    for name in sorted(sources, key=lambda n: -len(sources[n])):
        text = sources[name]
        pruned = imports.prune_checked(name, text) or text
        row = [
            fastest(lambda: imports.prune_checked(name, text), args.warm),
            fastest(lambda: _symtable.symtable(text, "<r>", "exec"), args.warm),
            fastest(lambda: layout.shape_or_none(pruned), args.warm),
            statistics.median(run[name][0] for run in runs),
            statistics.median(run[name][1] for run in runs),
        ]
        if not all(run[name][2] for run in runs):
            name += " (goes to black)"
        totals = [t + r for t, r in zip(totals, row)]
        cells = " | ".join(f"{value:.2f}" for value in row)
        print(f"| {name} | {len(text) / 1000:.0f} | {cells} |")
    print("| **all** | | " + " | ".join(f"**{value:.2f}**" for value in totals) + " |")


if __name__ == "__main__":
    main()
