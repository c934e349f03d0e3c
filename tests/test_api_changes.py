"""Golden cases of the API-change report: one folder per kind of change.

``tests/api_changes/<case>/`` holds ``before/`` and ``after/`` (each a
``schema.sql``, optional ``storegen.toml`` and ``queries.sql``) and
``expected.txt``: the report `storegen check` prints when the package
generated from ``before/`` is on disk and ``after/`` is the schema.
``make golden`` (STOREGEN_UPDATE_GOLDEN=1) rewrites ``expected.txt``.
The last tests run the real command: exit codes of ``check --breaking-only``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storegen import generate
from storegen.api.compare import format_report
from storegen.api.report import api_changes
from test_golden import case_options

CASES = Path(__file__).resolve().parent / "api_changes"
REPO = CASES.parent.parent
UPDATE = os.environ.get("STOREGEN_UPDATE_GOLDEN") == "1"


def generation(side: Path, work: Path) -> dict[str, str]:
    root = work / side.name
    shutil.copytree(side, root)
    (REPO / ".storegen-cache").mkdir(exist_ok=True)
    (root / ".storegen-cache").symlink_to(REPO / ".storegen-cache", target_is_directory=True)
    return generate(case_options(root)).files


def report(case: Path, work: Path) -> str:
    before = generation(case / "before", work)
    after = generation(case / "after", work)
    return format_report(api_changes(before, after)) or "(no API change)\n"


@pytest.mark.parametrize(
    "case", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_api_change_golden(case: Path, tmp_path: Path) -> None:
    text = report(case, tmp_path)
    expected = case / "expected.txt"
    if UPDATE:
        expected.write_text(text, encoding="utf-8")
    assert expected.is_file(), f"{case.name}: no expected.txt; run `make golden`"
    assert text == expected.read_text(
        encoding="utf-8"
    ), f"{case.name}: report differs (run `make golden` to accept):\n{text}"


def test_every_kind_has_a_case() -> None:
    """Each kind of change the report names shows up in some golden case."""
    reports = "".join(p.read_text(encoding="utf-8") for p in CASES.glob("*/expected.txt"))
    kinds = (
        "class added", "class removed", "class renamed to", "field renamed to", "field removed",
        "required field added", "optional field added", "field type changed",
        "field became Optional", "field no longer Optional", "field became required",
        "field no longer required", "method added", "method removed", "method renamed to",
        "return type changed", "parameter type changed", "parameter renamed to",
        "required parameter added", "parameter removed", "(no API change)",
    )  # fmt: skip
    missing = [k for k in kinds if k not in reports]
    assert not missing, f"no golden case shows: {missing}"


def storegen(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storegen", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("case", "code"), [("field_added", 1), ("field_added_optional", 0), ("unchanged", 0)]
)
def test_breaking_only_exit_code(case: str, code: int, tmp_path: Path) -> None:
    """`check --breaking-only` fails on a breaking change only, stale package or not."""
    project = tmp_path / "p"
    shutil.copytree(CASES / case / "before", project)
    config = project / "storegen.toml"
    if not config.exists():
        config.write_text('schema = ["schema.sql"]\n')
    assert storegen(["generate", "--config", "storegen.toml"], project).returncode == 0
    for item in (CASES / case / "after").iterdir():
        shutil.copy(item, project / item.name)
    if not (CASES / case / "after" / "storegen.toml").exists():
        config.write_text('schema = ["schema.sql"]\n')
    gate = storegen(["check", "--config", "storegen.toml", "--breaking-only"], project)
    assert gate.returncode == code, gate.stdout + gate.stderr
    assert ("  breaking  " in gate.stdout) == (code == 1), gate.stdout
    full = storegen(["check", "--config", "storegen.toml"], project)
    assert full.returncode == (0 if case == "unchanged" else 1), full.stderr
    assert (case == "unchanged") or "storegen: public API:" in full.stdout
    # generate prints the same report after writing; then check is clean.
    generated = storegen(["generate", "--config", "storegen.toml"], project)
    assert generated.returncode == 0, generated.stderr
    report = generated.stdout.split("\n", 1)[1]  # after the summary line
    expected = (CASES / case / "expected.txt").read_text()
    assert report == ("" if case == "unchanged" else expected), generated.stdout
    assert storegen(["check", "--config", "storegen.toml"], project).returncode == 0
