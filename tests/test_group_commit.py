"""Group commit: concurrent writes share one batch (replica and libsql).

Against a real sqld of the test's own. The batcher's senders are wrapped only
to count what reaches the primary; the calls themselves are real.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import libsql_client  # type: ignore[import-untyped, unused-ignore]
import pytest

from servers import SqldServer
from test_libsql_replica import audit, url_of

import generated.libsql
from generated import connect, create_schema
from generated._runtime.libsql import LibsqlDatabase
from generated._runtime.libsql_batch import WriteBatcher
from generated._runtime.libsql_replica import LibsqlReplicaDatabase
from generated.libsql_replica import AuditLogStore
from generated.results import ErrorCode, FailedResult, SuccessResult

SqldFactory = Callable[..., SqldServer]


@contextlib.asynccontextmanager
async def replica_of(server: SqldServer, tmp_path: Path) -> AsyncIterator[LibsqlReplicaDatabase]:
    """A replica of `server`'s database, with the q_scope schema created."""
    async with connect(url_of(server, tmp_path / "local.db"), timeout=10) as db:
        assert isinstance(db, LibsqlReplicaDatabase)
        await create_schema(db)
        yield db


def count_batches(batcher: WriteBatcher) -> list[int]:
    """The size of every request of writes sent to the primary from now on."""
    sizes: list[int] = []
    send_batch, send_one = batcher._send_batch, batcher._send_one

    async def counted_batch(statements: list[Any]) -> Any:
        sizes.append(len(statements))
        return await send_batch(statements)

    async def counted_one(statement: Any) -> Any:
        sizes.append(1)
        return await send_one(statement)

    batcher._send_batch, batcher._send_one = counted_batch, counted_one
    return sizes


def read_without_suspending(call: Any) -> Any:
    """Run a store read that must complete on the loop thread (the local file)."""
    with pytest.raises(StopIteration) as done:
        call.send(None)
    return done.value.value


async def test_concurrent_writes_share_batches_and_reads_stay_local(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    async with replica_of(server, tmp_path) as db:
        await db.sync()
        sizes = count_batches(db._writes)
        store = AuditLogStore(db)
        results = await asyncio.gather(*(store.insert(audit(f"c{i}"), "w") for i in range(40)))
        assert [r.client_message for r in results] == [audit(f"c{i}") for i in range(40)]
        assert sum(sizes) == 40 and len(sizes) < 40, sizes
        # The writers returned after a sync pulled their batch: every read,
        # from any store of this database, is served by the file and sees them.
        other = AuditLogStore(db)
        for i in range(40):
            found = read_without_suspending(other.get_by_id(f"c{i}", "r"))
            assert found.client_message == audit(f"c{i}")
        # The primary has them too.
        rows = server.query("SELECT count(*) FROM oauth_audit_logs WHERE id LIKE 'c%'")
        assert rows == [["40"]]  # Hrana sends integers as strings


async def test_a_write_cancelled_in_line_is_never_sent(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    # The first write waits on the primary behind another connection's
    # transaction; the second queues behind it and is cancelled there.
    server = sqld_factory()
    async with replica_of(server, tmp_path) as db:
        store = AuditLogStore(db)
        sizes = count_batches(db._writes)
        async with libsql_client.create_client(server.ws_url) as holder:
            tx = holder.transaction()
            await tx.execute("INSERT INTO oauth_audit_logs (id, event_type, subject, created_at, "
                             "created_by, updated_at, updated_by) "
                             "VALUES ('held', 'e', 's', 1, 't', 1, 't')")  # fmt: skip
            try:
                first = asyncio.ensure_future(store.insert(audit("first"), "w"))
                await asyncio.sleep(0.3)
                second = asyncio.ensure_future(store.insert(audit("second"), "w"))
                await asyncio.sleep(0.1)
                assert not first.done() and not second.done()
                second.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await second
            finally:
                await tx.rollback()
                tx.close()
        assert (await first).client_message == audit("first")
        assert sizes == [1]
        await db.sync()
        missing = await store.get_by_id("second", "r")
        assert isinstance(missing, FailedResult) and missing.error_code is ErrorCode.NOT_FOUND
        rows = server.query("SELECT id FROM oauth_audit_logs ORDER BY id")
        assert rows == [["first"]]


@contextlib.asynccontextmanager
async def database(
    kind: str, server: SqldServer, tmp_path: Path
) -> AsyncIterator[LibsqlDatabase | LibsqlReplicaDatabase]:
    """A replica of `server`'s database, or `server` itself over ws or http; schema made."""
    if kind == "replica":
        async with replica_of(server, tmp_path) as replica:
            yield replica
        return
    async with connect(server.ws_url if kind == "ws" else server.http_url, timeout=10) as db:
        assert isinstance(db, LibsqlDatabase)
        await create_schema(db)
        yield db


@pytest.mark.parametrize("kind", ["replica", "ws", "http"])
async def test_a_refused_write_fails_alone_and_its_batch_is_sent_again(
    sqld_factory: SqldFactory, kind: str, tmp_path: Path
) -> None:
    server = sqld_factory()
    async with database(kind, server, tmp_path) as db:
        sizes = count_batches(db._writes)
        store = (AuditLogStore if kind == "replica" else generated.libsql.AuditLogStore)(db)
        idents = [f"c{i}" for i in range(40)] + ["c7"]  # c7 twice: one is refused
        results = await asyncio.gather(*(store.insert(audit(i), "w") for i in idents))
        # One batch, refused whole for the duplicate, then each write on its own.
        assert sizes == [41] + [1] * 41, sizes
        refused = [r for r in results if isinstance(r, FailedResult)]
        assert [r.error_code for r in refused] == [ErrorCode.ALREADY_EXISTS]
        for ident, result in zip(idents, results):
            if isinstance(result, SuccessResult):
                assert result.client_message == audit(ident)
                assert (await store.get_by_id(ident, "r")).client_message == audit(ident)
        assert server.query("SELECT count(*) FROM oauth_audit_logs") == [["40"]]
