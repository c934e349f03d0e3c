"""@secret columns never leak: not in repr, not in any log record, not in client messages.

Every log record of every logger (aiosqlite's DEBUG chatter included) is
captured while the stores run their success paths and their error paths
with a secret in the row: duplicate secret (ALREADY_EXISTS), NOT NULL, a
foreign key to nothing, a CHECK, an unbindable value, a file that is not a
database, and a stored value that cannot be decoded. Each record is checked
fully formatted, traceback included, and with its extra attributes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._support import FIGURES, forget_package, generate_from_sql, import_package, write_package

from generated.aiosqlite import (  # noqa: E402
    AccessTokenStore,
    AuthorizationCodeStore,
    DeviceCodeStore,
    OAuthClientStore,
    OAuthUserStore,
    RefreshTokenStore,
    SqliteDatabase,
)
from generated.models import (  # noqa: E402
    AccessToken,
    AuthorizationCode,
    DeviceCode,
    OAuthClient,
    OAuthUser,
    RefreshToken,
)
from generated.results import ErrorCode, FailedResult  # noqa: E402
from generated.schema import create_schema  # noqa: E402

NOW = 1_700_000_000
SEEN: list[str] = []  # every secret handed out, checked against every text


def secret() -> str:
    value = f"TOPSECRET-{uuid.uuid4().hex}"
    SEEN.append(value)
    return value


def leaks(text: str) -> list[str]:
    return [value for value in SEEN if value in text]


def audit() -> dict[str, Any]:
    return {"created_at": NOW, "created_by": "t", "updated_at": NOW, "updated_by": "t"}


def make_client() -> OAuthClient:
    ident = uuid.uuid4().hex
    return OAuthClient(
        id=ident,
        client_identifier=f"ident-{ident}",
        client_secret=secret(),
        is_confidential=True,
        redirect_uris="https://app.example/cb",
        grant_types="authorization_code",
        scopes="openid",
        is_enabled=True,
        **audit(),
    )


def make_user() -> OAuthUser:
    ident = uuid.uuid4().hex
    return OAuthUser(id=ident, external_id=f"idp|{ident}", is_active=True, **audit())


def make_token(client_id: str, user_id: str | None) -> AccessToken:
    return AccessToken(
        id=uuid.uuid4().hex,
        token=secret(),
        client_id=client_id,
        user_id=user_id,
        scopes="openid",
        expires_at=NOW,
        revoked_at=None,
        **audit(),
    )


def make_refresh(client_id: str) -> RefreshToken:
    return RefreshToken(
        id=uuid.uuid4().hex,
        token=secret(),
        client_id=client_id,
        user_id=None,
        scopes=None,
        revoked_at=None,
        **audit(),
    )


def make_code(client_id: str, user_id: str) -> AuthorizationCode:
    return AuthorizationCode(
        id=uuid.uuid4().hex,
        code=secret(),
        client_id=client_id,
        user_id=user_id,
        redirect_uri="https://app.example/cb",
        scopes=None,
        code_challenge=None,
        code_challenge_method=None,
        expires_at=NOW,
        consumed_at=None,
        **audit(),
    )


def make_device(client_id: str) -> DeviceCode:
    return DeviceCode(
        id=uuid.uuid4().hex,
        device_code=secret(),
        user_code=uuid.uuid4().hex[:8],
        client_id=client_id,
        user_id=None,
        scopes=None,
        expires_at=NOW,
        interval=5,
        state="pending",
        **audit(),
    )


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every record of every logger at DEBUG; fail on any secret in one."""
    caplog.set_level(logging.DEBUG)
    for name in ("aiosqlite", "asyncio", "generated", "generated.aiosqlite"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    problems = []
    records = caplog.get_records("setup") + caplog.get_records("call")
    for record in records:
        text = formatter.format(record) + repr(record.__dict__)
        if found := leaks(text):
            problems.append(f"{record.name}: {text[:300]} leaks {found}")
    assert records, "nothing was logged: the capture is broken"
    assert not problems, "\n".join(problems)
    FIGURES["secrets: log records checked"] += len(records)


def check(result: Any, code: ErrorCode | None = None) -> Any:
    """No secret in repr/str of the result or its client_message; check the outcome."""
    for text in (repr(result), str(result), str(result.client_message)):
        assert not leaks(text), text
    if code is None:  # by `status`: the decode test's package has its own result classes
        assert result.status is True, result
    else:
        assert result.status is False and result.error_code.value == code.value, result
    return result.client_message


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    database = SqliteDatabase(tmp_path / "secrets.db")
    await create_schema(database)
    yield database
    await database.close()


async def test_success_paths_keep_secrets_out_of_reprs_and_logs(db: Any, all_logs: Any) -> None:
    clients, users = OAuthClientStore(db), OAuthUserStore(db)
    client, user = make_client(), make_user()
    check(await clients.insert(client, "ray"))
    check(await users.insert(user, "ray"))
    rows = [
        (AccessTokenStore(db), make_token(client.id, user.id)),
        (RefreshTokenStore(db), make_refresh(client.id)),
        (AuthorizationCodeStore(db), make_code(client.id, user.id)),
        (DeviceCodeStore(db), make_device(client.id)),
    ]
    for store, row in rows:
        assert not leaks(repr(row)) and not leaks(str(row))
        check(await store.insert(row, "ray"))
        check(await store.get_by_id(row.id, "ray"))
        check(await store.list_all("ray"))
        check(await store.update(dataclasses.replace(row, updated_at=NOW + 1), "ray"))
    check(await clients.get_by_id(client.id, "ray"))
    check(await clients.list_all("ray"))
    token = rows[0][1]
    check(await AccessTokenStore(db).get_by_token(token.token, "ray"))  # secret as a key
    check(await AccessTokenStore(db).delete_by_token(token.token, "ray"))
    check(await AccessTokenStore(db).get_by_token(token.token, "ray"), ErrorCode.NOT_FOUND)


async def test_error_paths_keep_secrets_out_of_messages_and_logs(db: Any, all_logs: Any) -> None:
    clients, tokens, devices = OAuthClientStore(db), AccessTokenStore(db), DeviceCodeStore(db)
    client = make_client()
    check(await clients.insert(client, "ray"))
    token = make_token(client.id, None)
    check(await tokens.insert(token, "ray"))

    # A duplicate secret: the unique index on the secret column itself.
    duplicate = dataclasses.replace(make_token(client.id, None), token=token.token)
    check(await tokens.insert(duplicate, "ray"), ErrorCode.ALREADY_EXISTS)
    same_secret = dataclasses.replace(make_client(), client_secret=client.client_secret)
    check(
        await clients.insert(dataclasses.replace(same_secret, id=client.id), "ray"),
        ErrorCode.ALREADY_EXISTS,
    )
    other = make_token(client.id, None)
    check(await tokens.insert(other, "ray"))
    check(
        await tokens.update(dataclasses.replace(other, token=token.token), "ray"),
        ErrorCode.ALREADY_EXISTS,
    )
    # NOT NULL, with secrets elsewhere in the row.
    no_client = dataclasses.replace(make_token(client.id, None), client_id=None)
    check(await tokens.insert(no_client, "ray"), ErrorCode.NOT_NULL_VIOLATION)
    # A foreign key to nothing.
    orphan = make_token("no-such-client", None)
    check(await tokens.insert(orphan, "ray"), ErrorCode.FOREIGN_KEY_VIOLATION)
    # A CHECK violation.
    bad_state = dataclasses.replace(make_device(client.id), state="leaked")  # type: ignore[arg-type]
    check(await devices.insert(bad_state, "ray"), ErrorCode.CHECK_VIOLATION)
    # Values SQLite cannot bind, next to a secret.
    too_big = dataclasses.replace(make_token(client.id, None), expires_at=2**64)
    assert isinstance(check(await tokens.insert(too_big, "ray"), ErrorCode.DB_ERROR), str)
    # The parent still referred to: deleting it is a FOREIGN KEY failure only if RESTRICTed;
    # here it cascades, so the delete succeeds and takes the secrets with it.
    check(await clients.delete_by_id(client.id, "ray"))
    check(await tokens.get_by_token(other.token, "ray"), ErrorCode.NOT_FOUND)


async def test_a_broken_database_file_keeps_secrets_out(tmp_path: Path, all_logs: Any) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a database, " * 200)
    store = OAuthClientStore(SqliteDatabase(path))
    result = await store.insert(make_client(), "ray")
    assert isinstance(result, FailedResult), result
    check(result, result.error_code)
    await store.db.close()


def test_a_decode_error_keeps_secrets_out(tmp_path: Path, all_logs: Any) -> None:
    """A stored value that does not convert: INVALID_DATA, value neither shown nor logged."""
    sql = (
        "CREATE TABLE sessions (\n"
        "    id TEXT PRIMARY KEY,\n"
        "    token TEXT NOT NULL UNIQUE, -- @secret\n"
        "    started DATE NOT NULL\n"
        ");\n"
    )
    generation = generate_from_sql(tmp_path, sql, "secrets_decode")
    write_package(generation.files, tmp_path / "out", "secrets_decode")
    mods = import_package(tmp_path / "out", "secrets_decode")
    value = secret()

    async def scenario() -> None:
        db = mods["aiosqlite"].SqliteDatabase(tmp_path / "decode.db")
        try:
            await mods["schema"].create_schema(db)
            await db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?)", ("s1", value, f"not a date {value}")
            )
            store = mods["aiosqlite"].SessionStore(db)
            for result in (
                await store.get_by_id("s1", "ray"),
                await store.get_by_token(value, "ray"),
                await store.list_all("ray"),
            ):
                check(result, ErrorCode.INVALID_DATA)
                assert result.client_message == "a stored value in sessions.started cannot be read"
        finally:
            await db.close()

    try:
        asyncio.run(scenario())
    finally:
        forget_package("secrets_decode")
