"""Every constraint maps to its ErrorCode, with a message naming the table, never a value."""

from __future__ import annotations

import pytest

from generated.results import ErrorCode

from .rows import replace
from . import factories as f
from .harness import BackendHarness, Stores
from .support import (
    MUTABLE_CASES,
    TABLE_CASES,
    Row,
    TableCase,
    by_column,
    case_id,
    expect_failure,
    expect_success,
    insert_ok,
    new_ray_id,
    pk_of,
    secret_values,
)

UNKNOWN_PARENT = "s3cr3t-VALUE-123"

UNIQUE_KEYS = by_column([(case, column) for case in TABLE_CASES for column in case.uniques])
REQUIRED = by_column([(case, column) for case in TABLE_CASES for column in case.required_columns()])
IMMUTABLE = ("created_at", "created_by")  # [tool.storegen] immutable_columns
CHECKS = [
    pytest.param(case, column, bad, id=f"{case.store}.{column}")
    for case in TABLE_CASES
    for column, bad in case.checks
]
FOREIGN_KEYS = by_column([(case, column) for case in TABLE_CASES for column in case.foreign_keys])
# A foreign key that is also the primary key cannot be changed by update.
FOREIGN_KEYS_ON_UPDATE = by_column(
    [(case, column) for case in MUTABLE_CASES for column in case.foreign_keys if column != case.pk]
)


def assert_safe_message(message: str, *leaks: object) -> None:
    for value in leaks:
        if value is not None:
            assert str(value) not in message, f"{message!r} leaks {value!r}"
    assert f.SECRET_PREFIX not in message


async def assert_stored(stores: Stores, case: TableCase, row: Row) -> None:
    """`row` is in the table exactly as given."""
    ray_id = new_ray_id()
    found = await getattr(stores.by_name(case.store), f"get_by_{case.pk}")(pk_of(case, row), ray_id)
    assert expect_success(found, ray_id) == row


async def count(stores: Stores, case: TableCase) -> int:
    ray_id = new_ray_id()
    return int(expect_success(await stores.by_name(case.store).count_all(ray_id), ray_id))


# ------------------------------------------------------------------ ALREADY_EXISTS


@pytest.mark.parametrize("case", TABLE_CASES, ids=case_id)
async def test_duplicate_primary_key(stores: Stores, case: TableCase) -> None:
    store = stores.by_name(case.store)
    first = await insert_ok(store, await case.build(stores))
    second = replace(await case.build(stores), **{case.pk: pk_of(case, first)})
    ray_id = new_ray_id()
    message = expect_failure(await store.insert(second, ray_id), ErrorCode.ALREADY_EXISTS, ray_id)
    assert f"{case.table}.{case.pk}" in message
    assert_safe_message(message, pk_of(case, first), *secret_values(case, second))
    await assert_stored(stores, case, first)
    assert await count(stores, case) == 1


@pytest.mark.parametrize(("case", "column"), UNIQUE_KEYS)
async def test_duplicate_unique_on_insert(stores: Stores, case: TableCase, column: str) -> None:
    store = stores.by_name(case.store)
    first = await insert_ok(store, await case.build(stores))
    second = replace(await case.build(stores), **{column: getattr(first, column)})
    ray_id = new_ray_id()
    message = expect_failure(await store.insert(second, ray_id), ErrorCode.ALREADY_EXISTS, ray_id)
    assert f"{case.table}.{column}" in message
    assert_safe_message(message, getattr(first, column), *secret_values(case, second))
    await assert_stored(stores, case, first)
    assert await count(stores, case) == 1


@pytest.mark.parametrize(("case", "column"), UNIQUE_KEYS)
async def test_duplicate_unique_on_update(stores: Stores, case: TableCase, column: str) -> None:
    store = stores.by_name(case.store)
    first = await insert_ok(store, await case.build(stores))
    second = await insert_ok(store, await case.build(stores))
    ray_id = new_ray_id()
    clash = replace(second, **{column: getattr(first, column)})
    message = expect_failure(await store.update(clash, ray_id), ErrorCode.ALREADY_EXISTS, ray_id)
    assert f"{case.table}.{column}" in message
    assert_safe_message(message, getattr(first, column))
    await assert_stored(stores, case, first)
    await assert_stored(stores, case, second)


# ------------------------------------------------------------------ NOT_NULL_VIOLATION


@pytest.mark.parametrize(("case", "column"), REQUIRED)
async def test_null_in_required_column(stores: Stores, case: TableCase, column: str) -> None:
    store = stores.by_name(case.store)
    row = replace(await case.build(stores), **{column: None})
    ray_id = new_ray_id()
    message = expect_failure(await store.insert(row, ray_id), ErrorCode.NOT_NULL_VIOLATION, ray_id)
    assert f"{case.table}.{column}" in message
    assert_safe_message(message, *secret_values(case, row))
    assert await count(stores, case) == 0


@pytest.mark.parametrize("case", MUTABLE_CASES, ids=case_id)
async def test_null_in_required_column_on_update(stores: Stores, case: TableCase) -> None:
    """One table per test (not one column): update writes every mutable column at once."""
    store = stores.by_name(case.store)
    row = await insert_ok(store, await case.build(stores))
    for column in case.required_columns():
        ray_id = new_ray_id()
        result = await store.update(replace(row, **{column: None}), ray_id)
        if column in IMMUTABLE:
            # Never written by update, so a None there is ignored.
            assert expect_success(result, ray_id) == row, column
            continue
        message = expect_failure(result, ErrorCode.NOT_NULL_VIOLATION, ray_id)
        assert f"{case.table}.{column}" in message
    await assert_stored(stores, case, row)


@pytest.mark.parametrize("case", TABLE_CASES, ids=case_id)
async def test_null_primary_key(stores: Stores, case: TableCase) -> None:
    store = stores.by_name(case.store)
    row = replace(await case.build(stores), **{case.pk: None})
    ray_id = new_ray_id()
    message = expect_failure(await store.insert(row, ray_id), ErrorCode.NOT_NULL_VIOLATION, ray_id)
    assert f"{case.table}.{case.pk}" in message


# ------------------------------------------------------------------ CHECK_VIOLATION


@pytest.mark.parametrize(("case", "column", "bad"), CHECKS)
async def test_check_on_insert(stores: Stores, case: TableCase, column: str, bad: object) -> None:
    store = stores.by_name(case.store)
    row = replace(await case.build(stores), **{column: bad})
    ray_id = new_ray_id()
    message = expect_failure(await store.insert(row, ray_id), ErrorCode.CHECK_VIOLATION, ray_id)
    assert case.table in message and column in message
    assert_safe_message(message, bad, *secret_values(case, row))
    assert await count(stores, case) == 0


@pytest.mark.parametrize(("case", "column", "bad"), CHECKS)
async def test_check_on_update(stores: Stores, case: TableCase, column: str, bad: object) -> None:
    store = stores.by_name(case.store)
    row = await insert_ok(store, await case.build(stores))
    ray_id = new_ray_id()
    result = await store.update(replace(row, **{column: bad}), ray_id)
    message = expect_failure(result, ErrorCode.CHECK_VIOLATION, ray_id)
    assert case.table in message and column in message
    assert_safe_message(message, bad)
    await assert_stored(stores, case, row)


# ------------------------------------------------------------------ FOREIGN_KEY_VIOLATION


def assert_names_foreign_key(message: str, case: TableCase, column: str, harness_name: str) -> None:
    """The message names the column: PostgreSQL says which key failed; SQLite
    and libSQL do not, so a table with several keys lists them all."""
    named = f"{case.table}.{column} refers to a row that does not exist"
    if harness_name.startswith("postgres") or len(case.foreign_keys) == 1:
        assert message == named, message
    else:
        keys = ", ".join(f"{case.table}.{c}" for c in case.foreign_keys)
        assert message == f"one of {keys} refers to a row that does not exist", message


@pytest.mark.parametrize(("case", "column"), FOREIGN_KEYS)
async def test_unknown_parent_on_insert(
    harness: BackendHarness, stores: Stores, case: TableCase, column: str
) -> None:
    store = stores.by_name(case.store)
    row = replace(await case.build(stores), **{column: UNKNOWN_PARENT})
    ray_id = new_ray_id()
    message = expect_failure(
        await store.insert(row, ray_id), ErrorCode.FOREIGN_KEY_VIOLATION, ray_id
    )
    assert_names_foreign_key(message, case, column, harness.name)
    assert_safe_message(message, UNKNOWN_PARENT, *secret_values(case, row))
    assert await count(stores, case) == 0


@pytest.mark.parametrize(("case", "column"), FOREIGN_KEYS_ON_UPDATE)
async def test_unknown_parent_on_update(
    harness: BackendHarness, stores: Stores, case: TableCase, column: str
) -> None:
    store = stores.by_name(case.store)
    row = await insert_ok(store, await case.build(stores))
    ray_id = new_ray_id()
    result = await store.update(replace(row, **{column: UNKNOWN_PARENT}), ray_id)
    message = expect_failure(result, ErrorCode.FOREIGN_KEY_VIOLATION, ray_id)
    assert_names_foreign_key(message, case, column, harness.name)
    assert_safe_message(message, UNKNOWN_PARENT)
    await assert_stored(stores, case, row)
