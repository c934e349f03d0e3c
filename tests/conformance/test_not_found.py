"""get, update and delete of a missing key give NOT_FOUND, with the ray_id echoed."""

from __future__ import annotations

import pytest

from generated.results import ErrorCode

from .harness import Stores
from .support import (
    MUTABLE_CASES,
    TABLE_CASES,
    TableCase,
    case_id,
    expect_failure,
    expect_success,
    insert_ok,
    new_ray_id,
    pk_of,
)


def assert_not_found_message(message: str, case: TableCase, key: str) -> None:
    assert case.table in message
    assert key not in message  # a key may be a credential: never echo it


@pytest.mark.parametrize("case", TABLE_CASES, ids=case_id)
async def test_get_missing(stores: Stores, case: TableCase) -> None:
    store = stores.by_name(case.store)
    present = await insert_ok(store, await case.build(stores))
    missing = pk_of(case, await case.build(stores))  # built, never inserted
    ray_id = new_ray_id()
    message = expect_failure(
        await getattr(store, f"get_by_{case.pk}")(missing, ray_id), ErrorCode.NOT_FOUND, ray_id
    )
    assert_not_found_message(message, case, missing)
    ray_id = new_ray_id()
    assert (
        expect_success(
            await getattr(store, f"get_by_{case.pk}")(pk_of(case, present), ray_id), ray_id
        )
        == present
    )


@pytest.mark.parametrize("case", MUTABLE_CASES, ids=case_id)
async def test_update_missing(stores: Stores, case: TableCase) -> None:
    store = stores.by_name(case.store)
    row = await case.build(stores)  # never inserted
    ray_id = new_ray_id()
    message = expect_failure(await store.update(row, ray_id), ErrorCode.NOT_FOUND, ray_id)
    assert_not_found_message(message, case, pk_of(case, row))
    ray_id = new_ray_id()
    assert expect_success(await store.count_all(ray_id), ray_id) == 0  # no upsert


@pytest.mark.parametrize("case", MUTABLE_CASES, ids=case_id)
async def test_delete_missing(stores: Stores, case: TableCase) -> None:
    store = stores.by_name(case.store)
    present = await insert_ok(store, await case.build(stores))
    missing = pk_of(case, await case.build(stores))
    ray_id = new_ray_id()
    message = expect_failure(
        await getattr(store, f"delete_by_{case.pk}")(missing, ray_id), ErrorCode.NOT_FOUND, ray_id
    )
    assert_not_found_message(message, case, missing)
    ray_id = new_ray_id()
    assert (
        expect_success(
            await getattr(store, f"get_by_{case.pk}")(pk_of(case, present), ray_id), ray_id
        )
        == present
    )
