"""What a new user trips on (issue 16), each through `python -m storegen` in a throwaway
project, or by running the package it generates in a fresh interpreter.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import REPO, ok, storegen

BLOG_SQL = """\
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES authors (id),
    title TEXT NOT NULL,
    status TXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    meta JSON,
    uid UUID
);
"""
CONFIG = """\
[tool.storegen]
schema = ["blog.sql"]
package = "blog"
out = "blog"
"""
# The config override that confirms `status TXT` on purpose.
STATUS_OVERRIDE = """
[tool.storegen.tables.posts.columns.status]
type = "str"
"""


def blog_project(
    root: Path, config: str = CONFIG + STATUS_OVERRIDE, shared_cache: bool = True
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(config)
    (root / "blog.sql").write_text(BLOG_SQL)
    if shared_cache:  # black's content-hash cache, shared with the repo: formatting is slow
        (REPO / ".storegen-cache").mkdir(exist_ok=True)
        (root / ".storegen-cache").symlink_to(REPO / ".storegen-cache", target_is_directory=True)
    return root


def error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one-line message of a run that must exit 2."""
    ok(done, 2)
    assert "Traceback" not in done.stderr and done.stdout == "", done.stderr
    message = done.stderr.strip()
    assert "\n" not in message and message.startswith("storegen: error: "), message
    return message.removeprefix("storegen: error: ")


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project generated once, with the status override; tests only read it."""
    root = blog_project(tmp_path_factory.mktemp("ux") / "app")
    ok(storegen(root, "generate"))
    return root


# ------------------------------------------------------------------ the silent type downgrade


def test_a_type_typo_exits_2_at_the_column_and_writes_nothing(tmp_path: Path) -> None:
    root = blog_project(tmp_path / "app", config=CONFIG)
    message = error_line(storegen(root, "generate"))
    assert message.startswith("blog.sql:10:5: column posts.status: declared type 'TXT' ")
    assert "NUMERIC affinity (did you mean TEXT?)" in message
    assert '[tool.storegen.tables.posts.columns.status] type = "..."' in message
    assert not (root / "blog").exists()
    # inspect reads the schema only: the type is a generation question, so it still works.
    ok(storegen(root, "inspect"))


def test_the_override_confirms_the_type_and_keeps_the_enum(blog: Path) -> None:
    models = (blog / "blog" / "models.py").read_text()
    assert '    status: Literal["draft", "published"] = "draft"\n' in models
    # JSON and UUID are known names, not the float NUMERIC affinity would give.
    assert "    meta: JsonValue | None = None\n" in models
    assert "    uid: str | None = None\n" in models


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            "level INTEGER CHECK (level IN ('low', 'high'))",
            "CHECK lists strings, but declared type 'INTEGER'",
        ),
        ("level TEXT CHECK (level IN (1, 2))", "CHECK lists integers, but declared type 'TEXT'"),
        ("level DOUBLE PRECISION CHECK (level IN ('a'))", "gives REAL affinity, not TEXT"),
    ],
)
def test_an_enum_that_disagrees_with_the_affinity_exits_2(
    tmp_path: Path, column: str, message: str
) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(CONFIG.replace("blog.sql", "t.sql"))
    (root / "t.sql").write_text(
        f"CREATE TABLE t (\n    id INTEGER PRIMARY KEY,\n    {column}\n);\n"
    )
    text = error_line(storegen(root, "generate"))
    assert text.startswith("t.sql:3:5: column t.level: ") and message in text, text
    assert not (root / "blog").exists()


def test_a_number_override_on_a_text_column_is_refused(tmp_path: Path) -> None:
    config = (
        CONFIG + STATUS_OVERRIDE + '\n[tool.storegen.tables.posts.columns.title]\ntype = "int"\n'
    )
    root = blog_project(tmp_path / "app", config=config)
    message = error_line(storegen(root, "generate"))
    assert "posts.title: type override 'int'" in message and "come back as str" in message


def test_cast_to_a_numeric_affinity_name_in_a_query_exits_2(tmp_path: Path) -> None:
    root = blog_project(tmp_path / "app")
    (root / "q.sql").write_text(
        "-- name: days :many\nSELECT CAST(title AS DATE) AS day FROM posts;\n"
    )
    message = error_line(storegen(root, "generate", "--queries", "q.sql"))
    assert message.startswith("q.sql:2:22: query days: CAST to 'DATE' converts to a number")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "[tool.storegen.tables.post]\nmodel = 'Article'\n",
            "no table 'post' in the schema (did you mean 'posts'?)",
        ),
        (
            "[tool.storegen.tables.posts]\nsecret = ['titel']\n",
            "table posts has no column 'titel' (did you mean 'title'?)",
        ),
        (
            "[tool.storegen.tables.posts.columns.uid]\ntemporal_storage = 'epcoh'\n",
            "'temporal_storage' must be one of iso, epoch, str, not 'epcoh'",
        ),
        (
            "[tool.storegen.tables.posts]\nappend_only = 'yes'\n",
            "'append_only' must be true or false",
        ),
    ],
)
def test_config_spellings_that_would_configure_nothing_exit_2(
    tmp_path: Path, extra: str, expected: str
) -> None:
    root = blog_project(tmp_path / "app", config=CONFIG + STATUS_OVERRIDE + "\n" + extra)
    assert expected in error_line(storegen(root, "generate"))
    assert not (root / "blog").exists()


# ------------------------------------------------------------------ the generated package, run

APP = """\
import asyncio, json, sys

sys.modules["pypika"] = None  # the package must run without PyPika (only tables.py uses it)

from blog import Author, FailedResult, Post
from blog.aiosqlite import AuthorStore, PostStore


async def main() -> None:
    authors, posts = AuthorStore("blog.db"), PostStore("blog.db")
    from blog import create_schema
    await create_schema(authors.db)
    ann = await authors.insert(Author(name="ann"), "r1")
    assert not isinstance(ann, FailedResult)
    author_id = ann.client_message.id
    out = {}
    meta = {"tags": ["a", "b"], "n": 1}  # a JSON column holds JsonValue
    uid = "0f8e2a8c-4b0e-4a55-9a37-52b1b56c2c11"
    stored = await posts.insert(Post(author_id=author_id, title="t", meta=meta, uid=uid), "r2")
    assert not isinstance(stored, FailedResult), stored
    found = await posts.get_by_id(stored.client_message.id, "r3")
    assert not isinstance(found, FailedResult)
    out["round_trip"] = [found.client_message.meta, found.client_message.uid, found.client_message.status]
    results = {
        "number_like_json": await posts.insert(Post(author_id=author_id, title="n", meta=2.0), "r4"),
        "unknown_author": await posts.insert(Post(author_id=author_id + 99, title="x"), "r5"),
        "duplicate_name": await authors.insert(Author(name="ann"), "r6"),
    }
    for name, result in results.items():
        assert isinstance(result, FailedResult), (name, result)
        out[name] = [result.error_code.value, result.client_message]
    try:
        import blog.tables  # noqa: F401
    except ImportError:
        out["tables_needs_pypika"] = True
    print(json.dumps(out))


asyncio.run(main())
"""


def test_the_generated_package_keeps_text_names_the_key_and_logs_quietly(blog: Path) -> None:
    (blog / "app.py").write_text(APP)
    env = {**os.environ, "PYTHONPATH": str(blog)}
    done = subprocess.run(
        [sys.executable, "app.py"], cwd=blog, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["round_trip"] == [
        {"tags": ["a", "b"], "n": 1},
        "0f8e2a8c-4b0e-4a55-9a37-52b1b56c2c11",
        "draft",
    ]
    # SQLite would store '2.0' in a JSON (NUMERIC affinity) column as the integer 2.
    assert out["number_like_json"][0] == "INVALID_DATA"
    assert out["number_like_json"][1].startswith("a value for posts.meta is a bare JSON number")
    assert out["unknown_author"] == [
        "FOREIGN_KEY_VIOLATION",
        "posts.author_id refers to a row that does not exist",
    ]
    assert out["duplicate_name"] == ["ALREADY_EXISTS", "authors.name already exists"]
    assert out["tables_needs_pypika"] is True
    # Expected outcomes are logged below WARNING: an app without logging config prints nothing.
    assert done.stderr == ""


NARROWED = """\
from typing import assert_type

from blog import FailedResult, Post, Result, SuccessResult


def title(result: Result[Post]) -> str:
    if result.status:
        assert_type(result, SuccessResult[Post])
        return result.client_message.title
    assert_type(result, FailedResult)
    return result.error_code.value
"""
NOT_NARROWED = """\
from blog import Post, Result


def title(result: Result[Post]) -> str:
    return result.client_message.title
"""


def test_if_status_narrows_the_result_under_mypy_strict(blog: Path) -> None:
    (blog / "narrowed.py").write_text(NARROWED)
    (blog / "not_narrowed.py").write_text(NOT_NARROWED)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "narrowed.py",
            "not_narrowed.py",
        ],
        cwd=blog,
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert errors and all(line.startswith("not_narrowed.py:") for line in errors), done.stdout


# ------------------------------------------------------------------ CLI and messages


def test_help_is_a_one_line_summary_per_command(tmp_path: Path) -> None:
    text = ok(storegen(tmp_path, "--help")).stdout
    assert "Generate a typed, async storage package from SQLite schema files." in text
    assert "argparse" not in text and "`" not in text.split("positional arguments")[0]
    for command in ("generate", "check", "inspect", "backends", "new-backend"):
        assert f"    {command}" in text
        sub = ok(storegen(tmp_path, command, "--help")).stdout
        description = sub.split("\n\n")[1]
        assert description[0].isupper() and description.endswith(".") and "\n" not in description


def test_version(tmp_path: Path) -> None:
    done = ok(storegen(tmp_path, "--version"))
    assert done.stdout == f"storegen {importlib.metadata.version('storegen')}\n"


def test_inspect_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    root = tmp_path / "app"
    root.mkdir()
    # Far more JSON than a pipe buffers (64 KiB), so the writer meets the closed pipe.
    tables = "".join(
        f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT);\n"
        for i in range(300)
    )
    (root / "big.sql").write_text(tables)
    (root / "pyproject.toml").write_text('[tool.storegen]\nschema = ["big.sql"]\n')
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {sys.executable} -m storegen inspect | head -n 1"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout == "{\n"
    assert done.stderr == "" and done.returncode == 0


def test_a_missing_queries_file_is_called_a_query_file(blog: Path) -> None:
    message = error_line(storegen(blog, "check", "--queries", "nope.sql"))
    assert message == "nope.sql: cannot read query file: No such file or directory"


def test_no_config_says_no_pyproject_with_the_section(tmp_path: Path) -> None:
    message = error_line(storegen(tmp_path, "generate"))
    assert message == (
        "no pyproject.toml with [tool.storegen] here or above: run `storegen init`, "
        "or pass --config FILE or --schema FILE"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_section_without_schema_says_no_schema_files_are_configured(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.storegen]\npackage = "db"\n')
    message = error_line(storegen(tmp_path, "generate"))
    assert message.startswith("no schema files configured: add `schema = [")
    assert "[tool.storegen] in pyproject.toml, or pass --schema FILE" in message


@pytest.mark.parametrize("how", ["flag", "config"])
def test_a_keyword_package_name_is_refused(tmp_path: Path, how: str) -> None:
    config = CONFIG.replace('package = "blog"', 'package = "class"') if how == "config" else CONFIG
    root = blog_project(tmp_path / "app", config=config + STATUS_OVERRIDE)
    args = ("generate", "--package", "class") if how == "flag" else ("generate",)
    message = error_line(storegen(root, *args))
    assert "'class' is a Python keyword" in message
    assert not (root / "blog").exists()


def test_templates_flag_adds_to_the_configured_folders(tmp_path: Path) -> None:
    config = CONFIG + 'templates = ["from_config"]\n' + STATUS_OVERRIDE
    root = blog_project(tmp_path / "app", config=config)
    for folder, name in (("from_config", "models.py.j2"), ("from_flag", "results.py.j2")):
        (root / folder / "common").mkdir(parents=True)
        source = (REPO / "templates" / "common" / name).read_text()
        (root / folder / "common" / name).write_text(f"# from {folder}\n{source}")
    ok(storegen(root, "generate", "--templates", "from_flag"))
    assert "# from from_config\n" in (root / "blog" / "models.py").read_text()
    assert "# from from_flag\n" in (root / "blog" / "results.py").read_text()


def test_the_cache_stays_out_of_git_status(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = blog_project(tmp_path / "app", shared_cache=False)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    ok(storegen(root, "generate"))
    assert any((root / ".storegen-cache" / "generation").glob("*.pickle"))  # the cache is in use
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status and ".storegen-cache" not in status, status
