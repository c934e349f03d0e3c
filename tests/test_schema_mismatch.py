"""A database behind the code: SCHEMA_MISMATCH from the stores, idempotent create_schema.

The issue's new-user story on every backend (SQLite file, sqld over ws,
PostgreSQL): a database made by an older schema (here `oauth_users` without
`is_active`), then the current generated package. `create_schema` must not
fail on it (nor on a second run), and store calls that need the missing
column or table answer SCHEMA_MISMATCH naming the table only, while the
server log says to run migrate().
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

import pytest

from generated import OAuthUser
from generated._runtime.errors import ErrorCode
from migrate_support import KINDS, fresh_database

pytestmark = pytest.mark.parametrize("kind", KINDS)

OLD_USERS = {
    "sqlite": "CREATE TABLE oauth_users (id TEXT PRIMARY KEY NOT NULL, "
    "external_id TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, created_by TEXT NOT NULL, "
    "updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL)",
    "postgres": "CREATE TABLE oauth_users (id TEXT PRIMARY KEY NOT NULL, "
    "external_id TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL, created_by TEXT NOT NULL, "
    "updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL)",
}
MODULES = {
    "sqlite": "generated.aiosqlite",
    "sqld": "generated.libsql",
    "postgres": "generated.postgres",
}


@pytest.fixture
async def db(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with fresh_database(kind, request, tmp_path, runtime="generated._runtime") as database:
        yield database


def _user(n: int = 1) -> OAuthUser:
    return OAuthUser(
        id=f"u{n}", external_id=f"ext{n}", is_active=True,
        created_at=1, created_by="t", updated_at=1, updated_by="t",
    )  # fmt: skip


def _create_schema(kind: str) -> Any:
    module = "generated.postgres" if kind == "postgres" else "generated"
    return importlib.import_module(module).create_schema


async def test_create_schema_twice_is_harmless(db: Any, kind: str) -> None:
    create_schema = _create_schema(kind)
    await create_schema(db)
    store = importlib.import_module(MODULES[kind]).OAuthUserStore(db)
    inserted = await store.insert(_user(), "r1")
    assert inserted.client_message == _user()
    await create_schema(db)
    found = await store.get_by_id("u1", "r2")
    assert found.client_message == _user()


async def test_store_on_a_database_behind_the_code(
    db: Any, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    dialect = "postgres" if kind == "postgres" else "sqlite"
    await db.execute(OLD_USERS[dialect], ())
    await _create_schema(kind)(db)  # skips the existing (old) table instead of failing
    module = importlib.import_module(MODULES[kind])
    users = module.OAuthUserStore(db)
    caplog.set_level(logging.ERROR)
    for ray_id, call in (
        ("ray-insert", users.insert(_user(), "ray-insert")),
        ("ray-update", users.update(_user(), "ray-update")),
    ):
        result = await call
        assert result.error_code == ErrorCode.SCHEMA_MISMATCH, (ray_id, result)
        assert result.client_message == "the database schema of oauth_users is out of date"
        logged = [r.getMessage() for r in caplog.records if ray_id in r.getMessage()]
        assert logged and "database schema is behind: run migrate()" in logged[0]


async def test_reading_a_missing_column(db: Any, kind: str) -> None:
    """PostgreSQL and sqld say "no such column". Python 3.11's sqlite3 reads an
    unknown double-quoted column name as a string literal (SQLite's DQS
    quirk; `setconfig` to turn it off arrives in 3.12), so the SELECT
    succeeds: no row here, so NOT_FOUND. Pinned so a fix shows."""
    dialect = "postgres" if kind == "postgres" else "sqlite"
    await db.execute(OLD_USERS[dialect], ())
    users = importlib.import_module(MODULES[kind]).OAuthUserStore(db)
    result = await users.get_by_id("u1", "ray-read")
    expected = ErrorCode.NOT_FOUND if kind == "sqlite" else ErrorCode.SCHEMA_MISMATCH
    assert result.error_code == expected


async def test_missing_table_is_a_schema_mismatch(db: Any, kind: str) -> None:
    module = importlib.import_module(MODULES[kind])
    result = await module.AuditLogStore(db).get_by_id("a1", "ray-missing")
    assert result.error_code == ErrorCode.SCHEMA_MISMATCH
    assert result.client_message == "the database schema of oauth_audit_logs is out of date"
