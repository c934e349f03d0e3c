"""insert_many and upsert, on every backend: all or nothing, immutable columns kept."""

from __future__ import annotations

import pytest

from generated.results import ErrorCode

from .rows import replace
from . import factories as f
from .harness import Stores
from .support import (
    TABLE_CASES,
    TableCase,
    case_id,
    expect_failure,
    expect_success,
    new_client_id,
    new_ray_id,
    new_user_id,
    pk_of,
)


async def test_insert_many_inserts_every_row(stores: Stores) -> None:
    client_id, user_id = await new_client_id(stores), await new_user_id(stores)
    rows = [f.make_access_token(client_id, user_id) for _ in range(25)]
    ray_id = new_ray_id()
    assert expect_success(await stores.access_tokens.insert_many(rows, ray_id), ray_id) == 25
    ray_id = new_ray_id()
    assert expect_success(await stores.access_tokens.count_all(ray_id), ray_id) == 25
    for row in rows[:3]:
        ray_id = new_ray_id()
        assert expect_success(await stores.access_tokens.get_by_id(row.id, ray_id), ray_id) == row


async def test_insert_many_of_nothing_is_zero(stores: Stores) -> None:
    ray_id = new_ray_id()
    assert expect_success(await stores.audit_logs.insert_many([], ray_id), ray_id) == 0


async def test_insert_many_is_all_or_nothing_on_a_duplicate(stores: Stores) -> None:
    rows = [f.make_client() for _ in range(5)]
    rows.append(replace(f.make_client(), id=rows[2].id))  # the last row fails
    ray_id = new_ray_id()
    result = await stores.clients.insert_many(rows, ray_id)
    expect_failure(result, ErrorCode.ALREADY_EXISTS, ray_id)
    ray_id = new_ray_id()
    assert expect_success(await stores.clients.count_all(ray_id), ray_id) == 0


async def test_insert_many_is_all_or_nothing_on_a_foreign_key(stores: Stores) -> None:
    client_id, user_id = await new_client_id(stores), await new_user_id(stores)
    rows = [f.make_access_token(client_id, user_id) for _ in range(3)]
    rows.append(f.make_access_token("no-such-client", user_id))
    ray_id = new_ray_id()
    result = await stores.access_tokens.insert_many(rows, ray_id)
    expect_failure(result, ErrorCode.FOREIGN_KEY_VIOLATION, ray_id)
    ray_id = new_ray_id()
    assert expect_success(await stores.access_tokens.count_all(ray_id), ray_id) == 0


async def test_insert_many_on_an_append_only_table(stores: Stores) -> None:
    rows = [f.make_audit_log() for _ in range(4)]
    ray_id = new_ray_id()
    assert expect_success(await stores.audit_logs.insert_many(rows, ray_id), ray_id) == 4
    assert not hasattr(stores.audit_logs, "upsert")


@pytest.mark.parametrize("case", [c for c in TABLE_CASES if c.change], ids=case_id)
async def test_upsert_inserts_then_updates_keeping_immutable_columns(
    stores: Stores, case: TableCase
) -> None:
    store = stores.by_name(case.store)
    row = await case.build(stores)
    ray_id = new_ray_id()
    assert expect_success(await store.upsert(row, ray_id), ray_id) == row

    assert case.change is not None
    sent = replace(
        case.change(row),
        created_at=row.created_at - 999,
        created_by="someone-else",
        updated_at=row.updated_at + 60,
        updated_by="upserter",
    )
    expected = replace(sent, created_at=row.created_at, created_by=row.created_by)
    ray_id = new_ray_id()
    assert expect_success(await store.upsert(sent, ray_id), ray_id) == expected
    ray_id = new_ray_id()
    get = getattr(store, f"get_by_{case.pk}")
    assert expect_success(await get(pk_of(case, row), ray_id), ray_id) == expected
    ray_id = new_ray_id()
    assert expect_success(await store.count_all(ray_id), ray_id) == 1


async def test_upsert_reports_a_conflict_on_another_unique_key(stores: Stores) -> None:
    first = expect_success(await stores.clients.insert(f.make_client(), "r1"), "r1")
    other = replace(f.make_client(), client_identifier=first.client_identifier)
    ray_id = new_ray_id()
    expect_failure(await stores.clients.upsert(other, ray_id), ErrorCode.ALREADY_EXISTS, ray_id)
