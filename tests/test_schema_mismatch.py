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


# v1 tables the current (v2) stores no longer match, each holding one row:
# users before `is_active`, clients before `is_enabled`, users keyed on
# `user_id` before its rename to `id`. `{int}` is the dialect's integer type.
V1_USERS = (
    "CREATE TABLE oauth_users (id TEXT PRIMARY KEY NOT NULL, external_id TEXT NOT NULL, "
    "created_at {int} NOT NULL, created_by TEXT NOT NULL, updated_at {int} NOT NULL, "
    "updated_by TEXT NOT NULL)",
    "INSERT INTO oauth_users VALUES ('u1', 'ext1', 1, 't', 1, 't')",
)
V1_CLIENTS = (
    "CREATE TABLE oauth_clients (id TEXT PRIMARY KEY NOT NULL, client_identifier TEXT NOT NULL, "
    "client_secret TEXT, is_confidential {int} NOT NULL, redirect_uris TEXT NOT NULL, "
    "grant_types TEXT NOT NULL, scopes TEXT, created_at {int} NOT NULL, "
    "created_by TEXT NOT NULL, updated_at {int} NOT NULL, updated_by TEXT NOT NULL)",
    "INSERT INTO oauth_clients VALUES ('c1', 'cid1', NULL, 0, 'https://a', 'code', NULL, "
    "1, 't', 1, 't')",
)
V1_USERS_BY_USER_ID = (
    "CREATE TABLE oauth_users (user_id TEXT PRIMARY KEY NOT NULL, external_id TEXT NOT NULL, "
    "is_active {int} NOT NULL, created_at {int} NOT NULL, created_by TEXT NOT NULL, "
    "updated_at {int} NOT NULL, updated_by TEXT NOT NULL)",
    "INSERT INTO oauth_users VALUES ('u1', 'ext1', 1, 1, 't', 1, 't')",
)


async def _v1(db: Any, kind: str, statements: tuple[str, ...]) -> None:
    integer = "BIGINT" if kind == "postgres" else "INTEGER"
    for statement in statements:
        await db.execute(statement.format(int=integer), ())


def _assert_behind(result: Any, table: str, call: str) -> None:
    assert result.error_code == ErrorCode.SCHEMA_MISMATCH, (call, result)
    assert result.client_message == f"the database schema of {table} is out of date"


async def test_reading_a_missing_column(db: Any, kind: str) -> None:
    """SQLite would read a bare unknown `"is_active"` as the string 'is_active'
    (its DQS quirk): a read would answer the column's name as its value. The
    stores qualify every column they read, `"oauth_users"."is_active"`, which
    no engine reads as a string, so every backend answers SCHEMA_MISMATCH."""
    await _v1(db, kind, V1_USERS)
    users = importlib.import_module(MODULES[kind]).OAuthUserStore(db)
    for call, result in (
        ("get_by_id", await users.get_by_id("u1", "ray-read")),
        ("get_by_external_id", await users.get_by_external_id("ext1", "ray-read")),
        ("list_all", await users.list_all("ray-read")),
        ("list_all after", await users.list_all("ray-read", after="u0")),
    ):
        _assert_behind(result, "oauth_users", call)
    # A count that names no column is right on the old table too.
    assert (await users.count_all("ray-read")).client_message == 1


async def test_filtering_on_a_missing_column(db: Any, kind: str) -> None:
    """A WHERE on a missing column must not match nothing (an empty page, a
    count of 0): the database is behind, and the store says so."""
    await _v1(db, kind, V1_CLIENTS)
    clients = importlib.import_module(MODULES[kind]).OAuthClientStore(db)
    for call, result in (
        ("list_by_is_enabled", await clients.list_by_is_enabled(False, "ray-filter")),
        ("list_by_is_enabled after", await clients.list_by_is_enabled(False, "ray", after="c0")),
        ("count_by_is_enabled", await clients.count_by_is_enabled(False, "ray-filter")),
    ):
        _assert_behind(result, "oauth_clients", call)


async def test_writing_by_a_missing_key_column(db: Any, kind: str) -> None:
    """The key was renamed (user_id -> id) and the database not migrated:
    update and delete by the missing key are SCHEMA_MISMATCH, not NOT_FOUND,
    and the row is left as it was."""
    await _v1(db, kind, V1_USERS_BY_USER_ID)
    users = importlib.import_module(MODULES[kind]).OAuthUserStore(db)
    for call, result in (
        ("update", await users.update(_user(), "ray-write")),
        ("delete_by_id", await users.delete_by_id("u1", "ray-write")),
    ):
        _assert_behind(result, "oauth_users", call)
    # Nothing was deleted.
    assert (await users.count_all("ray-write")).client_message == 1


async def test_missing_table_is_a_schema_mismatch(db: Any, kind: str) -> None:
    module = importlib.import_module(MODULES[kind])
    result = await module.AuditLogStore(db).get_by_id("a1", "ray-missing")
    assert result.error_code == ErrorCode.SCHEMA_MISMATCH
    assert result.client_message == "the database schema of oauth_audit_logs is out of date"
