"""The real `storegen` command, run as `python -m storegen` in a throwaway project.

Exit codes: 0 done, 1 `check` found a difference, 2 bad input or config (and
then nothing is written).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OUT = "src/demo_store"

PYPROJECT = f"""\
[project]
name = "demo"
version = "0"

[tool.storegen]
schema = ["schema/app.sql"]
out = "{OUT}"
package = "demo_store"
backends = ["aiosqlite"]
"""

SCHEMA = """\
PRAGMA foreign_keys = ON;

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE players (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id),
    name TEXT NOT NULL
);

CREATE VIEW player_names AS SELECT name FROM players;
"""

SUMMARY = re.compile(
    r"^storegen: (?P<tables>\d+) tables(?:, \d+ [\w ]+?)* → (?P<out>\S+): (?P<written>\d+) written, "
    r"(?P<unchanged>\d+) unchanged, (?P<removed>\d+) removed in \d+\.\d\ds$"
)


def make_project(root: Path) -> Path:
    (root / "schema").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "schema" / "app.sql").write_text(SCHEMA)
    # black's content-hash cache, shared with the repo: formatting is the slow part.
    (REPO / ".storegen-cache").mkdir(exist_ok=True)
    (root / ".storegen-cache").symlink_to(REPO / ".storegen-cache", target_is_directory=True)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project that has never been generated."""
    return make_project(tmp_path / "demo")


@pytest.fixture(scope="module")
def generated_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("generated-once") / "demo")
    ok(storegen(root, "generate"))
    return root


@pytest.fixture
def generated(generated_once: Path, tmp_path: Path) -> Path:
    """A project whose out folder holds a fresh generation (copied, so tests may edit it)."""
    root = tmp_path / "demo"
    shutil.copytree(generated_once, root, symlinks=True)
    return root


def storegen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "storegen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def ok(done: subprocess.CompletedProcess[str], code: int = 0) -> subprocess.CompletedProcess[str]:
    assert done.returncode == code, (
        f"exit {done.returncode}, expected {code}\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )
    return done


def summary(done: subprocess.CompletedProcess[str]) -> dict[str, str]:
    first, *rest = done.stdout.strip().splitlines()
    # The one other line allowed says which non-schema statements were passed over.
    assert all(line.startswith("storegen: passed over ") for line in rest), done.stdout
    match = SUMMARY.match(first)
    assert match, f"not the one-line summary: {done.stdout!r}"
    return match.groupdict()


def tree_state(folder: Path) -> str:
    """A hash of every path, content and mtime below `folder` (or of its absence)."""
    if not folder.exists():
        return "absent"
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}\0{stat.st_mtime_ns}\0".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_generate_prints_summary_then_writes_nothing_new(project: Path) -> None:
    done = ok(storegen(project, "generate"))
    first = summary(done)
    assert first["tables"] == "2" and first["out"] == OUT
    assert done.stdout.startswith("storegen: 2 tables, 1 view → ")
    assert done.stdout.splitlines()[1] == (
        "storegen: passed over 1 non-schema statement: schema/app.sql:1:1 PRAGMA"
    )
    assert int(first["written"]) >= 8 and first["unchanged"] == "0" == first["removed"]
    assert (project / OUT / "models.py").is_file() and (project / OUT / "aiosqlite.py").is_file()
    before = tree_state(project / OUT)

    second = summary(ok(storegen(project, "generate")))
    assert second["written"] == "0" and second["unchanged"] == first["written"]
    assert tree_state(project / OUT) == before, "an unchanged file was rewritten"


def test_check_passes_when_up_to_date(generated: Path) -> None:
    done = ok(storegen(generated, "check"))
    assert f"{OUT} is up to date" in done.stdout


def test_check_shows_a_hand_edit_as_a_diff(generated: Path) -> None:
    models = generated / OUT / "models.py"
    models.write_text(models.read_text().replace("class Team:", "class Team:  # edited"))

    done = ok(storegen(generated, "check"), 1)
    assert "--- a/models.py\n+++ b/models.py\n" in done.stdout
    assert "-class Team:  # edited\n+class Team:\n" in done.stdout
    assert "out of date" in done.stderr and "storegen generate" in done.stderr
    assert "  # edited" in models.read_text(), "check must not write"


def test_check_shows_a_schema_change_as_a_diff(generated: Path) -> None:
    schema = generated / "schema" / "app.sql"
    schema.write_text(
        schema.read_text().replace("name TEXT NOT NULL\n", "name TEXT NOT NULL,\n    age INTEGER\n")
    )

    done = ok(storegen(generated, "check"), 1)
    assert "+++ b/models.py" in done.stdout and "+    age: int | None = None\n" in done.stdout
    assert "+++ b/_sql_sqlite_qmark.py" in done.stdout  # the new column in the SQL

    ok(storegen(generated, "generate"))
    ok(storegen(generated, "check"))


def test_stale_generated_files_are_reported_and_removed(generated: Path) -> None:
    out = generated / OUT
    header = (out / "models.py").read_text().splitlines()[0]
    (out / "old_backend.py").write_text(f"{header}\nOLD = 1\n")
    (out / "_runtime" / "gone.py").write_text(f"{header}\n")
    (out / "handwritten.py").write_text("# mine, not generated\n")

    done = ok(storegen(generated, "check"), 1)
    assert "--- a/old_backend.py\n+++ /dev/null\n" in done.stdout
    assert "--- a/_runtime/gone.py\n+++ /dev/null\n" in done.stdout
    assert "handwritten.py" not in done.stdout

    assert summary(ok(storegen(generated, "generate")))["removed"] == "2"
    assert not (out / "old_backend.py").exists() and not (out / "_runtime" / "gone.py").exists()
    assert (out / "handwritten.py").read_text() == "# mine, not generated\n"
    ok(storegen(generated, "check"))


def test_inspect_prints_tables_views_and_passed_over_statements(project: Path) -> None:
    done = ok(storegen(project, "inspect"))
    schema = json.loads(done.stdout)
    assert [t["name"] for t in schema["tables"]] == ["teams", "players"]
    players = schema["tables"][1]
    assert [c["name"] for c in players["columns"]] == ["id", "team_id", "name"]
    assert players["foreign_keys"][0]["ref_table"] == "teams"
    passed = [(s["kind"], s["location"]["line"], s["summary"]) for s in schema["passed_over"]]
    assert passed == [("pragma", 1, "PRAGMA foreign_keys = ON")]
    assert schema["passed_over"][0]["location"]["file"] == "schema/app.sql"
    assert "ignored" not in schema, "no list may hide schema objects"
    (view,) = schema["views"]
    assert (view["name"], view["depends_on"], view["location"]["line"]) == (
        "player_names",
        ["players"],
        14,
    )
    assert not (project / OUT).exists(), "inspect must not write"


BAD_SCHEMAS = {
    "syntax": ("CREATE TABLE broken (\n    id INTEGER PRIMARY KEY\n    name TEXT\n);\n", "3:5"),
    "unterminated": ("CREATE TABLE t (\n    name TEXT DEFAULT 'oops\n);\n", "2:23"),
    "fk": (
        "CREATE TABLE t (\n    id INTEGER PRIMARY KEY,\n    x INTEGER REFERENCES nope\n);\n",
        "3:5",
    ),
}


@pytest.mark.parametrize("previous", [False, True], ids=["empty-out", "previous-generation"])
@pytest.mark.parametrize("bad", sorted(BAD_SCHEMAS))
def test_bad_schema_exits_2_and_writes_nothing(
    request: pytest.FixtureRequest, bad: str, previous: bool
) -> None:
    project: Path = request.getfixturevalue("generated" if previous else "project")
    before = tree_state(project / OUT)
    sql, position = BAD_SCHEMAS[bad]
    schema = project / "schema" / "app.sql"
    schema.write_text(schema.read_text() + "\n" + sql)
    line = SCHEMA.count("\n") + 1 + int(position.split(":")[0])
    column = position.split(":")[1]

    for command in ("generate", "check", "inspect") if previous else ("generate",):
        done = ok(storegen(project, command), 2)
        assert done.stderr.startswith(
            f"storegen: error: schema/app.sql:{line}:{column}: "
        ), done.stderr
        assert "Traceback" not in done.stderr
        assert tree_state(project / OUT) == before, f"{command} wrote despite the error"


@pytest.mark.parametrize(
    ("config", "flags", "message"),
    [
        ("bogus = 1\n", (), "unknown key(s) bogus"),
        (
            '[tool.storegen.tables.teams]\nmodel = "T"\nstore_name = "X"\n',
            (),
            "unknown key(s) store_name",
        ),
        ('numeric = "money"\n', (), "'numeric' must be one of float, decimal"),
        ("", ("--backend", "nosuch"), "unknown backend 'nosuch'"),
        ("", ("--package", "not-a-name"), "is not a valid Python identifier"),
    ],
    ids=["unknown-key", "unknown-table-key", "bad-choice", "unknown-backend", "bad-package"],
)
def test_bad_config_exits_2_with_a_clear_message(
    generated: Path, config: str, flags: tuple[str, ...], message: str
) -> None:
    before = tree_state(generated / OUT)
    pyproject = generated / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + config)
    done = ok(storegen(generated, "generate", *flags), 2)
    assert done.stderr.startswith("storegen: error: ") and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert tree_state(generated / OUT) == before


def test_unknown_backend_in_config(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["aiosqlite"]', '["aiosqlite", "nosuch"]'))
    done = ok(storegen(project, "generate"), 2)
    assert "unknown backend 'nosuch'; found: " in done.stderr and "aiosqlite" in done.stderr
    assert not (project / OUT).exists()


def test_flags_override_the_config(project: Path) -> None:
    other = project / "other.sql"
    other.write_text("CREATE TABLE gadgets (id TEXT PRIMARY KEY, label TEXT);\n")
    done = ok(
        storegen(
            project,
            "generate",
            "--schema", "other.sql",
            "--out", "elsewhere/gadgets_store",
            "--package", "gadgets_store",
            "--backend", "aiosqlite",
        )  # fmt: skip
    )
    assert summary(done)["tables"] == "1" and summary(done)["out"] == "elsewhere/gadgets_store"
    models = (project / "elsewhere" / "gadgets_store" / "models.py").read_text()
    assert "class Gadget:" in models and "class Team:" not in models
    assert models.startswith("# Code generated by storegen from other.sql.")
    assert not (project / OUT).exists(), "the configured out folder must be left alone"


def test_config_flag_reads_a_storegen_toml(project: Path, tmp_path: Path) -> None:
    alt = tmp_path / "alt"
    (alt / "sql").mkdir(parents=True)
    (alt / "sql" / "one.sql").write_text("CREATE TABLE widgets (id INTEGER PRIMARY KEY);\n")
    (alt / "storegen.toml").write_text(
        'schema = ["sql/one.sql"]\nout = "gen"\n\n[tables.widgets]\nmodel = "Gizmo"\n'
    )
    done = ok(storegen(project, "generate", "--config", str(alt / "storegen.toml")))
    assert summary(done)["tables"] == "1" and summary(done)["out"] == "gen"
    models = (alt / "gen" / "models.py").read_text()
    assert "class Gizmo:" in models and models.startswith(
        "# Code generated by storegen from sql/one.sql."
    )
    assert not (project / OUT).exists()

    missing = ok(storegen(project, "generate", "--config", str(alt / "nope.toml")), 2)
    assert "nope.toml: cannot read config" in missing.stderr
