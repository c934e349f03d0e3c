"""No module of the generator grows past the line budget.

A module over ~400 lines is doing more than one job; splitting it by job keeps
each file readable on its own. The budget covers every `.py` under
`generator/` (the runtime too: it is copied into every generated package) and
every template under `templates/`.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUDGET = 400

# Over budget today, being split: remove an entry once its module fits.
OVER_BUDGET_FOR_NOW = {
    "generator/runtime/libsql.py",
    "generator/runtime/libsql_replica.py",
}


def line_counts() -> dict[str, int]:
    paths = [*(REPO / "generator").rglob("*.py"), *(REPO / "templates").rglob("*.j2")]
    return {
        path.relative_to(REPO).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in paths
    }


def test_every_module_fits_the_budget() -> None:
    counts = line_counts()
    offenders = sorted(
        f"{name}: {lines} lines"
        for name, lines in counts.items()
        if lines > BUDGET and name not in OVER_BUDGET_FOR_NOW
    )
    assert offenders == [], f"over {BUDGET} lines, split by job: {offenders}"


def test_the_allow_list_is_not_stale() -> None:
    counts = line_counts()
    fits = sorted(name for name in OVER_BUDGET_FOR_NOW if counts.get(name, 0) <= BUDGET)
    assert fits == [], f"now within {BUDGET} lines (or gone): drop from OVER_BUDGET_FOR_NOW: {fits}"
