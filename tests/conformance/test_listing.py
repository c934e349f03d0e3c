"""list_by_<col> / count_by_<col> / list_all / count_all, with keyset paging."""

from __future__ import annotations

import typing
from typing import Any, Literal

import pytest

from .rows import replace
from . import factories as f
from .harness import Stores
from .support import (
    TABLE_CASES,
    Row,
    TableCase,
    by_column,
    case_id,
    expect_success,
    field_hints,
    non_optional,
    insert_ok,
    new_client_id,
    new_ray_id,
    new_user_id,
    pk_of,
)

LISTED_COLUMNS = by_column(
    [
        (case, name.removeprefix("list_by_"))
        for case in TABLE_CASES
        for name in sorted(dir(case.contract))
        if name.startswith("list_by_")
    ]
)


async def collect_pages(list_page: Any, page_size: int, key: str) -> list[list[Row]]:
    """Call `list_page(ray_id, limit=, after=)` until a short page; return the pages.

    Each next page starts after the previous page's last `key` (keyset paging).
    """
    pages: list[list[Row]] = []
    after: Any = None
    while len(pages) < 100:
        ray_id = new_ray_id()
        page = expect_success(await list_page(ray_id, limit=page_size, after=after), ray_id)
        pages.append(page)
        if len(page) < page_size:
            return pages
        after = getattr(page[-1], key)
    raise AssertionError("paging does not end")


def other_value(model: type, column: str, value: object) -> object:
    """A value of the column's type that differs from `value`."""
    base = non_optional(field_hints(model)[column])
    if typing.get_origin(base) is Literal:
        return next(v for v in typing.get_args(base) if v != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):  # free text; foreign keys already differ (own parents)
        return f"{value}.other"
    raise AssertionError(f"no alternative for {model.__name__}.{column}={value!r}")


async def test_access_tokens_by_client_paged(stores: Stores) -> None:
    client_id = await new_client_id(stores)
    user_id = await new_user_id(stores)
    tokens = [
        await insert_ok(
            stores.access_tokens, f.make_access_token(client_id, user_id if i % 2 else None)
        )
        for i in range(5)
    ]
    other = await insert_ok(
        stores.access_tokens, f.make_access_token(await new_client_id(stores), None)
    )
    r1, r2, r3, r4, r5 = sorted(tokens, key=lambda t: t.id)

    async def page(ray_id: str, *, limit: int, after: str | None) -> Any:
        return await stores.access_tokens.list_by_client_id(
            client_id, ray_id, limit=limit, after=after
        )

    assert await collect_pages(page, 2, "id") == [[r1, r2], [r3, r4], [r5]]
    ray_id = new_ray_id()
    assert expect_success(
        await stores.access_tokens.list_by_client_id(client_id, ray_id), ray_id
    ) == [r1, r2, r3, r4, r5]
    ray_id = new_ray_id()
    after_last = await stores.access_tokens.list_by_client_id(
        client_id, ray_id, limit=2, after=r5.id
    )
    assert expect_success(after_last, ray_id) == []
    ray_id = new_ray_id()
    assert (
        expect_success(await stores.access_tokens.count_by_client_id(client_id, ray_id), ray_id)
        == 5
    )
    ray_id = new_ray_id()
    listed = await stores.access_tokens.list_by_client_id(other.client_id, ray_id)
    assert expect_success(listed, ray_id) == [other]
    ray_id = new_ray_id()
    assert expect_success(await stores.access_tokens.count_by_user_id(user_id, ray_id), ray_id) == 2
    ray_id = new_ray_id()
    assert expect_success(await stores.access_tokens.count_all(ray_id), ray_id) == 6


@pytest.mark.parametrize(("case", "column"), LISTED_COLUMNS)
async def test_list_and_count_by_column(stores: Stores, case: TableCase, column: str) -> None:
    """Three rows, two sharing a value: each value lists exactly its rows, in key order."""
    store = stores.by_name(case.store)
    a, b, c = [await case.build(stores) for _ in range(3)]
    value = getattr(a, column)
    b = replace(b, **{column: value})
    if getattr(c, column) == value:
        c = replace(c, **{column: other_value(case.model, column, value)})
    for row in (a, b, c):
        await insert_ok(store, row)

    ray_id = new_ray_id()
    everything = expect_success(await store.list_all(ray_id, limit=1000), ray_id)
    for probe in (value, getattr(c, column)):
        expected = sorted(
            (row for row in everything if getattr(row, column) == probe),
            key=lambda r: pk_of(case, r),
        )
        assert 1 <= len(expected) < len(everything)
        list_by = getattr(store, f"list_by_{column}")
        ray_id = new_ray_id()
        assert expect_success(await list_by(probe, ray_id), ray_id) == expected
        ray_id = new_ray_id()
        count = expect_success(await getattr(store, f"count_by_{column}")(probe, ray_id), ray_id)
        assert count == len(expected)

        async def page(ray_id: str, *, limit: int, after: Any) -> Any:
            return await list_by(probe, ray_id, limit=limit, after=after)

        pages = await collect_pages(page, 1, case.pk)
        assert [row for p in pages for row in p] == expected
        assert all(len(p) == 1 for p in pages[:-1]) and pages[-1] == []


@pytest.mark.parametrize("case", TABLE_CASES, ids=case_id)
async def test_list_all_and_count_all_paged(stores: Stores, case: TableCase) -> None:
    store = stores.by_name(case.store)
    ray_id = new_ray_id()
    assert expect_success(await store.list_all(ray_id), ray_id) == []
    ray_id = new_ray_id()
    assert expect_success(await store.count_all(ray_id), ray_id) == 0

    rows = [await insert_ok(store, await case.build(stores)) for _ in range(5)]
    r1, r2, r3, r4, r5 = sorted(rows, key=lambda r: pk_of(case, r))
    assert await collect_pages(store.list_all, 2, case.pk) == [[r1, r2], [r3, r4], [r5]]
    ray_id = new_ray_id()
    assert expect_success(await store.list_all(ray_id), ray_id) == [r1, r2, r3, r4, r5]
    ray_id = new_ray_id()
    assert expect_success(await store.list_all(ray_id, limit=3, after=pk_of(case, r1)), ray_id) == [
        r2,
        r3,
        r4,
    ]
    ray_id = new_ray_id()
    assert expect_success(await store.count_all(ray_id), ray_id) == 5
