"""get_by_<unique> and delete_by_<unique> for every single-column unique key."""

from __future__ import annotations

import pytest

from generated.results import ErrorCode

from .harness import Stores
from .support import (
    TABLE_CASES,
    TableCase,
    by_column,
    expect_failure,
    expect_success,
    insert_ok,
    new_ray_id,
    pk_of,
)

UNIQUE_KEYS = by_column([(case, column) for case in TABLE_CASES for column in case.uniques])


def test_every_unique_key_is_covered() -> None:
    """The contracts' get_by_* methods are exactly the primary and unique keys listed here."""
    for case in TABLE_CASES:
        getters = {name for name in dir(case.contract) if name.startswith("get_by_")}
        assert getters == {f"get_by_{c}" for c in (case.pk, *case.uniques)}, case.store


@pytest.mark.parametrize(("case", "column"), UNIQUE_KEYS)
async def test_get_and_delete_by_unique(stores: Stores, case: TableCase, column: str) -> None:
    store = stores.by_name(case.store)
    row = await insert_ok(store, await case.build(stores))
    bystander = await insert_ok(store, await case.build(stores))
    value = getattr(row, column)
    get_by_unique = getattr(store, f"get_by_{column}")
    get_by_pk = getattr(store, f"get_by_{case.pk}")

    ray_id = new_ray_id()
    assert expect_success(await get_by_unique(value, ray_id), ray_id) == row

    ray_id = new_ray_id()
    message = expect_failure(
        await get_by_unique(f"{value}-missing", ray_id), ErrorCode.NOT_FOUND, ray_id
    )
    assert value not in message

    delete_by_unique = getattr(store, f"delete_by_{column}")
    ray_id = new_ray_id()
    assert expect_success(await delete_by_unique(value, ray_id), ray_id) is None
    ray_id = new_ray_id()
    expect_failure(await get_by_pk(pk_of(case, row), ray_id), ErrorCode.NOT_FOUND, ray_id)
    ray_id = new_ray_id()
    expect_failure(await get_by_unique(value, ray_id), ErrorCode.NOT_FOUND, ray_id)
    ray_id = new_ray_id()
    expect_failure(await delete_by_unique(value, ray_id), ErrorCode.NOT_FOUND, ray_id)

    # Only the matching row went.
    ray_id = new_ray_id()
    assert expect_success(await get_by_pk(pk_of(case, bystander), ray_id), ray_id) == bystander
    ray_id = new_ray_id()
    assert expect_success(await store.count_all(ray_id), ray_id) == 1
