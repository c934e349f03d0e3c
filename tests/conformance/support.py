"""Assertion helpers and the per-table case records of the conformance suite."""

from __future__ import annotations

import dataclasses
import types
import typing
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import pytest

from generated.contracts import (
    AccessTokenTable,
    AuditLogTable,
    AuthorizationCodeTable,
    BaseTable,
    ClientConfigTable,
    ClientTable,
    DeviceCodeTable,
    RefreshTokenTable,
    UserTable,
)
from generated.models import (
    AccessToken,
    AuditLog,
    AuthorizationCode,
    DeviceCode,
    OAuthClient,
    OAuthClientConfig,
    OAuthUser,
    RefreshToken,
)
from generated.results import ErrorCode, FailedResult, SuccessResult

from .rows import field_names, replace
from . import factories as f
from .harness import Stores

T = TypeVar("T")
Row = Any
"""An instance of one of the generated models (dataclass or pydantic)."""


# ------------------------------------------------------------------ results


def new_ray_id() -> str:
    return f"ray-{uuid.uuid4().hex}"


def expect_success(result: SuccessResult[T] | FailedResult, ray_id: str) -> T:
    """The value of a SuccessResult carrying `ray_id`; fails the test otherwise."""
    assert isinstance(result, SuccessResult), f"expected success, got {result!r}"
    assert result.status is True
    assert result.ray_id == ray_id
    return result.client_message


def expect_failure(result: SuccessResult[Any] | FailedResult, code: ErrorCode, ray_id: str) -> str:
    """The client message of a FailedResult with this code and `ray_id`."""
    assert isinstance(result, FailedResult), f"expected {code}, got {result!r}"
    assert result.status is False
    assert result.error_code == code, f"expected {code}, got {result!r}"
    assert result.ray_id == ray_id
    assert isinstance(result.client_message, str) and result.client_message
    return result.client_message


async def insert_ok(store: BaseTable[T], row: T) -> T:
    ray_id = new_ray_id()
    return expect_success(await store.insert(row, ray_id), ray_id)


# ------------------------------------------------------------------ model introspection


def field_hints(model: type) -> dict[str, Any]:
    """Resolved annotations of a model's fields."""
    hints = typing.get_type_hints(model)
    return {name: hints[name] for name in field_names(model)}


def is_optional(hint: Any) -> bool:
    return typing.get_origin(hint) in (types.UnionType, typing.Union) and (
        types.NoneType in typing.get_args(hint)
    )


def non_optional(hint: Any) -> Any:
    """`X | None` → X; anything else unchanged."""
    if not is_optional(hint):
        return hint
    (base,) = [arg for arg in typing.get_args(hint) if arg is not types.NoneType]
    return base


def assert_python_types(row: Row) -> None:
    """Every value has exactly its annotated type: bools are bool (not 0/1), Literals str."""
    for name, hint in field_hints(type(row)).items():
        value = getattr(row, name)
        if value is None:
            assert is_optional(hint), f"{name} is None but typed {hint}"
            continue
        base = non_optional(hint)
        if typing.get_origin(base) is Literal:
            assert type(value) is str and value in typing.get_args(base), (name, value)
        else:
            assert type(value) is base, f"{name}={value!r} is {type(value)}, typed {hint}"


# ------------------------------------------------------------------ table cases


async def new_client_id(stores: Stores) -> str:
    return (await insert_ok(stores.clients, f.make_client())).id


async def new_user_id(stores: Stores) -> str:
    return (await insert_ok(stores.users, f.make_user())).id


async def _build_client(stores: Stores) -> OAuthClient:
    return f.make_client()


async def _build_client_config(stores: Stores) -> OAuthClientConfig:
    return f.make_client_config(await new_client_id(stores))


async def _build_user(stores: Stores) -> OAuthUser:
    return f.make_user()


async def _build_authorization_code(stores: Stores) -> AuthorizationCode:
    return f.make_authorization_code(await new_client_id(stores), await new_user_id(stores))


async def _build_access_token(stores: Stores) -> AccessToken:
    return f.make_access_token(await new_client_id(stores), await new_user_id(stores))


async def _build_refresh_token(stores: Stores) -> RefreshToken:
    return f.make_refresh_token(await new_client_id(stores), await new_user_id(stores))


async def _build_device_code(stores: Stores) -> DeviceCode:
    return f.make_device_code(await new_client_id(stores), await new_user_id(stores))


async def _build_audit_log(stores: Stores) -> AuditLog:
    return f.make_audit_log()


@dataclass(frozen=True)
class TableCase:
    """What the generic tests need to know about one table.

    `build` returns a valid row whose parents are already inserted (the row
    itself is not). `change` returns the row with its mutable, non-audit
    columns changed; None for an append-only table.
    """

    store: str
    contract: type  # the abstract contract, e.g. ClientTable
    model: type
    table: str
    pk: str
    uniques: tuple[str, ...]
    secrets: tuple[str, ...]
    foreign_keys: tuple[str, ...]
    checks: tuple[tuple[str, object], ...]
    build: Callable[[Stores], Awaitable[Row]]
    change: Callable[[Row], Row] | None

    @property
    def append_only(self) -> bool:
        return self.change is None

    def __str__(self) -> str:
        return self.store

    def required_columns(self) -> list[str]:
        """NOT NULL columns as the model types them (non-Optional), key excluded."""
        hints = field_hints(self.model)
        return [name for name, hint in hints.items() if name != self.pk and not is_optional(hint)]

    def optional_columns(self) -> list[str]:
        """Nullable columns as the model types them (`X | None`)."""
        return [name for name, hint in field_hints(self.model).items() if is_optional(hint)]


BAD_INT = 73  # a CHECK (x IN (0, 1)) violation that cannot hide in a message by accident

TABLE_CASES: tuple[TableCase, ...] = (
    TableCase(
        store="OAuthClientStore",
        contract=ClientTable,
        model=OAuthClient,
        table="oauth_clients",
        pk="id",
        uniques=("client_identifier",),
        secrets=("client_secret",),
        foreign_keys=(),
        checks=(("is_confidential", BAD_INT), ("is_enabled", BAD_INT)),
        build=_build_client,
        change=lambda r: replace(r, scopes="openid email", is_enabled=False, client_secret=None),
    ),
    TableCase(
        store="OAuthClientConfigStore",
        contract=ClientConfigTable,
        model=OAuthClientConfig,
        table="oauth_client_configs",
        pk="client_id",
        uniques=(),
        secrets=(),
        foreign_keys=("client_id",),
        checks=(("require_pkce", BAD_INT),),
        build=_build_client_config,
        change=lambda r: replace(
            r, require_pkce=False, access_token_ttl=7200, refresh_token_ttl=None, metadata="{}"
        ),
    ),
    TableCase(
        store="OAuthUserStore",
        contract=UserTable,
        model=OAuthUser,
        table="oauth_users",
        pk="id",
        uniques=("external_id",),
        secrets=(),
        foreign_keys=(),
        checks=(("is_active", BAD_INT),),
        build=_build_user,
        change=lambda r: replace(r, is_active=False),
    ),
    TableCase(
        store="AuthorizationCodeStore",
        contract=AuthorizationCodeTable,
        model=AuthorizationCode,
        table="oauth_authorization_codes",
        pk="id",
        uniques=("code",),
        secrets=("code",),
        foreign_keys=("client_id", "user_id"),
        checks=(),
        build=_build_authorization_code,
        change=lambda r: replace(r, consumed_at=f.CREATED_AT + 30, scopes="openid email"),
    ),
    TableCase(
        store="AccessTokenStore",
        contract=AccessTokenTable,
        model=AccessToken,
        table="oauth_access_tokens",
        pk="id",
        uniques=("token",),
        secrets=("token",),
        foreign_keys=("client_id", "user_id"),
        checks=(),
        build=_build_access_token,
        change=lambda r: replace(r, revoked_at=f.CREATED_AT + 60, scopes="openid"),
    ),
    TableCase(
        store="RefreshTokenStore",
        contract=RefreshTokenTable,
        model=RefreshToken,
        table="oauth_refresh_tokens",
        pk="id",
        uniques=("token",),
        secrets=("token",),
        foreign_keys=("client_id", "user_id"),
        checks=(),
        build=_build_refresh_token,
        change=lambda r: replace(r, revoked_at=f.CREATED_AT + 60, user_id=None),
    ),
    TableCase(
        store="DeviceCodeStore",
        contract=DeviceCodeTable,
        model=DeviceCode,
        table="oauth_device_codes",
        pk="id",
        uniques=("device_code", "user_code"),
        secrets=("device_code",),
        foreign_keys=("client_id", "user_id"),
        checks=(("state", "bogus-state"),),
        build=_build_device_code,
        change=lambda r: replace(r, state="approved", interval=10, scopes=None),
    ),
    TableCase(
        store="AuditLogStore",
        contract=AuditLogTable,
        model=AuditLog,
        table="oauth_audit_logs",
        pk="id",
        uniques=(),
        secrets=(),
        foreign_keys=(),
        checks=(),
        build=_build_audit_log,
        change=None,
    ),
)
CASES_BY_STORE = {case.store: case for case in TABLE_CASES}
MUTABLE_CASES = tuple(case for case in TABLE_CASES if not case.append_only)


def case_id(case: TableCase) -> str:
    return case.store


def by_column(pairs: list[tuple[TableCase, str]]) -> list[Any]:
    """pytest params (case, column) with ids like "AccessTokenStore.token"."""
    return [pytest.param(case, column, id=f"{case.store}.{column}") for case, column in pairs]


def pk_of(case: TableCase, row: Row) -> Any:
    return getattr(row, case.pk)


def secret_values(case: TableCase, row: Row) -> list[str]:
    values = [getattr(row, column) for column in case.secrets]
    return [v for v in values if isinstance(v, str)]
