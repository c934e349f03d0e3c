"""Golden cases: every directory under tests/golden/ is one end-to-end case.

A case holds ``schema.sql``, an optional ``storegen.toml`` (the keys of
``[tool.storegen]``, at top level) and the pinned outcome:

- ``expected/``: every file of the generated package except the runtime
  helpers under ``_runtime/`` (verbatim copies of ``generator/runtime/``, pinned
  once by ``test_runtime_is_copied_verbatim`` and in the committed generated/), or
- ``error.txt``: the exact error message, ``schema.sql:line:col`` included;
- ``passed_over.txt`` (beside ``expected/``, only when non-empty): the statements
  the generator skipped on purpose, as ``storegen inspect`` reports them.

Unless the case's storegen.toml says otherwise, ``schema`` is ``schema.sql``.
The case is generated from a copy in a temporary folder whose root is the case,
so messages and headers show ``schema.sql``, and nothing is written into the
case except by ``make golden`` (``STOREGEN_UPDATE_GOLDEN=1``), which rewrites
the pinned outcome. Adding coverage means adding a folder.

Tests that execute a golden package get a runnable copy, runtime included,
from ``materialise_golden``.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from storegen import BASE_RUNTIME, generate
from storegen.backends.manifest import MANIFEST, builtin_templates_dir, load_backend, runtime_dir
from storegen.config import Options, options_from_mapping
from storegen.errors import StoregenError
from storegen.schema.ir import Schema

GOLDEN = Path(__file__).resolve().parent / "golden"
REPO = GOLDEN.parent.parent
UPDATE = os.environ.get("STOREGEN_UPDATE_GOLDEN") == "1"
UPDATE_HINT = "run `make golden` (STOREGEN_UPDATE_GOLDEN=1 pytest tests/test_golden.py) to accept"
# Generated, but not pinned: verbatim copies of generator/runtime/ (see the module docstring).
RUNTIME = "_runtime/"


def is_runtime(rel: str) -> bool:
    return rel.startswith(RUNTIME)


def pinned_files(files: dict[str, str]) -> dict[str, str]:
    """The generated files a golden pins: all but the runtime copies."""
    return {rel: text for rel, text in files.items() if not is_runtime(rel)}


def discover_cases() -> list[Path]:
    """Every folder under tests/golden/ that holds a schema.sql."""
    return sorted(p.parent for p in GOLDEN.glob("*/schema.sql"))


def case_options(root: Path) -> Options:
    """The options of the case copied to ``root``: its storegen.toml, with defaults."""
    config = root / "storegen.toml"
    raw = tomllib.loads(config.read_text(encoding="utf-8")) if config.is_file() else {}
    raw.setdefault("schema", ["schema.sql"])
    return options_from_mapping(raw, root=root, source="storegen.toml")


def run_case(case: Path, work: Path) -> tuple[dict[str, str], Schema] | str:
    """Generate the case from a copy in ``work``: the files and schema, or the error text."""
    root = work / case.name
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("expected", "error.txt"))
    # Share black's content-hash cache with the repo, so reruns cost no formatting.
    (REPO / ".storegen-cache").mkdir(exist_ok=True)
    (root / ".storegen-cache").symlink_to(REPO / ".storegen-cache", target_is_directory=True)
    try:
        generation = generate(case_options(root))
    except StoregenError as exc:
        return f"{exc}\n"
    return generation.files, generation.schema


def materialise_golden(case: Path, dest: Path, work: Path) -> Path:
    """A runnable package at ``dest``: the case's pinned expected/ plus its runtime.

    The runtime files are the ones the generator produces for this case (its
    backends, its header); ``work`` is a scratch folder for that generation.
    """
    outcome = run_case(case, work)
    if isinstance(outcome, str):
        raise AssertionError(f"{case.name}: generation failed:\n{outcome}")
    shutil.copytree(case / "expected", dest)
    for rel, text in outcome[0].items():
        if is_runtime(rel):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
    return dest


def passed_over_text(schema: Schema) -> str:
    return "".join(f"{s.location}: {s.kind}: {s.summary}\n" for s in schema.passed_over)


def read_tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def write_outcome(case: Path, outcome: tuple[dict[str, str], Schema] | str) -> None:
    expected, error, ignored = case / "expected", case / "error.txt", case / "passed_over.txt"
    shutil.rmtree(expected, ignore_errors=True)
    for stale in (error, ignored):
        stale.unlink(missing_ok=True)
    if isinstance(outcome, str):
        error.write_text(outcome, encoding="utf-8")
        return
    files, schema = outcome
    for rel, text in pinned_files(files).items():
        target = expected / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    if schema.passed_over:
        ignored.write_text(passed_over_text(schema), encoding="utf-8")


def diff_outcome(case: Path, outcome: tuple[dict[str, str], Schema] | str) -> list[str]:
    """Every way the outcome differs from what the case pins, as readable chunks."""
    name = case.relative_to(REPO).as_posix()
    error = case / "error.txt"
    if isinstance(outcome, str):
        if not error.is_file():
            return [f"{name}: generation failed, but the case pins no error.txt:\n{outcome}"]
        return _diff(error.read_text(encoding="utf-8"), outcome, f"{name}/error.txt")
    if error.is_file():
        return [f"{name}: generation succeeded, but the case pins error.txt"]
    files, schema = outcome
    files = pinned_files(files)
    expected = read_tree(case / "expected")
    problems = []
    for rel in sorted(expected.keys() - files.keys()):
        problems.append(f"{name}/expected/{rel}: pinned, but no longer generated")
    for rel in sorted(files.keys() - expected.keys()):
        problems.append(f"{name}/expected/{rel}: generated, but not pinned")
    for rel in sorted(files.keys() & expected.keys()):
        problems += _diff(expected[rel], files[rel], f"{name}/expected/{rel}")
    ignored = case / "passed_over.txt"
    pinned = ignored.read_text(encoding="utf-8") if ignored.is_file() else ""
    problems += _diff(pinned, passed_over_text(schema), f"{name}/passed_over.txt")
    return problems


def _diff(old: str, new: str, path: str) -> list[str]:
    if old == new:
        return []
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return ["".join(lines)]


@pytest.mark.parametrize("case", discover_cases(), ids=lambda p: p.name)
def test_golden(case: Path, tmp_path: Path) -> None:
    outcome = run_case(case, tmp_path)
    if UPDATE:
        write_outcome(case, outcome)
        return
    problems = diff_outcome(case, outcome)
    if problems:
        pytest.fail("\n".join([*problems, UPDATE_HINT]), pytrace=False)


def test_cases_exist() -> None:
    """Discovery must find the cases: an empty parametrisation would pass silently."""
    assert len(discover_cases()) >= 20


# Golden cases whose backends, together, list every runtime helper.
RUNTIME_CASES = [
    "both_backends",
    "postgres_backend",
    "replica_backend",
    "sqlite3_backend",
    "postgres_sync_backend",
]


def leading_comments(text: str) -> str:
    """The ``#`` lines a file starts with, newlines kept."""
    lines = text.splitlines(keepends=True)
    count = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return "".join(lines[:count])


@pytest.mark.parametrize("case", RUNTIME_CASES)
def test_runtime_is_copied_verbatim(case: str, tmp_path: Path) -> None:
    """The goldens skip `_runtime/`, so pin the copy step here: header + source, per file."""
    outcome = run_case(GOLDEN / case, tmp_path)
    assert not isinstance(outcome, str), outcome
    files = outcome[0]
    options = case_options(tmp_path / case)
    listed = {name for b in options.backends for name in load_backend(b, options.templates).runtime}
    runtime = {rel.removeprefix(RUNTIME): text for rel, text in files.items() if is_runtime(rel)}
    # What the manifests name, the base every package needs, and what those import:
    # no more, no less.
    siblings = {
        f"{module}.py"
        for text in runtime.values()
        for module in re.findall(r"^from \.(\w+) import", text, re.MULTILINE)
    }
    assert sorted(runtime) == sorted({"__init__.py", *listed, *BASE_RUNTIME, *siblings})
    header = leading_comments(files["__init__.py"])  # what every generated file starts with
    assert "DO NOT EDIT" in header
    for name, text in runtime.items():
        source = (runtime_dir() / name).read_text(encoding="utf-8")
        assert text == f"{header}{source}", f"{case}: _runtime/{name} is not header + {name}"


def test_runtime_cases_cover_every_helper() -> None:
    """RUNTIME_CASES must name every helper some backend lists, or a copy goes unchecked."""
    every = {
        name
        for manifest in sorted(builtin_templates_dir().glob(f"*/{MANIFEST}"))
        for name in load_backend(manifest.parent.name, ()).runtime
    }
    covered = set()
    for case in RUNTIME_CASES:
        options = case_options(GOLDEN / case)
        covered |= {n for b in options.backends for n in load_backend(b, options.templates).runtime}
    assert every <= covered, f"runtime helpers no golden checks: {sorted(every - covered)}"
