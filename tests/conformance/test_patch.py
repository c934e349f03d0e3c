"""`patch_by_<key>` on every backend: only the columns passed are written (issue 22).

Two writers that each change one field keep both changes (where `update`
would overwrite one); None writes NULL, a column left out keeps its value;
an unknown key is NOT_FOUND; immutable columns and append-only tables get
no keyword / no method.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect

from generated.results import ErrorCode

from . import factories as f
from .rows import replace
from .harness import BackendHarness, Stores
from .support import expect_failure, expect_success, insert_ok, new_client_id, new_ray_id


async def test_patch_writes_only_the_columns_given(stores: Stores) -> None:
    client = await insert_ok(stores.clients, f.make_client(scopes="read write"))
    ray_id = new_ray_id()
    patched = expect_success(
        await stores.clients.patch_by_id(client.id, ray_id, is_enabled=False, scopes=None), ray_id
    )
    assert patched == replace(client, is_enabled=False, scopes=None)
    ray_id = new_ray_id()
    stored = expect_success(await stores.clients.get_by_id(client.id, ray_id), ray_id)
    assert stored == patched


async def test_two_writers_keep_both_changes(stores: Stores) -> None:
    client_id = await new_client_id(stores)
    token = await insert_ok(stores.access_tokens, f.make_access_token(client_id, None))
    store = stores.access_tokens
    first, second = await asyncio.gather(
        store.patch_by_id(token.id, new_ray_id(), scopes="narrowed"),
        store.patch_by_id(token.id, new_ray_id(), revoked_at=f.CREATED_AT + 7),
    )
    assert first.status and second.status
    ray_id = new_ray_id()
    stored = expect_success(await store.get_by_id(token.id, ray_id), ray_id)
    assert (stored.scopes, stored.revoked_at) == ("narrowed", f.CREATED_AT + 7)
    assert stored.token == token.token


async def test_patch_with_nothing_given_reads_the_row(stores: Stores) -> None:
    client = await insert_ok(stores.clients, f.make_client())
    ray_id = new_ray_id()
    assert expect_success(await stores.clients.patch_by_id(client.id, ray_id), ray_id) == client


async def test_patch_of_a_missing_key_is_not_found(stores: Stores) -> None:
    for kwargs in ({"is_enabled": False}, {}):
        ray_id = new_ray_id()
        result = await stores.clients.patch_by_id("no-such-client", ray_id, **kwargs)
        expect_failure(result, ErrorCode.NOT_FOUND, ray_id)


async def test_patch_is_checked_like_update(stores: Stores) -> None:
    first = await insert_ok(stores.clients, f.make_client())
    second = await insert_ok(stores.clients, f.make_client())
    ray_id = new_ray_id()
    result = await stores.clients.patch_by_id(
        second.id, ray_id, client_identifier=first.client_identifier
    )
    expect_failure(result, ErrorCode.ALREADY_EXISTS, ray_id)


def test_immutable_columns_and_append_only_tables(harness: BackendHarness) -> None:
    module = importlib.import_module(harness.module)  # the real classes (sync ones unwrapped)
    keywords = inspect.signature(module.OAuthClientStore.patch_by_id).parameters
    assert "is_enabled" in keywords and "updated_at" in keywords
    assert "created_at" not in keywords and "created_by" not in keywords
    assert not hasattr(module.AuditLogStore, "patch_by_id")
