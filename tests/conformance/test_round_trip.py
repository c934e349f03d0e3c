"""Insert → get → update → delete for every table, with exact values back."""

from __future__ import annotations

import pytest

from generated.results import ErrorCode

from .rows import replace
from .harness import Stores
from .support import (
    TABLE_CASES,
    TableCase,
    assert_python_types,
    case_id,
    expect_failure,
    expect_success,
    new_ray_id,
    pk_of,
)


@pytest.mark.parametrize("case", TABLE_CASES, ids=case_id)
async def test_round_trip(stores: Stores, case: TableCase) -> None:
    store = stores.by_name(case.store)
    row = await case.build(stores)
    key = pk_of(case, row)
    get = getattr(store, f"get_by_{case.pk}")

    ray_id = new_ray_id()
    inserted = expect_success(await store.insert(row, ray_id), ray_id)
    assert type(inserted) is case.model
    assert inserted == row
    assert_python_types(inserted)

    ray_id = new_ray_id()
    fetched = expect_success(await get(key, ray_id), ray_id)
    assert fetched == row
    assert_python_types(fetched)
    ray_id = new_ray_id()
    assert expect_success(await store.count_all(ray_id), ray_id) == 1

    if case.change is None:  # append-only: see test_append_only.py
        return

    changed = case.change(row)
    assert changed != row, "the case's change() must change something"
    sent = replace(
        changed,
        created_at=row.created_at - 12_345,
        created_by="someone-else",
        updated_at=row.updated_at + 60,
        updated_by="conformance-editor",
    )
    # created_at / created_by are immutable: update keeps what insert stored.
    expected = replace(sent, created_at=row.created_at, created_by=row.created_by)

    ray_id = new_ray_id()
    updated = expect_success(await store.update(sent, ray_id), ray_id)
    assert updated == expected
    assert_python_types(updated)
    ray_id = new_ray_id()
    assert expect_success(await get(key, ray_id), ray_id) == expected

    ray_id = new_ray_id()
    assert expect_success(await getattr(store, f"delete_by_{case.pk}")(key, ray_id), ray_id) is None
    ray_id = new_ray_id()
    expect_failure(await get(key, ray_id), ErrorCode.NOT_FOUND, ray_id)
    ray_id = new_ray_id()
    assert expect_success(await store.count_all(ray_id), ray_id) == 0


@pytest.mark.parametrize("case", TABLE_CASES, ids=case_id)
async def test_insert_keeps_optional_nones(stores: Stores, case: TableCase) -> None:
    """Every nullable column stored as NULL comes back as None, the rest unchanged."""
    store = stores.by_name(case.store)
    row = await case.build(stores)
    nullable = case.optional_columns()
    row = replace(row, **{name: None for name in nullable})
    ray_id = new_ray_id()
    assert expect_success(await store.insert(row, ray_id), ray_id) == row
    ray_id = new_ray_id()
    fetched = expect_success(
        await getattr(store, f"get_by_{case.pk}")(pk_of(case, row), ray_id), ray_id
    )
    assert fetched == row
    assert all(getattr(fetched, name) is None for name in nullable)
