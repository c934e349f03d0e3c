"""`async with db.transaction():` on every backend that can hold one open.

Atomic across stores, savepoints when nested, rollback on an exception, reads
of the task see its own writes, and another task's statements never run
inside it (they wait, or run outside it). libSQL over HTTP refuses clearly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from generated._runtime.errors import TransactionUnsupported
from generated.results import ErrorCode

from . import factories as f
from .harness import BackendHarness, Database, Stores
from .support import expect_failure, expect_success, new_ray_id

NO_TRANSACTIONS = ("libsql-http",)
# PostgreSQL aborts the whole transaction when one statement fails, unless the
# runtime wraps each statement in a savepoint; until the postgres runtime does,
# the test that a failed call leaves the block usable is skipped there.
class Boom(Exception):
    """Raised on purpose inside a transaction."""


@pytest_asyncio.fixture
async def tx_db(harness: BackendHarness, db: Database) -> AsyncIterator[Database]:
    if harness.name in NO_TRANSACTIONS:
        pytest.skip(f"{harness.name} cannot hold a transaction open")
    yield db


async def count(store: object) -> int:
    ray_id = new_ray_id()
    value: int = expect_success(await store.count_all(ray_id), ray_id)  # type: ignore[attr-defined]
    return value


async def test_http_transport_refuses_clearly(harness: BackendHarness, db: Database) -> None:
    if harness.name not in NO_TRANSACTIONS:
        pytest.skip("this transport supports transactions")
    with pytest.raises(TransactionUnsupported, match="ws://"):
        async with db.transaction():
            pass


async def test_commit_spans_stores(tx_db: Database, stores: Stores) -> None:
    client, user = f.make_client(), f.make_user()
    async with tx_db.transaction():
        expect_success(await stores.clients.insert(client, "r1"), "r1")
        expect_success(await stores.users.insert(user, "r2"), "r2")
        token = f.make_access_token(client.id, user.id)
        expect_success(await stores.access_tokens.insert(token, "r3"), "r3")
        # The task's own reads see its uncommitted writes.
        assert expect_success(await stores.access_tokens.get_by_id(token.id, "r4"), "r4") == token
    assert expect_success(await stores.access_tokens.get_by_id(token.id, "r5"), "r5") == token
    assert await count(stores.clients) == 1 and await count(stores.users) == 1


async def test_exception_rolls_back_every_store(tx_db: Database, stores: Stores) -> None:
    client, user = f.make_client(), f.make_user()
    with pytest.raises(Boom):
        async with tx_db.transaction():
            expect_success(await stores.clients.insert(client, "r1"), "r1")
            expect_success(await stores.users.insert(user, "r2"), "r2")
            expect_success(
                await stores.access_tokens.insert_many(
                    [f.make_access_token(client.id, user.id) for _ in range(3)], "r3"
                ),
                "r3",
            )
            raise Boom
    assert await count(stores.clients) == 0
    assert await count(stores.users) == 0
    assert await count(stores.access_tokens) == 0
    expect_failure(await stores.clients.get_by_id(client.id, "r4"), ErrorCode.NOT_FOUND, "r4")


async def test_nested_block_is_a_savepoint(tx_db: Database, stores: Stores) -> None:
    kept, dropped, after = f.make_client(), f.make_client(), f.make_client()
    async with tx_db.transaction():
        expect_success(await stores.clients.insert(kept, "r1"), "r1")
        with pytest.raises(Boom):
            async with tx_db.transaction():
                expect_success(await stores.clients.insert(dropped, "r2"), "r2")
                raise Boom
        async with tx_db.transaction():
            expect_success(await stores.clients.insert(after, "r3"), "r3")
    ids = {c.id for c in expect_success(await stores.clients.list_all("r4"), "r4")}
    assert ids == {kept.id, after.id}


async def test_failed_result_inside_keeps_the_transaction(
    harness: BackendHarness, tx_db: Database, stores: Stores
) -> None:
    client = f.make_client()
    async with tx_db.transaction():
        expect_success(await stores.clients.insert(client, "r1"), "r1")
        expect_failure(await stores.clients.insert(client, "r2"), ErrorCode.ALREADY_EXISTS, "r2")
        batch = [f.make_client(), client]  # the second row is a duplicate: none is kept
        expect_failure(await stores.clients.insert_many(batch, "r3"), ErrorCode.ALREADY_EXISTS, "r3")
    assert {c.id for c in expect_success(await stores.clients.list_all("r4"), "r4")} == {client.id}


async def test_other_tasks_never_run_inside(tx_db: Database, stores: Stores) -> None:
    """A task spawned inside the block, and one running beside it, stay outside it."""
    mine, spawned, beside = f.make_client(), f.make_client(), f.make_client()
    inside = asyncio.Event()
    seen_by_other: list[object] = []

    async def other_task() -> None:
        await inside.wait()
        # Not visible to another task while uncommitted (or it waited for the end).
        seen_by_other.append(await stores.clients.get_by_id(mine.id, "r-other"))
        expect_success(await stores.clients.insert(beside, "r-beside"), "r-beside")

    runner = asyncio.create_task(other_task())
    child: asyncio.Task[object] | None = None
    with pytest.raises(Boom):
        async with tx_db.transaction():
            expect_success(await stores.clients.insert(mine, "r1"), "r1")
            child = asyncio.create_task(stores.clients.insert(spawned, "r-child"))
            inside.set()
            await asyncio.sleep(0.05)  # give the others every chance to slip in
            raise Boom
    assert child is not None
    expect_success(await child, "r-child")  # type: ignore[arg-type]
    await runner
    (read,) = seen_by_other
    expect_failure(read, ErrorCode.NOT_FOUND, "r-other")  # type: ignore[arg-type]
    ids = {c.id for c in expect_success(await stores.clients.list_all("r2"), "r2")}
    assert ids == {spawned.id, beside.id}  # theirs survived our rollback; ours is gone


async def test_concurrent_transactions_are_serialized(tx_db: Database, stores: Stores) -> None:
    async def transfer(n: int) -> None:
        async with tx_db.transaction():
            expect_success(await stores.clients.insert(f.make_client(), f"a{n}"), f"a{n}")
            await asyncio.sleep(0)
            if n % 2:
                raise Boom
            expect_success(await stores.clients.insert(f.make_client(), f"b{n}"), f"b{n}")

    results = await asyncio.gather(*(transfer(n) for n in range(8)), return_exceptions=True)
    assert [isinstance(r, Boom) for r in results] == [bool(n % 2) for n in range(8)]
    assert await count(stores.clients) == 8  # 4 committed blocks x 2 rows
