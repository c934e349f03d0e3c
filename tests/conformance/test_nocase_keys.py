"""A UNIQUE COLLATE NOCASE key (oauth_device_codes.user_code) is case-insensitive everywhere.

SQLite compares the column with NOCASE by itself; PostgreSQL gets
`lower(col) = lower($1)` lookups and a unique index on `lower(col)`. Either
way a user who types the code in another case finds the row, and a second row
differing only in case is refused as a duplicate.
"""

from __future__ import annotations

from generated.results import ErrorCode

from .rows import replace
from .harness import Stores
from .support import expect_failure, expect_success, insert_ok, new_ray_id
from .support import _build_device_code as build_device_code


async def test_get_and_delete_by_a_nocase_key_ignore_case(stores: Stores) -> None:
    codes = stores.by_name("DeviceCodeStore")
    row = await insert_ok(codes, replace(await build_device_code(stores), user_code="WDJB-MJHT"))
    for typed in ("wdjb-mjht", "WdJb-MjHt", "WDJB-MJHT"):
        ray_id = new_ray_id()
        assert expect_success(await codes.get_by_user_code(typed, ray_id), ray_id) == row
    ray_id = new_ray_id()
    expect_failure(await codes.get_by_user_code("wdjb-mjhx", ray_id), ErrorCode.NOT_FOUND, ray_id)
    ray_id = new_ray_id()
    assert expect_success(await codes.delete_by_user_code("wdjb-MJHT", ray_id), ray_id) is None
    ray_id = new_ray_id()
    expect_failure(await codes.get_by_id(row.id, ray_id), ErrorCode.NOT_FOUND, ray_id)


async def test_a_nocase_key_refuses_a_duplicate_in_another_case(stores: Stores) -> None:
    codes = stores.by_name("DeviceCodeStore")
    first = await insert_ok(codes, replace(await build_device_code(stores), user_code="ABCD-EFGH"))
    ray_id = new_ray_id()
    second = replace(await build_device_code(stores), user_code="abcd-efgh")
    message = expect_failure(await codes.insert(second, ray_id), ErrorCode.ALREADY_EXISTS, ray_id)
    assert "oauth_device_codes.user_code" in message
    ray_id = new_ray_id()
    assert expect_success(await codes.get_by_user_code("abcd-efgh", ray_id), ray_id) == first
    ray_id = new_ray_id()
    assert expect_success(await codes.count_all(ray_id), ray_id) == 1
