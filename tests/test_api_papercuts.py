"""Small API papercuts (issue 23, item 7), each on real databases.

- `list_by_*` / `count_by_*` for every left prefix of a composite index,
  keyset-paged by primary key (the index's own order once every index column
  is fixed), on SQLite, libSQL (a real sqld over WebSocket) and PostgreSQL;
- `ray_id` is optional on every store method: omitted, the store makes one,
  and the result and the failure log carry it;
- the result types are covariant: a helper taking `Result[object]` accepts
  a `Result[Note]` under `mypy --strict`.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))
from _support import forget_package, generate_from_sql, write_package  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ["aiosqlite", "libsql", "postgres"]
HEX_ID = re.compile(r"[0-9a-f]{32}")

SCHEMA = """\
CREATE TABLE pc_projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE pc_tasks (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES pc_projects (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'done')),
    title TEXT NOT NULL
);
CREATE INDEX pc_tasks_by_project_status ON pc_tasks (project_id, status);
CREATE TABLE pc_labels (
    code TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    rank INTEGER NOT NULL
);
CREATE INDEX pc_labels_by_owner_kind_rank ON pc_labels (owner, kind, rank);
CREATE UNIQUE INDEX pc_labels_owner_code ON pc_labels (owner, code);
"""


@pytest.fixture(scope="module")
def mods(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("papercuts")
    generation = generate_from_sql(root, SCHEMA, "pc_store", backends=BACKENDS)
    write_package(generation.files, root / "out", "pc_store")
    sys.path.insert(0, str(root / "out"))
    try:
        names = ("models", "schema", "results", *BACKENDS)
        yield {name: importlib.import_module(f"pc_store.{name}") for name in names}
    finally:
        sys.path.remove(str(root / "out"))
        forget_package("pc_store")


def test_every_left_prefix_of_a_composite_index_gets_list_and_count(mods: Any) -> None:
    tasks = mods["aiosqlite"].PcTaskStore
    labels = mods["aiosqlite"].PcLabelStore
    for store, expected in (
        (tasks, ["project_id", "project_id_and_status"]),
        (labels, ["owner", "owner_and_kind", "owner_and_kind_and_rank"]),
    ):
        listed = sorted(n[len("list_by_") :] for n in dir(store) if n.startswith("list_by_"))
        counted = sorted(n[len("count_by_") :] for n in dir(store) if n.startswith("count_by_"))
        assert listed == counted == expected
    # (owner, code) is unique: a get_by, never a list of one.
    assert hasattr(labels, "get_by_owner_and_code")
    assert not hasattr(labels, "list_by_owner_and_code")


def test_ray_id_is_optional_on_every_store_method(mods: Any) -> None:
    for backend in BACKENDS:
        module = mods[backend]
        for store in (module.PcProjectStore, module.PcTaskStore, module.PcLabelStore):
            for name, method in inspect.getmembers(store, inspect.iscoroutinefunction):
                if name.startswith("_") or "ray_id" not in inspect.signature(method).parameters:
                    continue
                parameter = inspect.signature(method).parameters["ray_id"]
                assert parameter.default is None, (backend, store.__name__, name)


def test_ray_id_is_optional_on_named_queries_too() -> None:
    """The repository's package: every store method, named queries included."""
    from generated import aiosqlite as module

    checked = 0
    for name in module.__all__:
        store = getattr(module, name)
        if not (isinstance(store, type) and name.endswith("Store")):
            continue
        for method_name, method in inspect.getmembers(store, inspect.iscoroutinefunction):
            parameters = inspect.signature(method).parameters
            if not method_name.startswith("_") and "ray_id" in parameters:
                assert parameters["ray_id"].default is None, (name, method_name)
                checked += 1
    assert checked > 100  # tables and named queries (`list_user_token_grants`, ...)


async def _open(mods: Any, backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if backend == "aiosqlite":
        db = mods["aiosqlite"].SqliteDatabase(tmp_path / "pc.db")
    elif backend == "libsql":
        server = request.getfixturevalue("sqld")
        db = mods["libsql"].LibsqlDatabase(server.ws_url, timeout=10)
        await db.execute_script(
            "DROP TABLE IF EXISTS pc_tasks; DROP TABLE IF EXISTS pc_labels; "
            "DROP TABLE IF EXISTS pc_projects"
        )
    else:
        server = request.getfixturevalue("postgres_server")
        db = mods["postgres"].PostgresDatabase(server.url, timeout=10)
        await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    owner = mods["postgres" if backend == "postgres" else "schema"]
    await owner.create_schema(db)
    return db


async def _pages(method: Any, *keys: Any, limit: int) -> list[Any]:
    """Every row, page by page, each next page `after` the last row's key."""
    rows: list[Any] = []
    after = None
    while True:
        page = await method(*keys, limit=limit, after=after)
        assert page.status is True, page
        assert HEX_ID.fullmatch(page.ray_id)
        rows += page.client_message
        if len(page.client_message) < limit:
            return rows
        last = page.client_message[-1]
        after = getattr(last, "id", None) or last.code


@pytest.mark.parametrize("backend", BACKENDS)
async def test_composite_list_by_pages_by_key_on_every_backend(
    mods: Any, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    module, models = mods[backend], mods["models"]
    db = await _open(mods, backend, tmp_path, request)
    try:
        projects, tasks = module.PcProjectStore(db), module.PcTaskStore(db)
        labels = module.PcLabelStore(db)
        for project in (1, 2):
            assert (await projects.insert(models.PcProject(id=project, name=f"p{project}"))).status
        statuses = ["open", "done", "open", "open", "done", "open", "open"]
        for n, status in enumerate(statuses, start=1):
            task = models.PcTask(id=n * 10, project_id=1 + n % 2, status=status, title=f"t{n}")
            assert (await tasks.insert(task)).status
        expected = {
            (p, s): [n * 10 for n, st in enumerate(statuses, 1) if 1 + n % 2 == p and st == s]
            for p in (1, 2)
            for s in ("open", "done")
        }
        for (project, status), ids in expected.items():
            rows = await _pages(tasks.list_by_project_id_and_status, project, status, limit=1)
            assert [r.id for r in rows] == ids
            counted = await tasks.count_by_project_id_and_status(project, status)
            assert counted.client_message == len(ids)
        by_project = await _pages(tasks.list_by_project_id, 1, limit=2)
        assert [r.id for r in by_project] == sorted(expected[1, "open"] + expected[1, "done"])

        for code, owner, kind, rank in [
            ("c", "ann", "tag", 1), ("a", "ann", "tag", 1), ("b", "ann", "tag", 2),
            ("d", "ann", "flag", 1), ("e", "bob", "tag", 1),
        ]:  # fmt: skip
            assert (
                await labels.insert(models.PcLabel(code=code, owner=owner, kind=kind, rank=rank))
            ).status
        assert [r.code for r in await _pages(labels.list_by_owner, "ann", limit=3)] == list("abcd")
        assert [
            r.code for r in await _pages(labels.list_by_owner_and_kind, "ann", "tag", limit=2)
        ] == list("abc")
        triple = await _pages(labels.list_by_owner_and_kind_and_rank, "ann", "tag", 1, limit=1)
        assert [r.code for r in triple] == ["a", "c"]
        assert (await labels.count_by_owner_and_kind("ann", "tag")).client_message == 3
    finally:
        await db.close()


async def test_an_omitted_ray_id_is_made_and_logged(
    mods: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    module, models = mods["aiosqlite"], mods["models"]
    db = module.SqliteDatabase(tmp_path / "pc.db")
    try:
        await mods["schema"].create_schema(db)
        projects = module.PcProjectStore(db)
        first = await projects.insert(models.PcProject(id=1, name="p"))
        second = await projects.get_by_id(1)
        assert HEX_ID.fullmatch(first.ray_id) and HEX_ID.fullmatch(second.ray_id)
        assert first.ray_id != second.ray_id
        given = await projects.get_by_id(1, "mine")
        assert given.ray_id == "mine"
        with caplog.at_level(logging.INFO):
            clash = await projects.insert(models.PcProject(id=1, name="again"))
        assert clash.status is False and HEX_ID.fullmatch(clash.ray_id)
        assert [r for r in caplog.records if f"ray_id={clash.ray_id}" in r.getMessage()]
        missing = await projects.get_by_id(99)
        assert missing.status is False and HEX_ID.fullmatch(missing.ray_id)
    finally:
        await db.close()


COVARIANT = """\
from generated import AccessToken, Result, SuccessResult


def describe(result: Result[object]) -> str:
    return result.ray_id


def use(tokens: Result[AccessToken], one: SuccessResult[AccessToken]) -> None:
    describe(tokens)
    widened: SuccessResult[object] = one
    print(widened)
"""


def test_result_types_are_covariant_under_mypy_strict(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
         "-c", COVARIANT],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_full_index_lookup_pages_in_the_index_order(mods: Any) -> None:
    """With every index column fixed, primary-key order is the index's own order on a
    rowid table: SQLite seeks the index past the cursor and sorts nothing."""
    import sqlite3

    sql = mods["aiosqlite"].PcTaskStore._sql.LIST_BY_PROJECT_ID_AND_STATUS_AFTER
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", (1, "open", 10, 5))]
    assert plan == [
        "SEARCH pc_tasks USING INDEX pc_tasks_by_project_status "
        "(project_id=? AND status=? AND rowid>?)"
    ]
