"""How far the rendered modules are from black's layout, before and after `layout.shape`.

    python -m bench.raw_layout [--golden] [--repeat N]

For the repo's schema (and, with --golden, every golden case that generates),
render every module exactly as `generate` does, then show per module, for the
raw template output and for it after `layout.shape` (what format.py hands to
black on a cache miss): lines, lines that differ from black's output (removed
plus added) and black's time (best of --repeat). The shaped "differ" column
should read 0 everywhere: black then returns its input after one pass instead
of formatting twice. The script also asserts that black's output is the same
for both inputs.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import black

import storegen
from storegen.config import Options, load_options, options_from_mapping
from storegen.output.format import black_mode
from storegen.output.layout import shape

REPO = Path(__file__).resolve().parent.parent


def raw_modules(options: Options) -> dict[str, str]:
    """Every templated module of the package, as rendered (before shape and black)."""
    from storegen import background
    from storegen.output import finish

    captured: dict[str, str] = {}

    def capture(sources: dict[str, tuple[str, str]], *args: Any, **kwargs: Any) -> Any:
        captured.update({name: text for name, (text, _) in sources.items()})
        return {name: text for name, (text, _) in sources.items()}

    real_here, real_many, real_fork = finish.finish_here, finish.finish_many, background.can_fork
    finish.finish_here = finish.finish_many = capture  # built-in and user templates
    background.can_fork = lambda: False  # the SQL half renders here too, where it is seen
    try:
        storegen.generate(options, cache=False)
    finally:
        finish.finish_here, finish.finish_many = real_here, real_many
        background.can_fork = real_fork
    return captured


def differing(raw: str, formatted: str) -> int:
    """Lines removed plus lines added to turn `raw` into `formatted`."""
    count = 0
    for line in difflib.unified_diff(raw.splitlines(), formatted.splitlines(), lineterm="", n=0):
        if line[:1] in "+-" and not line.startswith(("+++", "---")):
            count += 1
    return count


def _black_ms(text: str, name: str, repeat: int) -> tuple[str, float]:
    best, formatted = float("inf"), ""
    for _ in range(repeat):
        start = time.perf_counter()
        formatted = black.format_str(text, mode=black_mode())
        best = min(best, time.perf_counter() - start)
    return formatted, best * 1000


def report(title: str, modules: dict[str, str], repeat: int) -> int:
    """Print one table; the number of shaped lines that still differ from black."""
    print(f"\n{title}")
    print(
        f"{'module':<16}{'raw lines':>10}{'differ':>8}{'black ms':>10}"
        f"{'shaped':>8}{'differ':>8}{'black ms':>10}{'shape ms':>10}"
    )
    totals = [0, 0.0, 0, 0.0, 0.0]
    for name, raw in sorted(modules.items()):
        formatted, raw_ms = _black_ms(raw, name, repeat)
        start = time.perf_counter()
        shaped = shape(raw)
        shape_ms = (time.perf_counter() - start) * 1000
        again, shaped_ms = _black_ms(shaped, name, repeat)
        assert again == formatted, f"{title}/{name}: black's output changed after shape()"
        row = [differing(raw, formatted), raw_ms, differing(shaped, formatted), shaped_ms, shape_ms]
        totals = [t + r for t, r in zip(totals, row)]
        print(
            f"{name:<16}{len(raw.splitlines()):>10}{row[0]:>8}{row[1]:>10.0f}"
            f"{len(shaped.splitlines()):>8}{row[2]:>8}{row[3]:>10.0f}{row[4]:>10.1f}"
        )
    print(
        f"{'total':<16}{'':>10}{totals[0]:>8}{totals[1]:>10.0f}"
        f"{'':>8}{totals[2]:>8}{totals[3]:>10.0f}{totals[4]:>10.1f}"
    )
    return int(totals[2])


def golden_cases() -> list[Path]:
    return sorted(p.parent for p in (REPO / "tests" / "golden").glob("*/schema.sql"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden", action="store_true", help="also every golden case")
    parser.add_argument("--repeat", type=int, default=1, help="black runs per module (best)")
    args = parser.parse_args()
    total = report("schema/ (repo)", raw_modules(load_options(None, REPO)), args.repeat)
    if args.golden:
        with tempfile.TemporaryDirectory() as tmp:
            for case in golden_cases():
                if (case / "error.txt").is_file():
                    continue
                root = Path(tmp) / case.name
                shutil.copytree(case, root, ignore=shutil.ignore_patterns("expected"))
                config = root / "storegen.toml"
                raw = tomllib.loads(config.read_text()) if config.is_file() else {}
                raw.setdefault("schema", ["schema.sql"])
                options = options_from_mapping(raw, root=root, source="storegen.toml")
                total += report(case.name, raw_modules(options), 1)
    print(f"\nshaped lines still differing from black, all reported packages: {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
