"""Failures are logged server-side with the ray_id and the code, never a secret."""

from __future__ import annotations

import logging

import pytest

from generated.results import ErrorCode

from .rows import replace
from . import factories as f
from .harness import BackendHarness, Database, Stores
from .support import expect_failure, insert_ok, new_ray_id


def records_for(caplog: pytest.LogCaptureFixture, ray_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if ray_id in r.getMessage()]


async def test_failed_insert_is_logged(stores: Stores, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = await insert_ok(stores.clients, f.make_client())
    first = await insert_ok(stores.access_tokens, f.make_access_token(client.id, None))
    duplicate = f.make_access_token(client.id, None, token=first.token)
    ray_id = new_ray_id()

    expect_failure(
        await stores.access_tokens.insert(duplicate, ray_id), ErrorCode.ALREADY_EXISTS, ray_id
    )

    (record,) = records_for(caplog, ray_id)
    # An expected outcome, not an outage: below WARNING, so an app that never configured
    # logging does not print it on stderr (Python's last-resort handler shows WARNING+).
    assert record.levelno == logging.INFO
    assert ErrorCode.ALREADY_EXISTS.value in record.getMessage()
    assert "oauth_access_tokens" in record.getMessage()
    assert getattr(record, "ray_id", None) == ray_id  # structured, for log shipping
    assert first.token not in caplog.text
    assert f.SECRET_PREFIX not in caplog.text


async def test_server_side_failure_is_logged_as_error(
    harness: BackendHarness, db: Database, stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await insert_ok(stores.clients, f.make_client())
    await harness.execute_raw(db, "DROP TABLE oauth_refresh_tokens")
    token = f.make_refresh_token(client.id, None)
    ray_id = new_ray_id()

    # A missing table: the database is behind the code (issue 12).
    message = expect_failure(
        await stores.refresh_tokens.insert(token, ray_id), ErrorCode.SCHEMA_MISMATCH, ray_id
    )

    assert token.token not in message
    (record,) = records_for(caplog, ray_id)
    assert record.levelno == logging.ERROR
    assert ErrorCode.SCHEMA_MISMATCH.value in record.getMessage()
    assert "database schema is behind: run migrate()" in record.getMessage()
    assert record.exc_info is not None  # operators get the traceback...
    assert token.token not in caplog.text  # ...without the values
    assert f.SECRET_PREFIX not in caplog.text


async def test_not_found_is_not_an_error(stores: Stores, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ray_id = new_ray_id()
    expect_failure(
        await stores.access_tokens.get_by_token(f.secret(), ray_id), ErrorCode.NOT_FOUND, ray_id
    )
    assert [r for r in records_for(caplog, ray_id) if r.levelno >= logging.ERROR] == []
    assert f.SECRET_PREFIX not in caplog.text


async def test_constraint_failure_logs_no_secret(
    stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = await insert_ok(stores.clients, f.make_client())
    row = replace(f.make_device_code(client.id, None), state="bogus")  # type: ignore[arg-type]
    ray_id = new_ray_id()
    expect_failure(await stores.device_codes.insert(row, ray_id), ErrorCode.CHECK_VIOLATION, ray_id)
    (record,) = records_for(caplog, ray_id)
    assert ErrorCode.CHECK_VIOLATION.value in record.getMessage()
    assert row.device_code not in caplog.text
