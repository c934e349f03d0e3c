"""Property: any random schema, any random edits — `storegen migrate` + `migrate()` keep every row.

For each of SEQUENCES random cases per backend (SQLite file, sqld over ws,
PostgreSQL): a random schema v1 is migrated (0001) into a fresh database and
filled with random rows; random edits give v2; `storegen migrate` writes 0002
(destructive changes allowed: the expectations model them); the runtime
applies it. Then every row is still there, with the values the edits imply
(a widened INTEGER is its text, a column made NOT NULL took its DEFAULT),
`integrity_check` and `foreign_key_check` are clean, and `schema_drift`
against the v2 schema is empty.

The seed changes with every run and is printed on failure; rerun one with
STOREGEN_PROPERTY_SEED=<seed>.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from migrate_project import Project
from migrate_random import RandomSchema, Tab, random_value
from migrate_support import fresh_database
from storegen import load_schema
from storegen.backends.dialect import schema_ddl
from storegen.config import load_options
from storegen.render.context import build_package_view
from storegen.runtime.migrate import apply_migrations, schema_drift

SEQUENCES = int(os.environ.get("STOREGEN_PROPERTY_SEQUENCES", "25"))
SEED = int(os.environ.get("STOREGEN_PROPERTY_SEED", time.time_ns() % 1_000_000))


def _expected_ddl(project: Project, dialect: str) -> str:
    options = load_options(project.root / "pyproject.toml", project.root)
    schema = load_schema(options)
    view = build_package_view(schema, options, ())
    if dialect == "postgres":
        statements = schema_ddl(
            schema, options, {t.name: t.append_only for t in view.tables}, dialect
        )
    else:
        statements = view.ddl
    return "".join(s + ";\n" for s in statements)


def _marks(db: Any, count: int) -> str:
    if db.sql_dialect == "postgres":
        return ", ".join(f"${i + 1}" for i in range(count))
    return ", ".join("?" for _ in range(count))


async def _fill(
    db: Any, model: RandomSchema, rng: random.Random
) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in model.tables:
        rows[table.name] = []
        for row_id in range(1, rng.randint(1, 12) + 1):
            row: dict[str, Any] = {"id": row_id}
            for column in table.columns:
                if column.references:
                    parents = rows[column.references]
                    row[column.name] = rng.choice(parents)["id"] if parents else None
                else:
                    row[column.name] = random_value(column.type, rng, not column.not_null)
            names = ", ".join(row)
            await db.execute(
                f"INSERT INTO {table.name} ({names}) VALUES ({_marks(db, len(row))})",
                tuple(row.values()),
            )
            rows[table.name].append(row)
    return rows


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    if isinstance(a, memoryview):
        a = bytes(a)
    return bool(a == b)


async def _check_rows(db: Any, table: Tab, before: list[dict[str, Any]], case: str) -> None:
    shared = [(new, old) for new, old in table.old_columns.items()]
    names = ", ".join(["id", *(new for new, _ in shared)])
    found = [
        tuple(r) for r in await db.fetch_all(f"SELECT {names} FROM {table.name} ORDER BY id", ())
    ]
    assert len(found) == len(
        before
    ), f"{case}: {table.name} has {len(found)} rows, not {len(before)}"
    for got, row in zip(found, before):
        assert got[0] == row["id"], case
        for at, (new, old) in enumerate(shared, start=1):
            want = table.transforms.get(new, lambda v: v)(row[old])
            assert _same(
                got[at], want
            ), f"{case}: {table.name}.{new} id={row['id']}: {got[at]!r} != {want!r}"


def _write(project: Project, model: RandomSchema) -> None:
    project.schema(model.text())
    (project.root / "schema" / "pg.sql").write_text(model.postgres_text())


async def _one_case(
    kind: str, seed: int, request: pytest.FixtureRequest, tmp_path: Path, objects: bool = False
) -> None:
    rng = random.Random(seed)
    folder = tmp_path / f"case{seed}"
    project = Project(folder)
    if objects:  # views, triggers and FTS5 tables; PostgreSQL gets their text from pg.sql
        config = project.root / "pyproject.toml"
        config.write_text(
            config.read_text() + '\n[tool.storegen.postgres]\nobjects = "schema/pg.sql"\n'
        )
    model = RandomSchema(rng, prefix="p", objects=objects)
    _write(project, model)
    assert project.migrate().code == 0
    edits = [model.edit() for _ in range(rng.randint(1, 4))]
    case = f"seed={seed} kind={kind} objects={objects} edits={edits}"
    _write(project, model)
    run = project.migrate("--allow-destructive")
    assert run.code == 0, f"{case}: {run.err}"
    async with fresh_database(kind, request, folder) as db:
        steps = project.for_db(db)
        assert await apply_migrations(db, steps[:1]) == ["0001_initial"]
        rows = await _fill(
            db,
            RandomSchema(random.Random(seed), prefix="p", objects=objects),
            random.Random(seed + 1),
        )
        assert await apply_migrations(db, steps) == [m.name for m in steps[1:]], case
        for table in model.tables:
            if table.old_name is not None:
                await _check_rows(db, table, rows[table.old_name], case)
        if db.sql_dialect != "postgres":
            assert [tuple(r) for r in await db.fetch_all("PRAGMA integrity_check", ())] == [("ok",)]
            assert list(await db.fetch_all("PRAGMA foreign_key_check", ())) == [], case
        drift = await schema_drift(db, _expected_ddl(project, db.sql_dialect))
        assert drift == [], f"{case}: {drift}"


@pytest.mark.parametrize("kind", ["sqlite", "sqld", "postgres"])
async def test_random_edit_sequences_keep_every_row(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    for offset in range(SEQUENCES):
        await _one_case(kind, SEED * 100 + offset, request, tmp_path)


@pytest.mark.parametrize("kind", ["sqlite", "sqld", "postgres"])
async def test_random_edits_under_views_triggers_and_fts_keep_every_row(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The same property with views (and views over them), triggers and external-content
    FTS5 tables on the tables: rebuilds, renames and drops carry them along."""
    for offset in range(SEQUENCES):
        await _one_case(kind, SEED * 100 + 50 + offset, request, tmp_path, objects=True)
