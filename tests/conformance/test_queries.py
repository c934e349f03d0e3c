"""The named queries of schema/queries.sql, on every backend.

Each shipped query is run against rows built to sit on both sides of its
WHERE clause (revoked or not, expired or not, another user, another client),
and the consume-once queries are raced: of many concurrent callers, on one
connection and across two, exactly one wins.
"""

from __future__ import annotations

import asyncio
from typing import Any

from generated.models import (
    CountAuditEventsByTypeRow,
    CountLiveTokensPerClientRow,
    CountTokensExpiringByDayRow,
    ListUserTokenGrantsRow,
)
from generated.results import ErrorCode, FailedResult, SuccessResult

from .rows import replace
from . import factories as f
from .harness import BackendHarness, Database, Stores
from .support import (
    expect_failure,
    expect_success,
    insert_ok,
    new_client_id,
    new_ray_id,
    new_user_id,
)

NOW = f.CREATED_AT + 100
LATER = NOW + 50
ACTOR = "query-actor"


async def _ok(call: Any) -> Any:
    ray_id = new_ray_id()
    return expect_success(await call(ray_id=ray_id), ray_id)


async def _not_found(call: Any) -> None:
    ray_id = new_ray_id()
    expect_failure(await call(ray_id=ray_id), ErrorCode.NOT_FOUND, ray_id)


async def _tokens(stores: Stores) -> tuple[str, str, str, str]:
    """A client, a user, and another of each."""
    return (
        await new_client_id(stores),
        await new_user_id(stores),
        await new_client_id(stores),
        await new_user_id(stores),
    )


# ------------------------------------------------------------------ access tokens


async def test_count_active_access_tokens(stores: Stores) -> None:
    client, user, other_client, other_user = await _tokens(stores)
    store = stores.access_tokens
    count = lambda **kw: store.count_active_access_tokens(user, client, NOW, **kw)  # noqa: E731
    assert await _ok(count) == 0
    for row in (
        f.make_access_token(client, user),
        f.make_access_token(client, user),
        f.make_access_token(client, user, revoked_at=NOW - 1),
        f.make_access_token(client, user, expires_at=NOW),  # expires_at > now is required
        f.make_access_token(other_client, user),
        f.make_access_token(client, other_user),
        f.make_access_token(client, None),
    ):
        await insert_ok(store, row)
    assert await _ok(count) == 2
    assert type(await _ok(count)) is int


async def test_oldest_active_access_token(stores: Stores) -> None:
    client, user, other_client, _ = await _tokens(stores)
    store = stores.access_tokens
    oldest = lambda **kw: store.oldest_active_access_token(user, client, NOW, **kw)  # noqa: E731
    await _not_found(oldest)
    await insert_ok(store, f.make_access_token(client, user, created_at=1, revoked_at=5))
    await insert_ok(store, f.make_access_token(other_client, user, created_at=2))
    middle = await insert_ok(store, f.make_access_token(client, user, created_at=20))
    await insert_ok(store, f.make_access_token(client, user, created_at=30))
    assert await _ok(oldest) == middle


async def test_revoke_user_access_tokens(stores: Stores) -> None:
    client, user, other_client, other_user = await _tokens(stores)
    store = stores.access_tokens
    active = [
        await insert_ok(store, f.make_access_token(client, user)),
        await insert_ok(store, f.make_access_token(other_client, user)),
    ]
    revoked = await insert_ok(store, f.make_access_token(client, user, revoked_at=7))
    bystander = await insert_ok(store, f.make_access_token(client, other_user))
    assert await _ok(lambda **kw: store.revoke_user_access_tokens(NOW, ACTOR, user, **kw)) == 2
    for row in active:
        stored = await _ok(lambda **kw: store.get_by_id(row.id, **kw))
        assert stored == replace(row, revoked_at=NOW, updated_at=NOW, updated_by=ACTOR)
    assert await _ok(lambda **kw: store.get_by_id(revoked.id, **kw)) == revoked
    assert await _ok(lambda **kw: store.get_by_id(bystander.id, **kw)) == bystander
    assert await _ok(lambda **kw: store.revoke_user_access_tokens(LATER, ACTOR, user, **kw)) == 0


async def test_revoke_client_access_tokens_for_user(stores: Stores) -> None:
    client, user, other_client, _ = await _tokens(stores)
    store = stores.access_tokens
    mine = await insert_ok(store, f.make_access_token(client, user))
    other = await insert_ok(store, f.make_access_token(other_client, user))
    revoke = store.revoke_client_access_tokens_for_user
    assert await _ok(lambda **kw: revoke(NOW, ACTOR, client, user, **kw)) == 1
    assert (await _ok(lambda **kw: store.get_by_id(mine.id, **kw))).revoked_at == NOW
    assert await _ok(lambda **kw: store.get_by_id(other.id, **kw)) == other


async def test_delete_expired_access_tokens(stores: Stores) -> None:
    client, user, _, _ = await _tokens(stores)
    store = stores.access_tokens
    expired = await insert_ok(store, f.make_access_token(client, user, expires_at=NOW - 1))
    boundary = await insert_ok(store, f.make_access_token(client, user, expires_at=NOW))
    live = await insert_ok(store, f.make_access_token(client, user, expires_at=NOW + 1))
    assert await _ok(lambda **kw: store.delete_expired_access_tokens(NOW, **kw)) == 2
    for gone in (expired, boundary):
        await _not_found(lambda **kw: store.get_by_id(gone.id, **kw))
    assert await _ok(lambda **kw: store.get_by_id(live.id, **kw)) == live


# ------------------------------------------------------------------ authorization codes


async def test_delete_expired_authorization_codes(stores: Stores) -> None:
    client, user, _, _ = await _tokens(stores)
    store = stores.authorization_codes
    for expires in (NOW - 10, NOW):
        await insert_ok(store, f.make_authorization_code(client, user, expires_at=expires))
    live = await insert_ok(store, f.make_authorization_code(client, user, expires_at=LATER))
    assert await _ok(lambda **kw: store.delete_expired_authorization_codes(NOW, **kw)) == 2
    assert await _ok(lambda **kw: store.delete_expired_authorization_codes(NOW, **kw)) == 0
    assert await _ok(lambda **kw: store.count_all(**kw)) == 1
    assert await _ok(lambda **kw: store.get_by_id(live.id, **kw)) == live


async def test_consume_authorization_code_once(stores: Stores) -> None:
    client, user, _, _ = await _tokens(stores)
    store = stores.authorization_codes
    code = await insert_ok(store, f.make_authorization_code(client, user, expires_at=LATER))
    consume = lambda **kw: store.consume_authorization_code(
        NOW, ACTOR, code.code, **kw
    )  # noqa: E731
    won = await _ok(consume)
    assert won == replace(code, consumed_at=NOW, updated_at=NOW, updated_by=ACTOR)
    await _not_found(consume)
    await _not_found(lambda **kw: store.consume_authorization_code(NOW, ACTOR, "no-such", **kw))
    expired = await insert_ok(store, f.make_authorization_code(client, user, expires_at=NOW))
    await _not_found(lambda **kw: store.consume_authorization_code(NOW, ACTOR, expired.code, **kw))


async def _race(calls: list[Any]) -> list[Any]:
    """Run the calls together; their results, in order."""
    ray_ids = [new_ray_id() for _ in calls]
    return list(await asyncio.gather(*(call(ray_id=r) for call, r in zip(calls, ray_ids))))


def _one_winner(results: list[Any]) -> Any:
    winners = [r for r in results if isinstance(r, SuccessResult)]
    losers = [r for r in results if isinstance(r, FailedResult)]
    assert len(winners) == 1, results
    assert len(losers) == len(results) - 1
    assert all(r.error_code == ErrorCode.NOT_FOUND for r in losers), losers
    return winners[0].client_message


async def test_consume_authorization_code_concurrently(
    harness: BackendHarness, db: Database, stores: Stores
) -> None:
    client, user, _, _ = await _tokens(stores)
    store = stores.authorization_codes
    code = await insert_ok(store, f.make_authorization_code(client, user, expires_at=LATER))
    calls = [
        lambda n=n, **kw: store.consume_authorization_code(NOW + n, f"actor-{n}", code.code, **kw)
        for n in range(20)
    ]
    won = _one_winner(await _race(calls))
    assert won.consumed_at is not None and won.updated_by == f"actor-{won.consumed_at - NOW}"
    stored = await _ok(lambda **kw: store.get_by_id(code.id, **kw))
    assert stored == won


async def test_consume_authorization_code_across_connections(
    harness: BackendHarness, db: Database, stores: Stores
) -> None:
    if harness.reopen is None:
        return
    client, user, _, _ = await _tokens(stores)
    code = await insert_ok(
        stores.authorization_codes, f.make_authorization_code(client, user, expires_at=LATER)
    )
    async with harness.reopen(db) as other_db:
        other = Stores.bind(harness.load_module(), other_db).authorization_codes
        calls = [
            lambda s=s, **kw: s.consume_authorization_code(NOW, ACTOR, code.code, **kw)
            for s in [stores.authorization_codes, other] * 10
        ]
        _one_winner(await _race(calls))


# ------------------------------------------------------------------ refresh tokens


async def test_list_active_refresh_tokens_for_user(stores: Stores) -> None:
    client, user, other_client, other_user = await _tokens(stores)
    store = stores.refresh_tokens
    rows = [
        await insert_ok(store, f.make_refresh_token(client, user, created_at=10)),
        await insert_ok(store, f.make_refresh_token(other_client, user, created_at=30)),
        await insert_ok(store, f.make_refresh_token(client, user, created_at=20)),
    ]
    await insert_ok(store, f.make_refresh_token(client, user, created_at=40, revoked_at=41))
    await insert_ok(store, f.make_refresh_token(client, other_user, created_at=50))
    listed = await _ok(lambda **kw: store.list_active_refresh_tokens_for_user(user, 10, **kw))
    assert listed == [rows[1], rows[2], rows[0]]  # newest first
    assert await _ok(lambda **kw: store.list_active_refresh_tokens_for_user(user, 2, **kw)) == [
        rows[1],
        rows[2],
    ]
    revoke = store.revoke_user_refresh_tokens
    assert await _ok(lambda **kw: revoke(NOW, ACTOR, user, **kw)) == 3
    assert await _ok(lambda **kw: store.list_active_refresh_tokens_for_user(user, 10, **kw)) == []


# ------------------------------------------------------------------ device codes


async def test_approve_device_code(stores: Stores) -> None:
    client, user, _, _ = await _tokens(stores)
    store = stores.device_codes
    pending = await insert_ok(store, f.make_device_code(client, None, expires_at=LATER))
    approve = lambda **kw: store.approve_device_code(
        user, NOW, ACTOR, pending.user_code, **kw
    )  # noqa: E731
    approved = await _ok(approve)
    assert approved == replace(
        pending, state="approved", user_id=user, updated_at=NOW, updated_by=ACTOR
    )
    await _not_found(approve)  # no longer pending
    expired = await insert_ok(store, f.make_device_code(client, None, expires_at=NOW))
    await _not_found(
        lambda **kw: store.approve_device_code(user, NOW, ACTOR, expired.user_code, **kw)
    )
    await _not_found(lambda **kw: store.approve_device_code(user, NOW, ACTOR, "NOPE", **kw))


async def test_consume_approved_device_code(stores: Stores) -> None:
    client, user, _, _ = await _tokens(stores)
    store = stores.device_codes
    row = await insert_ok(store, f.make_device_code(client, None, expires_at=LATER))
    consume = lambda **kw: store.consume_approved_device_code(
        NOW, ACTOR, row.device_code, **kw
    )  # noqa: E731
    await _not_found(consume)  # still pending
    await _ok(lambda **kw: store.approve_device_code(user, NOW, ACTOR, row.user_code, **kw))
    calls = [consume] * 20
    won = _one_winner(await _race(calls))
    assert won.state == "consumed" and won.user_id == user


async def test_expire_device_codes(stores: Stores) -> None:
    client, user, _, _ = await _tokens(stores)
    store = stores.device_codes
    old = await insert_ok(store, f.make_device_code(client, None, expires_at=NOW - 1))
    approved = await insert_ok(
        store, f.make_device_code(client, user, expires_at=NOW - 1, state="approved")
    )
    live = await insert_ok(store, f.make_device_code(client, None, expires_at=LATER))
    assert await _ok(lambda **kw: store.expire_device_codes(NOW, ACTOR, **kw)) == 1
    assert (await _ok(lambda **kw: store.get_by_id(old.id, **kw))).state == "expired"
    assert await _ok(lambda **kw: store.get_by_id(approved.id, **kw)) == approved
    assert await _ok(lambda **kw: store.get_by_id(live.id, **kw)) == live


# ------------------------------------------------------------------ own row classes


async def test_count_audit_events_by_type(stores: Stores) -> None:
    store = stores.audit_logs
    for event, at in [("token.issued", 10), ("token.issued", 30), ("login", 20), ("old", 1)]:
        await insert_ok(store, f.make_audit_log(event_type=event, created_at=at))
    rows = await _ok(lambda **kw: store.count_audit_events_by_type(5, **kw))
    assert rows == [
        CountAuditEventsByTypeRow(event_type="token.issued", events=2, last_at=30),
        CountAuditEventsByTypeRow(event_type="login", events=1, last_at=20),
    ]


async def test_list_user_token_grants(stores: Stores) -> None:
    client, user, other_client, _ = await _tokens(stores)
    tokens = stores.access_tokens
    for row in (
        f.make_access_token(client, user, expires_at=LATER),
        f.make_access_token(client, user, expires_at=LATER + 5),
        f.make_access_token(other_client, user, expires_at=NOW),  # expired
        f.make_access_token(other_client, user, revoked_at=1),
    ):
        await insert_ok(tokens, row)
    identifier = (await _ok(lambda **kw: stores.clients.get_by_id(client, **kw))).client_identifier
    grants = await _ok(lambda **kw: stores.clients.list_user_token_grants(user, NOW, **kw))
    assert grants == [
        ListUserTokenGrantsRow(
            client_id=client,
            client_identifier=identifier,
            active_tokens=2,
            expires_at=LATER + 5,
        )
    ]


# ------------------------------------------------------------------ WITH / WITH RECURSIVE


async def test_count_live_tokens_per_client(stores: Stores) -> None:
    """A CTE's columns are typed through its select list (tokens: int, COALESCEd)."""
    client, user, other_client, _ = await _tokens(stores)
    for row in (
        f.make_access_token(client, user, expires_at=LATER),
        f.make_access_token(client, None, expires_at=LATER),
        f.make_access_token(client, user, expires_at=NOW),  # expired
        f.make_access_token(client, user, revoked_at=1, expires_at=LATER),
    ):
        await insert_ok(stores.access_tokens, row)
    rows = await _ok(lambda **kw: stores.clients.count_live_tokens_per_client(NOW, **kw))
    assert rows == sorted(
        [
            CountLiveTokensPerClientRow(client_id=client, live_tokens=2),
            CountLiveTokensPerClientRow(client_id=other_client, live_tokens=0),
        ],
        key=lambda row: row.client_id,
    )


async def test_count_tokens_expiring_by_day(stores: Stores) -> None:
    """WITH RECURSIVE: the days come from the recursion, typed from its anchor."""
    client, user, _, _ = await _tokens(stores)
    day = 86400
    for expires_at in (NOW + 5, NOW + day - 1, NOW + 2 * day + 7, NOW + 9 * day):
        await insert_ok(
            stores.access_tokens, f.make_access_token(client, user, expires_at=expires_at)
        )
    rows = await _ok(lambda **kw: stores.access_tokens.count_tokens_expiring_by_day(4, NOW, **kw))
    assert rows == [
        CountTokensExpiringByDayRow(day=0, expiring=2),
        CountTokensExpiringByDayRow(day=1, expiring=0),
        CountTokensExpiringByDayRow(day=2, expiring=1),
        CountTokensExpiringByDayRow(day=3, expiring=0),
    ]
