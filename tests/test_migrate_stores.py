"""The whole workflow through generated packages: v1 stores fill, v2's `migrate()` moves, v2 stores work.

For one random schema per backend and run (SQLite file, sqld over ws,
PostgreSQL): generate package v1 (its `migrations.py` embeds 0001), open the
database with v1's `connect`, `migrate(db)`, insert rows through v1's stores;
edit the schema at random, `storegen migrate`, generate v2, open the same
database with v2's `connect`: `migrate(db)` applies 0002, `schema_drift(db)`
is empty, every v1 row is listed by the v2 store, and every finder, list,
count and update of the v2 stores works on the migrated rows (the checks of
the golden-package runs). Generating costs seconds, so this runs few cases;
the many-case row property lives in test_migrate_property.py.
"""

from __future__ import annotations

import importlib
import random
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from migrate_project import Project
from migrate_random import RandomSchema
from migrate_support import create_pg_database
from test_golden_runs import SAMPLES, build_row, exercise, insert_in_order, ok, store_classes

CASES_PER_BACKEND = 1
SEED = time.time_ns() % 1_000_000


BACKEND_MODULE = {"sqlite": "aiosqlite", "sqld": "libsql", "postgres": "postgres"}


def _package(project: Project, root: Path, name: str, kind: str) -> tuple[Any, Any]:
    """Generate, then import the package under `name` (it imports itself relatively)
    and its store module for `kind`."""
    run = project.storegen("generate")
    assert run.code == 0, run.err
    shutil.copytree(project.root / "out", root / name)
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(name)
        stores = importlib.import_module(f"{name}.{BACKEND_MODULE[kind]}")
    finally:
        sys.path.remove(str(root))
    return package, stores


async def _url(kind: str, request: pytest.FixtureRequest, folder: Path) -> str:
    if kind == "sqlite":
        return str(folder / "app.db")
    if kind == "sqld":
        return str(request.getfixturevalue("sqld_factory")().ws_url)
    return await create_pg_database(request.getfixturevalue("postgres_server").url)


def _stores(backend_module: Any, db: Any) -> list[Any]:
    return [cls(db) for cls in store_classes(backend_module)]


async def _one_case(kind: str, seed: int, request: pytest.FixtureRequest, root: Path) -> None:
    rng = random.Random(seed)
    project = Project(root / f"project{seed}", backends=("aiosqlite", "libsql", "postgres"))
    model = RandomSchema(rng, prefix="s")
    project.schema(model.text())
    assert project.migrate().code == 0
    tag = uuid.uuid4().hex[:8]
    v1, module = _package(project, root, f"v1_{tag}", kind)
    url = await _url(kind, request, project.root)
    async with v1.connect(url) as db:
        assert await v1.migrate(db) == ["0001_initial"]
        stores = _stores(module, db)
        for values in SAMPLES:
            rows = {s.table: build_row(s.model, values, required_only=False) for s in stores}
            await insert_in_order(stores, rows)
        before = {s.table: len(ok(await s.list_all("v1"), s.table)) for s in stores}
    edits = [model.edit() for _ in range(rng.randint(1, 3))]
    case = f"seed={seed} kind={kind} edits={edits}"
    project.schema(model.text())
    run = project.migrate("--allow-destructive")
    assert run.code == 0, f"{case}: {run.err}"
    v2, module = _package(project, root, f"v2_{tag}", kind)
    async with v2.connect(url) as db:
        assert len(await v2.migrate(db)) == 1, case
        assert await v2.migrate(db) == [], case
        assert await v2.schema_drift(db) == [], case
        for store in _stores(module, db):
            table = next(t for t in model.tables if t.name == store.table)
            listed = ok(await store.list_all("v2"), f"{case}: {store.table}.list_all")
            if table.old_name is not None:
                assert len(listed) == before[table.old_name], f"{case}: {store.table} lost rows"
            for row in listed:
                await exercise(store, row)


@pytest.mark.parametrize("kind", ["sqlite", "sqld", "postgres"])
async def test_v1_stores_fill_v2_migrates_and_v2_stores_work(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    for offset in range(CASES_PER_BACKEND):
        await _one_case(kind, SEED * 100 + offset, request, tmp_path)
