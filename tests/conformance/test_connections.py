"""Writes are committed and visible to another connection; concurrent use is safe."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from generated.results import ErrorCode

from . import factories as f
from .harness import BackendHarness, Database, Stores
from .support import expect_failure, expect_success, insert_ok, new_ray_id


async def catch_up(db: Database) -> None:
    """Let `db` see what other connections committed.

    A no-op everywhere but on an embedded replica (libsql_replica), which sees
    other clients' writes only after `sync()` (its own writes it sees at once).
    """
    sync = getattr(db, "sync", None)
    if sync is not None:
        await sync()


@pytest.fixture
def reopenable(harness: BackendHarness) -> BackendHarness:
    """The harness, if it can open a second connection (`supports_cross_process`)."""
    if not harness.supports_cross_process:
        pytest.skip(f"{harness.name} cannot open a second connection")
    return harness


async def test_writes_are_visible_to_another_connection(
    reopenable: BackendHarness, db: Database, stores: Stores
) -> None:
    assert reopenable.reopen is not None
    module = reopenable.load_module()
    async with reopenable.reopen(db) as other_db:
        other = Stores.bind(module, other_db)
        client = await insert_ok(stores.clients, f.make_client())
        await catch_up(other_db)
        ray_id = new_ray_id()
        assert expect_success(await other.clients.get_by_id(client.id, ray_id), ray_id) == client

        # And back: no stale cache on the first connection.
        user = await insert_ok(other.users, f.make_user())
        await catch_up(db)
        ray_id = new_ray_id()
        assert expect_success(await stores.users.get_by_id(user.id, ray_id), ray_id) == user

        # Constraints hold across connections.
        clash = f.make_client(client_identifier=client.client_identifier)
        ray_id = new_ray_id()
        expect_failure(await other.clients.insert(clash, ray_id), ErrorCode.ALREADY_EXISTS, ray_id)


async def test_concurrent_operations(stores: Stores) -> None:
    client = await insert_ok(stores.clients, f.make_client())
    tokens = [f.make_access_token(client.id, None) for _ in range(40)]
    results: list[Any] = await asyncio.gather(
        *(stores.access_tokens.insert(t, f"ray-{i}") for i, t in enumerate(tokens)),
        *(stores.access_tokens.count_by_client_id(client.id, f"count-{i}") for i in range(10)),
    )
    for i, (token, result) in enumerate(zip(tokens, results)):
        assert expect_success(result, f"ray-{i}") == token
    for i, result in enumerate(results[len(tokens) :]):
        assert 0 <= expect_success(result, f"count-{i}") <= len(tokens)
    ray_id = new_ray_id()
    assert (
        expect_success(await stores.access_tokens.count_by_client_id(client.id, ray_id), ray_id)
        == 40
    )
