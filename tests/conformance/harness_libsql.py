"""libSQL harnesses of the conformance suite: a real sqld, over WebSocket and over HTTP.

Registered at the bottom of `harness.py`. Every test gets an EMPTY database:
the suite has one sqld of its own (started on first use, stopped when the
session ends) and each test first drops every table on it, then creates the
schema. A fresh sqld per test costs ~170 ms (start + stop) against a few ms
for the reset, and sqld has no cheap per-test database without namespaces.

The database object is what `generated.connect()` returns for the URL, so
the suite also covers URL parsing: the WebSocket harness uses the
`libsql://127.0.0.1:PORT?tls=0` form, the HTTP harness `http://127.0.0.1:PORT`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from generated import connect, create_schema
from generated._runtime.errors import Failure
from generated._runtime.libsql import LibsqlDatabase, classify_libsql_error
from servers import SqldServer, start_sqld

__all__ = [
    "libsql_classify",
    "libsql_execute_raw",
    "open_libsql_http",
    "open_libsql_ws",
    "reopen_libsql",
    "reset_database",
    "reset_or_flag",
]

TIMEOUT_S = 10.0
_server: SqldServer | None = None
_server_failed_a_reset = False


def conformance_server(request: pytest.FixtureRequest) -> SqldServer:
    """The suite's own sqld (not the shared `sqld` fixture: the reset drops everything).

    A server that failed a test's reset is replaced, so one wedged server
    fails one test, not every libSQL test after it at a deadline each.
    """
    global _server, _server_failed_a_reset
    if _server is not None and _server_failed_a_reset:
        _server.stop()
        _server_failed_a_reset = False
    if _server is None or not _server.running:
        binary: Path = request.getfixturevalue("sqld_bin")
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        _server = start_sqld(factory.mktemp("sqld-conformance"), binary=binary)
        request.config.add_cleanup(_server.stop)
    return _server


async def reset_database(db: Any) -> None:
    """Drop every table (and with them indexes and triggers), then create the schema."""
    rows = await db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' "
        "ORDER BY rowid DESC",
        (),
    )
    drops = [f'DROP TABLE IF EXISTS "{name}"' for (name,) in rows]
    if drops:
        # Deferred: dropping a parent before its child must not trip a foreign key.
        await db.execute_script(";\n".join(["PRAGMA defer_foreign_keys = ON", *drops]))
    await create_schema(db)


@asynccontextmanager
async def _open(url: str) -> AsyncIterator[Any]:
    async with connect(url, timeout=TIMEOUT_S) as db:
        await reset_or_flag(db)
        yield db


async def reset_or_flag(db: Any) -> None:
    """`reset_database`; if that fails, the next test gets a new server."""
    global _server_failed_a_reset
    try:
        await reset_database(db)
    except BaseException:
        _server_failed_a_reset = True
        raise


def open_libsql_ws(ctx: Any) -> Any:
    server = conformance_server(ctx.request)
    return _open(f"libsql://127.0.0.1:{server.hrana_port}?tls=0")


def open_libsql_http(ctx: Any) -> Any:
    return _open(conformance_server(ctx.request).http_url)


@asynccontextmanager
async def reopen_libsql(db: Any) -> AsyncIterator[Any]:
    """A second, independent client (its own socket) to the same server."""
    other = LibsqlDatabase(db.url, timeout=TIMEOUT_S)  # not .shared()
    try:
        yield other
    finally:
        await other.close()


async def libsql_execute_raw(db: Any, sql: str) -> object:
    return await db.execute(sql, ())


def libsql_classify(exc: BaseException, table: str) -> Failure:
    return classify_libsql_error(exc, table)
