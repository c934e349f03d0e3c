"""Fresh, empty databases on every backend for the migration runtime tests.

`fresh_database(kind, ...)` gives an empty database of one kind: an SQLite
file in the test's tmp folder, a new sqld server (ws), or a new database on
the session's PostgreSQL server. Migrations are written per dialect: the
SQLite text runs on files and sqld, the PostgreSQL text on PostgreSQL.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from generated._runtime.migrate import Migration

KINDS = ("sqlite", "sqld", "postgres")


def pg_url(base_url: str, name: str) -> str:
    return base_url.rsplit("/", 1)[0] + f"/{name}"


async def create_pg_database(base_url: str) -> str:
    """A new empty database on the server; its URL."""
    name = f"mig_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(base_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return pg_url(base_url, name)


@asynccontextmanager
async def fresh_database(
    kind: str, request: Any, tmp_path: Path, runtime: str = "storegen.runtime"
) -> AsyncIterator[Any]:
    """An empty database of `kind`, closed afterwards.

    `runtime` is the package whose database classes to use: `storegen.runtime`,
    or `generated._runtime` for tests that drive the generated stores.
    """
    db: Any
    if kind == "sqlite":
        sqlite = importlib.import_module(f"{runtime}.sqlite")
        db = sqlite.SqliteDatabase(tmp_path / f"{uuid.uuid4().hex[:8]}.db")
    elif kind == "sqld":
        server = request.getfixturevalue("sqld_factory")()
        libsql = importlib.import_module(f"{runtime}.libsql")
        db = libsql.LibsqlDatabase(server.ws_url, timeout=30.0)
    else:
        server = request.getfixturevalue("postgres_server")
        postgres = importlib.import_module(f"{runtime}.postgres")
        db = postgres.PostgresDatabase(await create_pg_database(server.url), timeout=30.0)
    try:
        yield db
    finally:
        await db.close()


def other_handle(db: Any) -> Any:
    """A second, independent database object (of the same class) on the same database."""
    if hasattr(db, "path"):
        return type(db)(db.path)
    return type(db)(db.url, timeout=db.timeout)


def url_of(db: Any) -> str:
    """What another process passes to `connect()` to reach the same database."""
    return str(db.path) if hasattr(db, "path") else str(db.url)


# A parent with cascading children, then a parent rebuild (the FK trap).
SQLITE = {
    "initial": (
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
        "REFERENCES parent (id) ON DELETE CASCADE, note TEXT);\n"
        "CREATE INDEX idx_child_parent ON child (parent_id);\n"
    ),
    "rebuild": (
        "-- storegen: foreign_keys=off\n"
        "CREATE TABLE new_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "email TEXT NOT NULL DEFAULT '');\n"
        "INSERT INTO new_parent (id, name) SELECT id, name FROM parent;\n"
        "DROP TABLE parent;\n"
        "ALTER TABLE new_parent RENAME TO parent;\n"
    ),
    "add_column": "ALTER TABLE child ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;\n",
}
POSTGRES = {
    "initial": (
        "CREATE TABLE parent (id BIGINT PRIMARY KEY, name TEXT NOT NULL);\n"
        "CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL "
        "REFERENCES parent (id) ON DELETE CASCADE, note TEXT);\n"
        "CREATE INDEX idx_child_parent ON child (parent_id);\n"
    ),
    "rebuild": "ALTER TABLE parent ADD COLUMN email TEXT NOT NULL DEFAULT '';\n",
    "add_column": "ALTER TABLE child ADD COLUMN rank BIGINT NOT NULL DEFAULT 0;\n",
}


def migrations(db: Any, *steps: str) -> list[Migration]:
    """Numbered migrations for `db`'s dialect, e.g. ("initial", "rebuild")."""
    texts = POSTGRES if db.sql_dialect == "postgres" else SQLITE
    return [
        Migration(
            f"{i:04d}_{step}",
            texts[step],
            foreign_keys_off=texts[step].startswith("-- storegen: foreign_keys=off"),
        )
        for i, step in enumerate(steps, start=1)
    ]


def ddl_after(db: Any, *steps: str) -> str:
    """The schema the given steps produce, as one script (what create_schema would run)."""
    texts = POSTGRES if db.sql_dialect == "postgres" else SQLITE
    return "".join(texts[step] for step in steps)


Factory = Callable[..., Any]
