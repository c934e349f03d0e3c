"""Queries whose statement depends on the call, on every backend (issue 22).

IN-lists (`IN (:ids)`: empty, one, duplicates, 100,000 values, a str refused),
`:batchexec`, `@optional` filters (None leaves the predicate out), `@order-by`
with keyset paging, and injection payloads passed as order_by, inside IN-lists
and as filter values: refused or bound, never run.
"""

from __future__ import annotations

from typing import Any

from generated.results import ErrorCode

from . import factories as f
from .harness import Stores
from .support import expect_failure, expect_success, insert_ok, new_client_id, new_ray_id

PAYLOADS = (
    "x'; DROP TABLE oauth_audit_logs; --",
    "created_at; DELETE FROM oauth_audit_logs",
    '") OR 1=1 --',
    "1) OR (1=1",
    "created_at DESC",
)


async def _ok(call: Any, **kw: Any) -> Any:
    ray_id = new_ray_id()
    return expect_success(await call(ray_id=ray_id, **kw), ray_id)


async def _invalid(call: Any, **kw: Any) -> str:
    ray_id = new_ray_id()
    return expect_failure(await call(ray_id=ray_id, **kw), ErrorCode.INVALID_ARGUMENT, ray_id)


async def _clients(stores: Stores, n: int) -> list[str]:
    return sorted([await new_client_id(stores) for _ in range(n)])


# ------------------------------------------------------------------ IN-lists


async def test_in_list_empty_one_many_duplicates(stores: Stores) -> None:
    ids = await _clients(stores, 4)
    by_ids = stores.clients.list_clients_by_ids
    assert await _ok(by_ids, ids=[]) == []
    assert [c.id for c in await _ok(by_ids, ids=[ids[2]])] == [ids[2]]
    assert [c.id for c in await _ok(by_ids, ids=(ids[3], ids[0], "nope"))] == [ids[0], ids[3]]
    twice = [ids[1], ids[1], ids[1]]
    assert [c.id for c in await _ok(by_ids, ids=twice)] == [ids[1]]


async def test_in_list_of_100000_values(stores: Stores) -> None:
    ids = await _clients(stores, 3)
    many = [f"missing-{i}" for i in range(100_000)] + ids
    assert [c.id for c in await _ok(stores.clients.list_clients_by_ids, ids=many)] == ids


async def test_a_str_is_not_an_in_list(stores: Stores) -> None:
    ids = await _clients(stores, 1)
    message = await _invalid(stores.clients.list_clients_by_ids, ids=ids[0])
    assert "ids" in message and ids[0] not in message


async def test_in_list_in_a_write(stores: Stores) -> None:
    client, user = await new_client_id(stores), None
    tokens = [
        await insert_ok(stores.access_tokens, f.make_access_token(client, user)) for _ in range(3)
    ]
    revoke = stores.access_tokens.revoke_access_tokens_by_ids
    ids = [tokens[0].id, tokens[2].id, tokens[2].id]
    assert await _ok(revoke, now=f.CREATED_AT + 5, actor="admin", ids=ids) == 2
    assert await _ok(revoke, now=f.CREATED_AT + 6, actor="admin", ids=ids) == 0
    assert await _ok(revoke, now=f.CREATED_AT + 6, actor="admin", ids=[]) == 0
    left = await _ok(stores.access_tokens.get_by_id, id=tokens[1].id)
    assert left.revoked_at is None


# ------------------------------------------------------------------ batchexec


async def test_batchexec_runs_every_set_and_counts(stores: Stores) -> None:
    client = await new_client_id(stores)
    tokens = [
        await insert_ok(stores.access_tokens, f.make_access_token(client, None)) for _ in range(4)
    ]
    revoke = stores.access_tokens.revoke_access_tokens_by_value
    sets = [(f.CREATED_AT + 9, "batch", t.token) for t in tokens[:3]] + [(1, "batch", "unknown")]
    assert await _ok(revoke, params=sets) == 3
    assert await _ok(revoke, params=sets) == 0  # already revoked
    assert await _ok(revoke, params=[]) == 0
    stored = await _ok(stores.access_tokens.get_by_id, id=tokens[0].id)
    assert (stored.revoked_at, stored.updated_by) == (f.CREATED_AT + 9, "batch")


# ------------------------------------------------------------------ optional filters, order-by


async def _logs(stores: Stores) -> list[Any]:
    rows = []
    for i in range(12):
        row = f.make_audit_log(
            event_type=("token.issued", "token.revoked", "client.disabled")[i % 3],
            client_id=("c-a", "c-b")[i % 2],
            user_id=("u-a", "u-b", None)[i % 3],
            created_at=f.CREATED_AT + i // 2,
        )
        rows.append(await insert_ok(stores.audit_logs, row))
    return rows


async def test_optional_filters_left_out_when_none(stores: Stores) -> None:
    rows = await _logs(stores)
    search = stores.audit_logs.search_audit_logs
    ordered = sorted(rows, key=lambda r: (r.created_at, r.id))
    assert await _ok(search) == ordered
    assert await _ok(search, client_id="c-a") == [r for r in ordered if r.client_id == "c-a"]
    got = await _ok(search, event_types=["token.revoked", "client.disabled"], user_id="u-b")
    assert got == [
        r
        for r in ordered
        if r.event_type in ("token.revoked", "client.disabled") and r.user_id == "u-b"
    ]
    since = f.CREATED_AT + 3
    got = await _ok(search, since=since, client_id="c-b", order_by="-created_at")
    want = [r for r in ordered if r.created_at >= since and r.client_id == "c-b"]
    assert got == sorted(want, key=lambda r: (r.created_at, r.id), reverse=True)


async def test_keyset_pages_follow_the_chosen_order(stores: Stores) -> None:
    client = await new_client_id(stores)
    for i in range(9):
        row = f.make_access_token(
            client, None, created_at=f.CREATED_AT + i % 3, expires_at=f.EXPIRES_AT - i
        )
        await insert_ok(stores.access_tokens, row)
    search = stores.access_tokens.search_access_tokens
    everything = await _ok(search, client_id=client, limit=100)
    for order in ("created_at", "-created_at", "expires_at", "-expires_at"):
        column = order.removeprefix("-")
        want = sorted(
            everything, key=lambda r: (getattr(r, column), r.id), reverse=order.startswith("-")
        )
        pages, after = [], None
        while True:
            page = await _ok(search, client_id=client, order_by=order, limit=4, after=after)
            if not page:
                break
            pages.extend(page)
            after = page[-1]
        assert pages == want, order


async def test_unknown_order_by_is_refused(stores: Stores) -> None:
    await _logs(stores)
    for payload in PAYLOADS:
        message = await _invalid(stores.audit_logs.search_audit_logs, order_by=payload)
        assert payload not in message


# ------------------------------------------------------------------ injection


async def test_payloads_are_bound_as_values(stores: Stores) -> None:
    rows = await _logs(stores)
    search = stores.audit_logs.search_audit_logs
    for payload in PAYLOADS:
        assert await _ok(search, event_types=[payload, payload]) == []
        assert await _ok(search, client_id=payload, user_id=payload) == []
        assert await _ok(stores.clients.list_clients_by_ids, ids=[payload]) == []
        revoke = stores.access_tokens.revoke_access_tokens_by_ids
        assert await _ok(revoke, now=1, actor=payload, ids=[payload]) == 0
    client = await insert_ok(stores.clients, f.make_client())
    for payload in PAYLOADS:  # a patched value is bound too, and stored as given
        patched = await _ok(stores.clients.patch_by_id, id=client.id, scopes=payload)
        assert patched.scopes == payload
    assert len(await _ok(search, limit=1000)) == len(rows)
    assert [c.id for c in await _ok(stores.clients.list_clients_by_ids, ids=[client.id])] == [
        client.id
    ]
    if stores.clients.db.sql_dialect == "sqlite":
        found = await stores.clients.db.fetch_one("PRAGMA integrity_check", ())
        assert found is not None and found[0] == "ok"


# ------------------------------------------------------------------ embed


async def test_embed_returns_each_tables_model(stores: Stores) -> None:
    client = await insert_ok(stores.clients, f.make_client())
    user = await insert_ok(stores.users, f.make_user())
    token = await insert_ok(stores.access_tokens, f.make_access_token(client.id, user.id))
    await insert_ok(
        stores.access_tokens, f.make_access_token(client.id, user.id, revoked_at=f.CREATED_AT)
    )
    rows = await _ok(stores.access_tokens.list_user_tokens_with_clients, user_id=user.id)
    assert [(r.access_token, r.oauth_client) for r in rows] == [(token, client)]


async def test_embed_on_the_outer_side_is_none_without_a_row(stores: Stores) -> None:
    client = await new_client_id(stores)
    user = await insert_ok(stores.users, f.make_user())
    pending = await insert_ok(
        stores.device_codes, f.make_device_code(client, None, created_at=f.CREATED_AT)
    )
    approved = await insert_ok(
        stores.device_codes,
        f.make_device_code(client, user.id, state="approved", created_at=f.CREATED_AT + 1),
    )
    rows = await _ok(stores.device_codes.list_device_codes_with_users, client_id=client)
    assert [(r.device_code, r.oauth_user, r.current_state) for r in rows] == [
        (pending, None, "pending"),
        (approved, user, "approved"),
    ]
