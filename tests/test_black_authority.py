"""black is the authority over built-in output, which generation no longer runs it on.

Built-in templates print code that `layout.shape` lays out exactly as black
would, so `storegen generate` writes it without black (generator/output/
finish.py). These tests are where black still decides: every committed and
golden module must come back from black byte for byte. A template change that
is not black-stable fails here, naming each file and the command that shows
what black would change; fix the template (or `layout.shape`), then
regenerate (`storegen generate`, `make golden`).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import black
import pytest

from storegen.config import load_options
from storegen.output.format import black_mode
from storegen.output.imports import prune_unused_imports
from storegen.output.symbols import UNSURE, fast_prune
from tests.test_golden import GOLDEN, REPO, case_options, discover_cases
from tests.test_layout import rendered_modules

# black's verdicts, by content hash: a rerun over unchanged files costs no black.
CACHE = REPO / ".storegen-cache" / "black-authority"
HOW_TO_SEE = (
    "see what black would change: .venv/bin/black --diff {path}\n"
    "then make the template (or generator/output/layout.py) print black's layout, and "
    "regenerate: .venv/bin/storegen generate && make golden"
)


def _modules() -> list[Path]:
    folders = [REPO / "generated", *sorted(GOLDEN.glob("*/expected"))]
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


def _black_stable(text: str) -> bool:
    key = hashlib.sha256(f"{black.__version__}\0{text}".encode()).hexdigest()
    mark = CACHE / key
    if mark.is_file():
        return True
    stable = black.format_str(text, mode=black_mode()) == text
    if stable:
        CACHE.mkdir(parents=True, exist_ok=True)
        mark.touch()
    return stable


def test_black_leaves_every_built_in_output_unchanged() -> None:
    modules = _modules()
    assert len(modules) > 100
    unstable = [path for path in modules if not _black_stable(path.read_text(encoding="utf-8"))]
    assert not unstable, (
        f"{len(unstable)} generated file(s) are not black-stable, but generation writes "
        "built-in output without black:\n"
        + "\n".join(HOW_TO_SEE.format(path=p.relative_to(REPO)) for p in unstable)
    )


def test_the_authority_test_fails_on_output_black_would_change(tmp_path: Path) -> None:
    """The check above is not vacuous: a file off black's layout is caught."""
    off = "x = {'a':1}\n"
    assert not _black_stable(off)
    assert _black_stable(black.format_str(off, mode=black_mode()))


@pytest.mark.parametrize(
    "case",
    [*(c for c in discover_cases() if (c / "expected").is_dir()), REPO],
    ids=lambda p: p.name,
)
def test_fast_pruning_equals_whole_tree_pruning(case: Path, tmp_path: Path) -> None:
    """The symbol-table fast path prunes exactly what the whole syntax tree prunes."""
    if case == REPO:
        options = load_options(None, REPO)
    else:
        root = tmp_path / case.name
        shutil.copytree(case, root, ignore=shutil.ignore_patterns("expected", "error.txt"))
        options = case_options(root)
    modules = rendered_modules(options)
    decided = 0
    for name, text in modules.items():
        stem = Path(name).stem
        fast = fast_prune(text, prunable=stem != "__init__", private=stem.startswith("_"))
        if fast is UNSURE:
            continue
        decided += 1
        assert fast == _whole_tree_prune(name, text), name
    assert decided >= len(modules) - 2


def _whole_tree_prune(name: str, text: str) -> str:
    """`prune_unused_imports` with the fast path switched off."""
    import storegen.output.symbols as symbols

    real = symbols.fast_prune
    symbols.fast_prune = lambda *a, **k: UNSURE  # type: ignore[assignment]
    try:
        return prune_unused_imports(name, text)
    finally:
        symbols.fast_prune = real  # type: ignore[assignment]


def test_random_schemas_give_black_stable_output(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Beyond the goldens: the property suite's random schemas (keyword and quoted names,
    every declared type, defaults, CHECK lists...) give output black leaves unchanged."""
    from hypothesis import HealthCheck, given, note, settings

    from storegen.errors import SchemaError
    from tests.reliability._support import generate_from_sql
    from tests.reliability.test_property_schemas import Case, cases

    root = tmp_path_factory.mktemp("authority")
    seen, checked = [0], [0]

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=cases())
    def check(case: Case) -> None:
        seen[0] += 1
        note(case.sql)
        try:
            generation = generate_from_sql(root, case.sql, f"auth_pkg_{seen[0]}")
        except SchemaError:
            return  # a refused name collision: nothing rendered
        checked[0] += 1
        for name, text in generation.files.items():
            if name.endswith(".py") and not name.startswith("_runtime/"):
                formatted = black.format_str(text, mode=black_mode())
                assert formatted == text, f"{name} is not black-stable for:\n{case.sql}"

    check()
    assert seen[0] >= 25
    assert checked[0] >= 10, f"only {checked[0]} of {seen[0]} random schemas were generated"


ALL_BACKENDS = ["aiosqlite", "libsql", "postgres", "libsql_replica", "sqlite3", "postgres_sync"]


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t (k TEXT);",  # one short DDL statement: `(s,)` is no magic comma
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        "CREATE TABLE t (k TEXT);\nCREATE TABLE u (k TEXT);",
        f"CREATE TABLE {'t' * 90} (k TEXT);",  # one statement too long for its line
    ],
)
def test_the_smallest_schemas_give_black_stable_output(
    sql: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The first schema a newcomer tries: one short table. Its schema statements used
    to be printed exploded, which black joins into one line, in every backend."""
    from tests.reliability._support import generate_from_sql

    root = tmp_path_factory.mktemp("smallest")
    generation = generate_from_sql(root, sql, "smallest", backends=ALL_BACKENDS)
    for name, text in generation.files.items():
        if name.endswith(".py") and not name.startswith("_runtime/"):
            formatted = black.format_str(text, mode=black_mode())
            assert formatted == text, f"{name} is not black-stable for:\n{sql}"
