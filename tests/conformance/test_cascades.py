"""ON DELETE CASCADE and ON DELETE SET NULL really happen in the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from generated.models import (
    AccessToken,
    AuthorizationCode,
    DeviceCode,
    OAuthClient,
    OAuthClientConfig,
    OAuthUser,
    RefreshToken,
)
from generated.results import ErrorCode

from .rows import replace
from . import factories as f
from .harness import Stores
from .support import expect_failure, expect_success, insert_ok, new_ray_id


@dataclass(frozen=True)
class Grant:
    """A client and a user with one of every dependent row."""

    client: OAuthClient
    user: OAuthUser
    config: OAuthClientConfig
    code: AuthorizationCode
    access_token: AccessToken
    refresh_token: RefreshToken
    device_code: DeviceCode


async def insert_grant(stores: Stores) -> Grant:
    client = await insert_ok(stores.clients, f.make_client())
    user = await insert_ok(stores.users, f.make_user())
    return Grant(
        client=client,
        user=user,
        config=await insert_ok(stores.client_configs, f.make_client_config(client.id)),
        code=await insert_ok(
            stores.authorization_codes, f.make_authorization_code(client.id, user.id)
        ),
        access_token=await insert_ok(stores.access_tokens, f.make_access_token(client.id, user.id)),
        refresh_token=await insert_ok(
            stores.refresh_tokens, f.make_refresh_token(client.id, user.id)
        ),
        device_code=await insert_ok(
            stores.device_codes, f.make_device_code(client.id, user.id, state="approved")
        ),
    )


async def assert_grant_intact(stores: Stores, grant: Grant) -> None:
    checks: list[tuple[Callable[[str, str], Awaitable[Any]], Any]] = [
        (stores.clients.get_by_id, grant.client),
        (stores.users.get_by_id, grant.user),
        (stores.authorization_codes.get_by_id, grant.code),
        (stores.access_tokens.get_by_id, grant.access_token),
        (stores.refresh_tokens.get_by_id, grant.refresh_token),
        (stores.device_codes.get_by_id, grant.device_code),
    ]
    for get_by_id, want in checks:
        ray_id = new_ray_id()
        assert expect_success(await get_by_id(want.id, ray_id), ray_id) == want
    ray_id = new_ray_id()
    config = await stores.client_configs.get_by_client_id(grant.client.id, ray_id)
    assert expect_success(config, ray_id) == grant.config


async def test_deleting_a_client_cascades(stores: Stores) -> None:
    grant = await insert_grant(stores)
    bystander = await insert_grant(stores)
    audit = await insert_ok(stores.audit_logs, f.make_audit_log(client_id=grant.client.id))

    ray_id = new_ray_id()
    assert (
        expect_success(await stores.clients.delete_by_id(grant.client.id, ray_id), ray_id) is None
    )

    for missing in (
        await stores.client_configs.get_by_client_id(grant.client.id, ray_id),
        await stores.authorization_codes.get_by_id(grant.code.id, ray_id),
        await stores.access_tokens.get_by_id(grant.access_token.id, ray_id),
        await stores.refresh_tokens.get_by_id(grant.refresh_token.id, ray_id),
        await stores.device_codes.get_by_id(grant.device_code.id, ray_id),
    ):
        expect_failure(missing, ErrorCode.NOT_FOUND, ray_id)
    for counter in (
        stores.authorization_codes.count_by_client_id,
        stores.access_tokens.count_by_client_id,
        stores.refresh_tokens.count_by_client_id,
        stores.device_codes.count_by_client_id,
    ):
        assert expect_success(await counter(grant.client.id, ray_id), ray_id) == 0

    # The user stays (it only lost its grants), and so does everything else.
    assert expect_success(await stores.users.get_by_id(grant.user.id, ray_id), ray_id) == grant.user
    await assert_grant_intact(stores, bystander)
    # Audit logs have no foreign key on purpose: they outlive the client.
    assert expect_success(await stores.audit_logs.get_by_id(audit.id, ray_id), ray_id) == audit


async def test_deleting_a_client_by_identifier_cascades(stores: Stores) -> None:
    grant = await insert_grant(stores)
    ray_id = new_ray_id()
    deleted = await stores.clients.delete_by_client_identifier(
        grant.client.client_identifier, ray_id
    )
    assert expect_success(deleted, ray_id) is None
    expect_failure(
        await stores.access_tokens.get_by_token(grant.access_token.token, ray_id),
        ErrorCode.NOT_FOUND,
        ray_id,
    )
    expect_failure(
        await stores.client_configs.get_by_client_id(grant.client.id, ray_id),
        ErrorCode.NOT_FOUND,
        ray_id,
    )


async def test_deleting_a_user_cascades_and_sets_null(stores: Stores) -> None:
    grant = await insert_grant(stores)
    bystander = await insert_grant(stores)

    ray_id = new_ray_id()
    assert expect_success(await stores.users.delete_by_id(grant.user.id, ray_id), ray_id) is None

    for missing in (
        await stores.authorization_codes.get_by_id(grant.code.id, ray_id),
        await stores.access_tokens.get_by_id(grant.access_token.id, ray_id),
        await stores.refresh_tokens.get_by_id(grant.refresh_token.id, ray_id),
    ):
        expect_failure(missing, ErrorCode.NOT_FOUND, ray_id)
    assert (
        expect_success(await stores.access_tokens.count_by_user_id(grant.user.id, ray_id), ray_id)
        == 0
    )

    # ON DELETE SET NULL: the device code stays, without its user.
    device_code = expect_success(
        await stores.device_codes.get_by_id(grant.device_code.id, ray_id), ray_id
    )
    assert device_code == replace(grant.device_code, user_id=None)
    # The client and its config are not the user's.
    assert (
        expect_success(await stores.clients.get_by_id(grant.client.id, ray_id), ray_id)
        == grant.client
    )
    config = await stores.client_configs.get_by_client_id(grant.client.id, ray_id)
    assert expect_success(config, ray_id) == grant.config
    await assert_grant_intact(stores, bystander)
