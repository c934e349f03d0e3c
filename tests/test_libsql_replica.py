"""The embedded replica's engine: inline local reads, read-your-writes, URL form, logs.

Against a real sqld of the test's own (`sqld_factory`); the conformance suite
(tests/conformance, harness `libsql_replica`) covers the stores' behaviour and
tests/reliability/test_replica_faults.py the faults.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from servers import SqldServer

from generated import connect, create_schema
from generated._runtime.connect import backend_for
from generated._runtime.errors import TransactionUnsupported
from generated._runtime.libsql_replica import LibsqlReplicaDatabase, parse_replica_url
from generated.libsql_replica import AuditLogStore, OAuthClientStore, OAuthUserStore
from generated.models import AuditLog
from generated.results import ErrorCode, FailedResult, SuccessResult

SqldFactory = Callable[..., SqldServer]
REPO = Path(__file__).resolve().parent.parent


def audit(ident: str) -> AuditLog:
    return AuditLog(
        id=ident, event_type="e", subject="s", client_id=None, user_id=None, metadata=None,
        created_at=1, created_by="t", updated_at=1, updated_by="t",
    )  # fmt: skip


def url_of(server: SqldServer, local: Path) -> str:
    return f"libsql://127.0.0.1:{server.http_port}?tls=0&replica={local}"


def test_url_form() -> None:
    assert backend_for("libsql://db.turso.io?replica=/var/app/local.db") == "libsql_replica"
    assert backend_for("http://127.0.0.1:8080?replica=/tmp/a.db") == "libsql_replica"
    assert backend_for("libsql://db.turso.io") == "libsql"
    path, primary, interval = parse_replica_url(
        "libsql://127.0.0.1:8080?tls=0&replica=/tmp/a.db&sync_interval=2.5&authToken=t"
    )
    assert (path, primary, interval) == (
        "/tmp/a.db",
        "libsql://127.0.0.1:8080?tls=0&authToken=t",
        2.5,
    )
    db = LibsqlReplicaDatabase("/tmp/a.db", "libsql://db.example.io")
    assert (db.url, db.sync_url) == ("wss://db.example.io", "https://db.example.io")
    db = LibsqlReplicaDatabase("/tmp/a.db", "libsql://127.0.0.1:8080?tls=0")
    assert (db.url, db.sync_url) == ("ws://127.0.0.1:8080", "http://127.0.0.1:8080")
    with pytest.raises(ValueError, match="replica="):
        parse_replica_url("libsql://db.turso.io?replica=")
    with pytest.raises(ValueError, match="sync_interval"):
        parse_replica_url("libsql://db.turso.io?replica=/a.db&sync_interval=soon")
    with pytest.raises(ValueError, match="unsupported libSQL URL parameter"):
        LibsqlReplicaDatabase("/tmp/a.db", "libsql://db.turso.io?replca=/a.db")


async def test_point_reads_run_inline_and_see_every_write(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    async with connect(url_of(server, tmp_path / "local.db"), timeout=5) as db:
        assert isinstance(db, LibsqlReplicaDatabase)
        await create_schema(db)
        writer, reader = AuditLogStore(db), AuditLogStore(db)  # two stores, one database
        for i in range(20):
            assert isinstance(await writer.insert(audit(f"a{i}"), "w"), SuccessResult)
            got = await reader.get_by_id(f"a{i}", "r")  # read-your-writes, every time
            assert isinstance(got, SuccessResult) and got.client_message == audit(f"a{i}")
        # Caught up (nothing written since the last sync), a point read completes
        # without suspending: it ran on the loop thread, no hop, no network.
        await db.sync()
        call = reader.get_by_id("a3", "inline")
        with pytest.raises(StopIteration) as done:
            call.send(None)
        assert done.value.value.client_message == audit("a3")


async def test_write_url_and_reads_without_read_your_writes(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    db = LibsqlReplicaDatabase(
        tmp_path / "local.db", server.http_url, write_url=server.ws_url, read_your_writes=False
    )
    assert (db.url, db.sync_url) == (server.ws_url, server.http_url)
    async with db:
        await create_schema(db)
        await db.sync()
        store = AuditLogStore(db)
        assert isinstance(await store.insert(audit("w"), "w"), SuccessResult)
        stale = await store.get_by_id("w", "r1")  # the file, not synced since the write
        assert isinstance(stale, FailedResult) and stale.error_code is ErrorCode.NOT_FOUND
        await db.sync()
        assert (await store.get_by_id("w", "r2")).client_message == audit("w")


async def test_transactions_across_stores_commit_and_roll_back(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    from tests.conformance import factories as f

    server = sqld_factory()
    async with connect(url_of(server, tmp_path / "local.db"), timeout=5) as db:
        await create_schema(db)
        clients, users = OAuthClientStore(db), OAuthUserStore(db)
        with pytest.raises(RuntimeError, match="boom"):
            async with db.transaction():
                await clients.insert(f.make_client(), "t1")
                await users.insert(f.make_user(), "t2")
                assert (await users.count_all("t3")).client_message == 1  # its own write
                raise RuntimeError("boom")
        assert (await clients.count_all("t4")).client_message == 0
        async with db.transaction():
            await clients.insert(f.make_client(), "t5")
            await users.insert(f.make_user(), "t6")
        assert (await clients.count_all("t7")).client_message == 1
        assert (await users.count_all("t8")).client_message == 1


async def test_http_primary_refuses_transactions(sqld_factory: SqldFactory, tmp_path: Path) -> None:
    server = sqld_factory()
    url = f"{server.http_url}?replica={tmp_path / 'local.db'}"
    async with connect(url, timeout=5) as db:
        await create_schema(db)
        with pytest.raises(TransactionUnsupported, match="ws://"):
            async with db.transaction():
                pass
        assert isinstance(await AuditLogStore(db).insert(audit("x"), "w"), SuccessResult)


CHILD = """
import asyncio, sys
sys.path.insert(0, {repo!r})
from generated import connect, create_schema
async def main():
    async with connect({url!r}, timeout=5) as db:
        await create_schema(db)
        await db.sync()
        print(await db.fetch_one("SELECT count(*) FROM oauth_audit_logs", ()))
asyncio.run(main())
"""


@pytest.mark.parametrize("rust_log", [None, "info"])
def test_driver_log_lines_only_when_asked(
    sqld_factory: SqldFactory, tmp_path: Path, rust_log: str | None
) -> None:
    server = sqld_factory()
    env = {k: v for k, v in os.environ.items() if k != "RUST_LOG"}
    if rust_log:
        env["RUST_LOG"] = rust_log
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(repo=str(REPO), url=url_of(server, tmp_path / "l.db"))],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # libsql-experimental 0.0.55 writes its tracing lines to STDOUT.
    if rust_log:
        assert "handshake with primary" in done.stdout
        assert done.stdout.endswith("\n(0,)\n")
    else:
        assert (done.stdout, done.stderr) == ("(0,)\n", "")


async def test_reads_by_an_integer_past_2_53_find_the_right_row(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    """libsql-experimental binds integer parameters through a float (2**53 + 1 became
    2**53): such reads must ask the primary, not look up another row locally."""
    server = sqld_factory()
    async with connect(url_of(server, tmp_path / "local.db"), timeout=5) as db:
        await db.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT NOT NULL)", ())
        for key, value in ((2**53, "two53"), (2**53 + 1, "two53+1"), (2**63 - 1, "max")):
            await db.execute("INSERT INTO big (id, v) VALUES (?, ?)", (key, value))
        await db.sync()
        for key, value in ((2**53 + 1, "two53+1"), (2**63 - 1, "max"), (2**53, "two53")):
            assert await db.fetch_one("SELECT v FROM big WHERE id = ?", (key,)) == (value,)
            assert await db.fetch_all("SELECT id FROM big WHERE id >= ?", (key,)) == [
                (k,) for k in sorted((2**53, 2**53 + 1, 2**63 - 1)) if k >= key
            ]
