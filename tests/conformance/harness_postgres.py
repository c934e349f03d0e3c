"""PostgreSQL harness of the conformance suite: a real server, through asyncpg.

Registered by driver ("asyncpg") in `harness.py`, so every configured backend
whose manifest says `driver = "asyncpg"` runs the whole suite. The suite
shares one server (fixture `postgres_server`, tests/conftest.py); every test
gets an EMPTY database: the `public` schema is dropped and recreated, then
the backend module's own `create_schema` (the transpiled DDL) runs.

`execute_raw` takes the suite's SQLite-flavoured statements; the only one
PostgreSQL does not know is `REPLACE INTO`, which means "insert over an
existing key", i.e. a plain INSERT here (the append-only trigger refuses
it as a duplicate key, as SQLite's does).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from generated._runtime.errors import Failure
from generated._runtime.postgres import PostgresDatabase, classify_postgres_error

__all__ = [
    "postgres_classify",
    "postgres_execute_raw",
    "postgres_opener",
    "reopen_postgres",
    "reset_database",
]

TIMEOUT_S = 10.0
_REPLACE = re.compile(r"^\s*REPLACE\s+INTO\b", re.IGNORECASE)


async def reset_database(db: Any, module: str) -> None:
    """Drop everything in `public`, then create the schema with the module's DDL."""
    await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    await importlib.import_module(module).create_schema(db)


def postgres_opener(module: str) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
    """The `open_database` of a harness for the backend module `module`."""

    @asynccontextmanager
    async def open_database(ctx: Any) -> AsyncIterator[Any]:
        server = ctx.request.getfixturevalue("postgres_server")
        db = PostgresDatabase(server.url, timeout=TIMEOUT_S)  # not .shared(): one per test
        try:
            await reset_database(db, module)
            yield db
        finally:
            await db.close()

    return open_database


@asynccontextmanager
async def reopen_postgres(db: Any) -> AsyncIterator[Any]:
    """A second, independent pool to the same server."""
    other = PostgresDatabase(db.url, timeout=TIMEOUT_S)
    try:
        yield other
    finally:
        await other.close()


async def postgres_execute_raw(db: Any, sql: str) -> object:
    return await db.execute(_REPLACE.sub("INSERT INTO", sql), ())


def postgres_classify(exc: BaseException, table: str) -> Failure:
    return classify_postgres_error(exc, table)
