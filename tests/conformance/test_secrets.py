"""Secret columns never show in repr(), str() or results wrapping them."""

from __future__ import annotations

import pytest

from generated.results import SuccessResult

from .harness import Stores
from .support import (
    TABLE_CASES,
    TableCase,
    case_id,
    expect_success,
    insert_ok,
    new_ray_id,
    pk_of,
    secret_values,
)

SECRET_CASES = [case for case in TABLE_CASES if case.secrets]


def test_the_secret_columns() -> None:
    """Every @secret column of the schema is listed (so the repr tests cover them)."""
    assert {(c.model.__name__, s) for c in TABLE_CASES for s in c.secrets} == {
        ("OAuthClient", "client_secret"),
        ("AuthorizationCode", "code"),
        ("AccessToken", "token"),
        ("RefreshToken", "token"),
        ("DeviceCode", "device_code"),
    }


def assert_hidden(text: str, secrets: list[str]) -> None:
    for value in secrets:
        assert value not in text


@pytest.mark.parametrize("case", SECRET_CASES, ids=case_id)
async def test_repr_hides_secrets(stores: Stores, case: TableCase) -> None:
    row = await case.build(stores)
    secrets = secret_values(case, row)
    assert len(secrets) == len(case.secrets)
    assert_hidden(repr(row), secrets)
    assert_hidden(str(row), secrets)
    assert pk_of(case, row) in repr(row)  # the repr is still useful
    assert_hidden(repr(SuccessResult(ray_id="r", client_message=row)), secrets)


@pytest.mark.parametrize("case", SECRET_CASES, ids=case_id)
async def test_results_from_the_database_hide_secrets(stores: Stores, case: TableCase) -> None:
    store = stores.by_name(case.store)
    row = await case.build(stores)
    secrets = secret_values(case, row)
    ray_id = new_ray_id()
    inserted = await store.insert(row, ray_id)
    assert expect_success(inserted, ray_id) == row  # the value is there...
    assert_hidden(repr(inserted), secrets)  # ...but not in the repr
    ray_id = new_ray_id()
    fetched = await getattr(store, f"get_by_{case.pk}")(pk_of(case, row), ray_id)
    assert_hidden(repr(fetched), secrets)
    await insert_ok(store, await case.build(stores))
    ray_id = new_ray_id()
    listed = await store.list_all(ray_id)
    assert len(expect_success(listed, ray_id)) == 2
    assert_hidden(repr(listed), secrets)
