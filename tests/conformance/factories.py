"""Builders of valid rows for every model: unique ids, audit fields filled.

Plain functions, no database: parents (clients, users) are passed in by id.
Secret columns get values starting with `SECRET_PREFIX`, so a test can assert
that no secret leaks into a repr, a client message or a log line.
"""

from __future__ import annotations

import uuid
from typing import Any

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

from .rows import replace

SECRET_PREFIX = "s3cr3t-VALUE-"
CREATED_AT = 1_700_000_000
EXPIRES_AT = CREATED_AT + 3600
CREATED_BY = "conformance-creator"


def new_id() -> str:
    """A fresh primary key."""
    return uuid.uuid4().hex


def secret() -> str:
    """A distinctive secret value, unique per call."""
    return f"{SECRET_PREFIX}{uuid.uuid4().hex}"


def make_client(**overrides: Any) -> OAuthClient:
    row = OAuthClient(
        id=new_id(),
        client_identifier=f"client-{uuid.uuid4().hex}",
        client_secret=secret(),
        is_confidential=True,
        redirect_uris="https://app.example/cb https://app.example/cb2",
        grant_types="authorization_code refresh_token",
        scopes="openid profile",
        is_enabled=True,
        created_at=CREATED_AT,
        created_by=CREATED_BY,
        updated_at=CREATED_AT,
        updated_by=CREATED_BY,
    )
    return replace(row, **overrides)


def make_client_config(client_id: str, **overrides: Any) -> OAuthClientConfig:
    row = OAuthClientConfig(
        client_id=client_id,
        response_types="code",
        require_pkce=True,
        pkce_methods="S256",
        access_token_ttl=3600,
        refresh_token_ttl=86_400,
        authorization_code_ttl=600,
        max_active_access_tokens=10,
        max_active_refresh_tokens=None,
        device_code_ttl=900,
        device_poll_interval=5,
        metadata='{"tier": "gold"}',
        created_at=CREATED_AT,
        created_by=CREATED_BY,
        updated_at=CREATED_AT,
        updated_by=CREATED_BY,
    )
    return replace(row, **overrides)


def make_user(**overrides: Any) -> OAuthUser:
    row = OAuthUser(
        id=new_id(),
        external_id=f"idp|{uuid.uuid4().hex}",
        is_active=True,
        created_at=CREATED_AT,
        created_by=CREATED_BY,
        updated_at=CREATED_AT,
        updated_by=CREATED_BY,
    )
    return replace(row, **overrides)


def make_authorization_code(client_id: str, user_id: str, **overrides: Any) -> AuthorizationCode:
    row = AuthorizationCode(
        id=new_id(),
        code=secret(),
        client_id=client_id,
        user_id=user_id,
        redirect_uri="https://app.example/cb",
        scopes="openid",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
        expires_at=EXPIRES_AT,
        consumed_at=None,
        created_at=CREATED_AT,
        created_by=CREATED_BY,
        updated_at=CREATED_AT,
        updated_by=CREATED_BY,
    )
    return replace(row, **overrides)


def make_access_token(client_id: str, user_id: str | None, **overrides: Any) -> AccessToken:
    row = AccessToken(
        id=new_id(),
        token=secret(),
        client_id=client_id,
        user_id=user_id,
        scopes="openid profile",
        expires_at=EXPIRES_AT,
        revoked_at=None,
        created_at=CREATED_AT,
        created_by=CREATED_BY,
        updated_at=CREATED_AT,
        updated_by=CREATED_BY,
    )
    return replace(row, **overrides)


def make_refresh_token(client_id: str, user_id: str | None, **overrides: Any) -> RefreshToken:
    row = RefreshToken(
        id=new_id(),
        token=secret(),
        client_id=client_id,
        user_id=user_id,
        scopes="openid offline_access",
        revoked_at=None,
        created_at=CREATED_AT,
        created_by=CREATED_BY,
        updated_at=CREATED_AT,
        updated_by=CREATED_BY,
    )
    return replace(row, **overrides)


def make_device_code(client_id: str, user_id: str | None, **overrides: Any) -> DeviceCode:
    row = DeviceCode(
        id=new_id(),
        device_code=secret(),
        user_code=uuid.uuid4().hex[:8].upper(),
        client_id=client_id,
        user_id=user_id,
        scopes="openid",
        expires_at=EXPIRES_AT,
        interval=5,
        state="pending",
        created_at=CREATED_AT,
        created_by=CREATED_BY,
        updated_at=CREATED_AT,
        updated_by=CREATED_BY,
    )
    return replace(row, **overrides)


def make_audit_log(**overrides: Any) -> AuditLog:
    row = AuditLog(
        id=new_id(),
        event_type="token.issued",
        subject=new_id(),
        client_id=new_id(),
        user_id=new_id(),
        metadata='{"ip": "203.0.113.7"}',
        created_at=CREATED_AT,
        created_by=CREATED_BY,
        updated_at=CREATED_AT,
        updated_by=CREATED_BY,
    )
    return replace(row, **overrides)
