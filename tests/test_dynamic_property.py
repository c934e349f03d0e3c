"""Property: `search_audit_logs` equals a Python reference (issue 22).

For 200 random combinations of its optional filters (an IN-list that is
None, empty, one value, many, with duplicates; client; user; start time), a
sort choice and a page size, over random rows (ties in created_at included),
walking every keyset page gives exactly the rows the reference filter keeps,
in the reference order. Run on SQLite (aiosqlite), libSQL (sqld over ws)
and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generated.models import AuditLog

EVENTS = ("token.issued", "token.revoked", "client.disabled")
CLIENTS = ("c1", "c2", None)
USERS = ("u1", "u2", None)

rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(EVENTS), st.sampled_from(CLIENTS), st.sampled_from(USERS), st.integers(0, 5)
    ),
    max_size=25,
)
filters_strategy = st.fixed_dictionaries(
    {
        "event_types": st.none() | st.lists(st.sampled_from((*EVENTS, "other")), max_size=5),
        "client_id": st.none() | st.sampled_from(("c1", "c2", "c3")),
        "user_id": st.none() | st.sampled_from(("u1", "u2")),
        "since": st.none() | st.integers(0, 6),
        "order_by": st.sampled_from(("created_at", "-created_at")),
        "limit": st.integers(1, 30),
    }
)


def reference(rows: list[AuditLog], f: dict[str, Any]) -> list[AuditLog]:
    kept = [
        r
        for r in rows
        if (f["event_types"] is None or r.event_type in f["event_types"])
        and (f["client_id"] is None or r.client_id == f["client_id"])
        and (f["user_id"] is None or r.user_id == f["user_id"])
        and (f["since"] is None or r.created_at >= f["since"])
    ]
    return sorted(kept, key=lambda r: (r.created_at, r.id), reverse=f["order_by"] != "created_at")


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(params=["aiosqlite", "libsql-ws", "postgres"])
def store(
    request: pytest.FixtureRequest, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> Iterator[Any]:
    if request.param == "aiosqlite":
        from generated.aiosqlite import AuditLogStore, SqliteDatabase
        from generated.schema import create_schema

        db: Any = SqliteDatabase(str(tmp_path / "prop.db"), synchronous="OFF")
        loop.run_until_complete(create_schema(db))

        async def empty() -> None:  # append-only: its DELETE trigger refuses row deletes
            await db.execute_script("DROP TABLE oauth_audit_logs")
            await create_schema(db)

    elif request.param == "libsql-ws":
        from conformance.harness_libsql import conformance_server, reset_database
        from generated.libsql import AuditLogStore, LibsqlDatabase
        from generated.schema import create_schema

        server = conformance_server(request)
        db = LibsqlDatabase(f"libsql://127.0.0.1:{server.hrana_port}?tls=0", timeout=10)
        loop.run_until_complete(reset_database(db))

        async def empty() -> None:  # append-only: its DELETE trigger refuses row deletes
            await db.execute_script("DROP TABLE oauth_audit_logs")
            await create_schema(db)

    else:
        from generated import postgres

        server = request.getfixturevalue("postgres_server")
        db = postgres.PostgresDatabase(server.url, timeout=10)
        reset = "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"
        loop.run_until_complete(db.execute_script(reset))
        loop.run_until_complete(postgres.create_schema(db))
        AuditLogStore = postgres.AuditLogStore  # noqa: N806

        async def empty() -> None:  # the append-only triggers refuse it: off for a moment
            await db.execute_script(
                "ALTER TABLE oauth_audit_logs DISABLE TRIGGER USER; TRUNCATE oauth_audit_logs; "
                "ALTER TABLE oauth_audit_logs ENABLE TRIGGER USER"
            )

    try:
        yield AuditLogStore(db), empty
    finally:
        loop.run_until_complete(db.close())


async def _run(
    opened: Any, data: list[tuple[str, str | None, str | None, int]], f: dict[str, Any]
) -> None:
    store, empty = opened
    await empty()
    rows = [
        AuditLog(
            id=f"id-{i:03d}",
            event_type=event,
            subject=None,
            client_id=client,
            user_id=user,
            metadata=None,
            created_at=at,
            created_by="p",
            updated_at=at,
            updated_by="p",
        )
        for i, (event, client, user, at) in enumerate(data)
    ]
    if rows:
        assert (await store.insert_many(rows, "p")).status
    filters = {k: f[k] for k in ("event_types", "client_id", "user_id", "since", "order_by")}
    got: list[AuditLog] = []
    after = None
    while True:
        result = await store.search_audit_logs("p", limit=f["limit"], after=after, **filters)
        assert result.status, result
        page = result.client_message
        assert len(page) <= f["limit"]
        got += page
        if len(page) < f["limit"]:
            break
        after = page[-1]
    assert got == reference(rows, f)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=rows_strategy, f=filters_strategy)
def test_search_matches_the_reference(
    store: Any, loop: asyncio.AbstractEventLoop, data: Any, f: dict[str, Any]
) -> None:
    loop.run_until_complete(_run(store, data, f))
