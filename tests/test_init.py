"""`storegen init [DIR]`, run for real in temporary folders.

It must leave a project whose package is fresh (`check` passes) and works
(the example stores round-trip a row on a SQLite file), keep every byte of an
existing pyproject.toml, and refuse with exit 2, writing nothing, when the
config block or the schema already exists.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

USE_STORES = """\
import asyncio
from db import User, SuccessResult, create_schema
from db.aiosqlite import SqliteDatabase, UserStore

async def main() -> None:
    async with SqliteDatabase("app.db") as database:
        await create_schema(database)
        users = UserStore(database)
        done = await users.insert(User(email="a@example.org", created_at=1), "ray-1")
        assert isinstance(done, SuccessResult), done
        found = await users.get_by_email("a@example.org", "ray-2")
        assert isinstance(found, SuccessResult) and found.client_message == done.client_message, found
        print("round-trip ok")

asyncio.run(main())
"""


def storegen(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storegen", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_init_makes_a_working_project(tmp_path: Path) -> None:
    done = storegen(["init", "app"], tmp_path)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "app"
    assert (project / "schema" / "schema.sql").is_file()
    assert list((project / "migrations").iterdir()) == []  # the first one is the user's schema
    config = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["storegen"]
    assert config == {
        "schema": ["schema/schema.sql"], "out": "db", "package": "db", "backends": ["aiosqlite"]
    }  # fmt: skip
    assert "2 tables → db: " in done.stdout
    assert [line for line in done.stdout.splitlines() if line.startswith("next:")] == [
        "next: replace the example in schema/schema.sql with your tables, then run "
        "`storegen migrate` (writes migrations/0001_initial.sql) and `storegen generate`"
    ]
    run = subprocess.run(
        [sys.executable, "-c", USE_STORES], cwd=project, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert run.returncode == 0 and "round-trip ok" in run.stdout, run.stderr


def test_init_appends_to_an_existing_pyproject(tmp_path: Path) -> None:
    original = b'[project]\nname = "mine"  # keep this comment\nversion = "1"\n\n[tool.black]\nline-length = 88'
    (tmp_path / "pyproject.toml").write_bytes(original)
    done = storegen(["init", "--package", "store"], tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "pyproject.toml").read_bytes()
    assert text.startswith(original), "init changed existing bytes"
    data = tomllib.loads(text.decode())
    assert data["tool"]["black"] == {"line-length": 88}
    assert data["tool"]["storegen"]["package"] == "store"
    assert (tmp_path / "store" / "aiosqlite.py").is_file()


def test_init_refuses_an_existing_config_block(tmp_path: Path) -> None:
    original = b'[tool.storegen]\nschema = ["db.sql"]\n'
    (tmp_path / "pyproject.toml").write_bytes(original)
    done = storegen(["init"], tmp_path)
    assert done.returncode == 2
    assert "already has a [tool.storegen] block" in done.stderr
    assert tree(tmp_path) == {"pyproject.toml": original}


def test_init_refuses_an_existing_schema(tmp_path: Path) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "schema.sql").write_text("CREATE TABLE mine (id INTEGER);\n")
    before = tree(tmp_path)
    done = storegen(["init", str(tmp_path)], tmp_path.parent)
    assert done.returncode == 2
    assert "schema.sql already exists" in done.stderr
    assert tree(tmp_path) == before, "init wrote something before refusing"


MY_SCHEMA = """\
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
"""


def test_replacing_the_example_then_migrating_needs_no_flag(tmp_path: Path) -> None:
    """Issue 23 (2): init used to leave 0001_initial.sql for the example, so the
    user's first `migrate` wanted --allow-destructive to drop users and notes."""
    assert storegen(["init", "app"], tmp_path).returncode == 0
    project = tmp_path / "app"
    pending = storegen(["check"], project)
    assert pending.returncode == 1
    assert "schema/schema.sql has no migration yet: run `storegen migrate`" in pending.stderr
    (project / "schema" / "schema.sql").write_text(MY_SCHEMA)
    migrated = storegen(["migrate"], project)
    assert migrated.returncode == 0, migrated.stderr
    assert sorted(p.name for p in (project / "migrations").iterdir()) == ["0001_initial.sql"]
    assert "CREATE TABLE projects" in (project / "migrations" / "0001_initial.sql").read_text()
    assert "users" not in (project / "migrations" / "0001_initial.sql").read_text()
    assert storegen(["generate"], project).returncode == 0
    checked = storegen(["check"], project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
