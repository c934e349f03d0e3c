"""The Turso embedded replica harness: a local replica file of the suite's sqld.

Registered at the bottom of `harness.py`. The replica file of the same primary
the libSQL harnesses use, reset the same way (drop every table on the primary,
create the schema). One file for the whole suite, beside that server's data,
closed after each test and reopened by the next: a NEW replica replays the
primary's whole log, which grows with every test's reset (measured: the
setup went from 0.3 s to over 10 s within 120 tests with a file per test). The database
is what `generated.connect()` returns for
`libsql://127.0.0.1:PORT?tls=0&replica=PATH`, so the URL form is covered too.
A second connection (`reopen`) is a second replica file of the same primary.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from generated import connect
from generated._runtime.libsql_replica import LibsqlReplicaDatabase, ReplicaSyncError

from .harness_libsql import TIMEOUT_S, conformance_server, reset_or_flag

__all__ = ["open_replica", "reopen_replica"]


@asynccontextmanager
async def _open(url: str) -> AsyncIterator[Any]:
    async with connect(url, timeout=TIMEOUT_S) as db:
        await reset_or_flag(db)
        yield db


def open_replica(ctx: Any) -> Any:
    server = conformance_server(ctx.request)
    local = server.base_dir / "replica.db"
    return _open(f"libsql://127.0.0.1:{server.http_port}?tls=0&replica={local}")


@asynccontextmanager
async def reopen_replica(db: Any) -> AsyncIterator[Any]:
    """Another replica file of the same primary (its own sync, its own client).

    Its first open replays the primary's whole log, every earlier test's reset
    included: on a loaded machine that takes longer than one call's deadline,
    so wait for it as an application would, before the test's calls.
    """
    other = LibsqlReplicaDatabase(db.path + ".other.db", db.url, timeout=TIMEOUT_S)
    try:
        await _wait_until_open(other)
        yield other
    finally:
        await other.close()


async def _wait_until_open(db: LibsqlReplicaDatabase, within: float = 180.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            await db.sync()
            return
        except ReplicaSyncError:
            if time.monotonic() > deadline:
                raise
