"""oauth_audit_logs is append-only: no update/delete API, and the database refuses them."""

from __future__ import annotations

import pytest

from generated.contracts import AuditLogTable, BaseTable
from generated.results import ErrorCode

from . import factories as f
from .harness import BackendHarness, Database, Stores
from .support import MUTABLE_CASES, TableCase, case_id, expect_success, insert_ok, new_ray_id

TABLE = "oauth_audit_logs"


def mutators(cls: type) -> list[str]:
    return [n for n in dir(cls) if n == "update" or n.startswith(("update_", "delete", "upsert"))]


def test_append_only_api_has_no_update_or_delete(harness: BackendHarness) -> None:
    store_cls = harness.load_module().AuditLogStore
    assert not hasattr(store_cls, "update")
    assert mutators(store_cls) == []
    assert mutators(AuditLogTable) == []
    assert mutators(BaseTable) == []


@pytest.mark.parametrize("case", MUTABLE_CASES, ids=case_id)
def test_mutable_tables_have_update_and_delete(harness: BackendHarness, case: TableCase) -> None:
    """The counterpart: the check above is not vacuous."""
    store_cls = getattr(harness.load_module(), case.store)
    assert "update" in mutators(store_cls)
    assert f"delete_by_{case.pk}" in mutators(store_cls)
    assert "update" in mutators(case.contract)


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(f"UPDATE {TABLE} SET subject = 'tampered'", id="update"),
        pytest.param(f"DELETE FROM {TABLE}", id="delete"),
        pytest.param(
            f"INSERT INTO {TABLE} (id, event_type, created_at, created_by, updated_at, updated_by)"
            f" SELECT id, 'tampered', 0, 'x', 0, 'x' FROM {TABLE} WHERE true"
            " ON CONFLICT (id) DO UPDATE SET event_type = excluded.event_type",
            id="upsert",
        ),
        pytest.param(
            f"REPLACE INTO {TABLE} (id, event_type, created_at, created_by, updated_at, updated_by)"
            f" SELECT id, 'tampered', 0, 'x', 0, 'x' FROM {TABLE}",
            id="replace",
        ),
    ],
)
async def test_database_refuses_changes(
    harness: BackendHarness, db: Database, stores: Stores, sql: str
) -> None:
    log = await insert_ok(stores.audit_logs, f.make_audit_log())
    with pytest.raises(Exception) as raised:
        await harness.execute_raw(db, sql)
    failure = harness.classify(raised.value, TABLE)
    # An insert over an existing key (REPLACE, upsert) is refused as a duplicate key
    # by a trigger, since REPLACE's implicit delete fires no DELETE trigger.
    overwrite = "REPLACE" in sql or "ON CONFLICT" in sql
    expected = ErrorCode.ALREADY_EXISTS if overwrite else ErrorCode.APPEND_ONLY
    assert failure.code == expected
    assert TABLE in failure.message

    ray_id = new_ray_id()
    assert expect_success(await stores.audit_logs.get_by_id(log.id, ray_id), ray_id) == log
    ray_id = new_ray_id()
    assert expect_success(await stores.audit_logs.count_all(ray_id), ray_id) == 1


async def test_appending_still_works(stores: Stores) -> None:
    logs = [
        await insert_ok(stores.audit_logs, f.make_audit_log(event_type="client.disabled"))
        for _ in range(3)
    ]
    ray_id = new_ray_id()
    listed = await stores.audit_logs.list_by_event_type("client.disabled", ray_id)
    assert expect_success(listed, ray_id) == sorted(logs, key=lambda log: log.id)
