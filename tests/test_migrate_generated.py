"""The generated package's `migrate()` / `schema_drift()` on the repo's own schema.

On every backend (SQLite file, sqld over ws, PostgreSQL):
* a new database: `migrate` applies the repo's migrations, then the schema
  has no drift and the stores work;
* a database made earlier by `create_schema` (no records table) is adopted:
  nothing runs, 0001_initial is recorded, its rows stay, no drift;
* a database that differs from every step is refused, naming the difference.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

import generated
from generated import MigrationError, OAuthUser, migrate, schema_drift
from migrate_support import KINDS, fresh_database

pytestmark = pytest.mark.parametrize("kind", KINDS)
MODULES = {"sqlite": "generated.aiosqlite", "sqld": "generated.libsql", "postgres": "generated.postgres"}


@pytest.fixture
async def db(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with fresh_database(kind, request, tmp_path, runtime="generated._runtime") as database:
        yield database


def _user() -> OAuthUser:
    return OAuthUser(
        id="u1", external_id="e1", is_active=True,
        created_at=1, created_by="t", updated_at=1, updated_by="t",
    )  # fmt: skip


def _names(kind: str) -> list[str]:
    migrations = generated.migrations
    chosen = migrations.POSTGRES_MIGRATIONS if kind == "postgres" else migrations.SQLITE_MIGRATIONS
    return [m.name for m in chosen]


async def _recorded(db: Any) -> list[str]:
    rows = await db.fetch_all("SELECT name FROM storegen_migrations ORDER BY name", ())
    return [str(name) for (name,) in rows]


async def test_migrate_a_new_database(db: Any, kind: str) -> None:
    assert await migrate(db) == _names(kind)
    assert await schema_drift(db) == []
    assert await migrate(db) == []
    users = importlib.import_module(MODULES[kind]).OAuthUserStore(db)
    assert (await users.insert(_user(), "r1")).client_message == _user()
    assert (await users.get_by_id("u1", "r2")).client_message == _user()


async def test_adopts_a_database_made_by_create_schema(db: Any, kind: str) -> None:
    module = importlib.import_module(MODULES[kind])
    create_schema = module.create_schema if kind == "postgres" else generated.create_schema
    await create_schema(db)
    await module.OAuthUserStore(db).insert(_user(), "r1")
    assert await schema_drift(db) == []
    assert await migrate(db) == []  # adopted: every step already reflected
    assert await _recorded(db) == _names(kind)
    assert (await module.OAuthUserStore(db).get_by_id("u1", "r2")).client_message == _user()


async def test_refuses_to_adopt_a_foreign_schema(db: Any, kind: str) -> None:
    await db.execute("CREATE TABLE oauth_users (id TEXT PRIMARY KEY)", ())
    with pytest.raises(MigrationError, match="matches no migration step") as error:
        await migrate(db)
    assert "column oauth_users.external_id: missing" in str(error.value)
    drift = await schema_drift(db)
    assert "column oauth_users.external_id: missing" in drift
    assert "table oauth_clients: missing" in drift
