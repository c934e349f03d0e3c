"""The exact words a new user meets when a name is slightly off (issue 23, item 6).

Each runs the real CLI in a throwaway folder. Before, a section typo and a
folder outside any project both said `no schema files configured`, a missing
comma blamed a CHECK, `INTERGER` passed silently, and `--package myapp.store`
only said "is not a valid Python identifier".
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_cli import ok, storegen

SCHEMA = """\
CREATE TABLE counters (
    id INTEGER PRIMARY KEY,
    hits INTERGER NOT NULL
);
"""


def _project(root: Path, config: str, schema: str = SCHEMA) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(config)
    (root / "app.sql").write_text(schema)
    return root


def _error(done: subprocess.CompletedProcess[str]) -> str:
    ok(done, 2)
    [line] = done.stderr.splitlines()
    assert line.startswith("storegen: error: ")
    return line.removeprefix("storegen: error: ")


def test_a_typo_in_the_section_name_says_did_you_mean(tmp_path: Path) -> None:
    root = _project(tmp_path / "app", '[tool.storgen]\nschema = ["app.sql"]\n')
    expected = (
        "no [tool.storegen] in pyproject.toml (found [tool.storgen]: did you mean [tool.storegen]?)"
    )
    assert _error(storegen(root, "generate")) == expected
    (root / "sub").mkdir()
    assert _error(storegen(root / "sub", "check")) == expected.replace(
        " in pyproject.toml", " in ../pyproject.toml"
    )


def test_outside_any_project_says_so(tmp_path: Path) -> None:
    assert _error(storegen(tmp_path, "generate")) == (
        "no pyproject.toml with [tool.storegen] here or above: run `storegen init`, "
        "or pass --config FILE or --schema FILE"
    )


def test_the_nearest_pyproject_with_the_section_is_used(tmp_path: Path) -> None:
    """A sub-folder with a pyproject of its own (no [tool.storegen]) stays inside the project."""
    root = _project(tmp_path / "app", '[tool.storegen]\nschema = ["app.sql"]\nout = "db"\n')
    (root / "tools").mkdir()
    (root / "tools" / "pyproject.toml").write_text('[project]\nname = "tools"\n')
    ok(storegen(root / "tools", "generate"))
    assert (root / "db" / "models.py").is_file()


def test_a_missing_comma_points_at_the_end_of_the_line_before(tmp_path: Path) -> None:
    schema = (
        "CREATE TABLE issues (\n"
        "    id INTEGER PRIMARY KEY,\n"
        "    body TEXT\n"
        "    status TEXT NOT NULL CHECK (status IN ('open', 'closed'))\n"
        ");\n"
    )
    root = _project(tmp_path / "app", '[tool.storegen]\nschema = ["app.sql"]\n', schema)
    assert _error(storegen(root, "generate")) == (
        "app.sql:3:14: is a comma missing after `body TEXT`? Without one, SQLite reads the "
        "next line as part of this column: `body` with the declared type `TEXT status TEXT`"
    )


def test_a_type_on_the_line_after_its_column_is_still_one_column(tmp_path: Path) -> None:
    schema = "CREATE TABLE t (\n    id INTEGER PRIMARY KEY,\n    body\n        TEXT NOT NULL\n);\n"
    root = _project(tmp_path / "app", '[tool.storegen]\nschema = ["app.sql"]\n', schema)
    ok(storegen(root, "generate"))


def test_a_near_miss_type_warns_and_strict_types_refuses(tmp_path: Path) -> None:
    root = _project(tmp_path / "app", '[tool.storegen]\nschema = ["app.sql"]\nout = "db"\n')
    message = (
        "app.sql:3:5: column counters.hits: declared type 'INTERGER' is not a type name; "
        "did you mean INTEGER? (SQLite gives it INTEGER affinity)"
    )
    done = ok(storegen(root, "generate"))
    assert done.stderr == f"storegen: warning: {message} (--strict-types makes it an error)\n"
    assert _error(storegen(root, "check", "--strict-types")) == f"{message} (--strict-types)"
    assert _error(storegen(root, "migrate", "--strict-types")) == f"{message} (--strict-types)"
    (root / "pyproject.toml").write_text(
        '[tool.storegen]\nschema = ["app.sql"]\nout = "db"\nstrict_types = true\n'
    )
    assert _error(storegen(root, "generate")) == f"{message} (--strict-types)"


@pytest.mark.parametrize(
    "declared", ["INTEGER", "INT8", "BIGINT", "VARCHAR(20)", "UNSIGNED BIG INT"]
)
def test_known_type_names_do_not_warn(tmp_path: Path, declared: str) -> None:
    root = _project(
        tmp_path / "app",
        '[tool.storegen]\nschema = ["app.sql"]\nstrict_types = true\n',
        SCHEMA.replace("INTERGER", declared),
    )
    assert ok(storegen(root, "generate")).stderr == ""


def test_a_type_override_confirms_a_near_miss_name(tmp_path: Path) -> None:
    config = (
        '[tool.storegen]\nschema = ["app.sql"]\nstrict_types = true\n'
        '[tool.storegen.tables.counters.columns.hits]\ntype = "int"\n'
    )
    root = _project(tmp_path / "app", config)
    assert ok(storegen(root, "generate")).stderr == ""


def test_a_dotted_package_says_how_to_use_a_sub_folder(tmp_path: Path) -> None:
    root = _project(tmp_path / "app", '[tool.storegen]\nschema = ["app.sql"]\n')
    assert _error(storegen(root, "generate", "--package", "myapp.store")) == (
        "--package 'myapp.store' is a dotted name, but `package` is the import name of one "
        'folder: to place it in a sub-folder, set out = "myapp/store" and package = "store" '
        "in [tool.storegen] (or pass --out myapp/store --package store)"
    )
    fresh = tmp_path / "fresh"
    assert _error(storegen(tmp_path, "init", str(fresh), "--package", "myapp.store")) == (
        "--package 'myapp.store' is a dotted name, but `package` is the import name of one "
        'folder: to place it in a sub-folder, set out = "myapp/store" and package = "store" '
        "in [tool.storegen]"
    )
    assert not fresh.exists()
