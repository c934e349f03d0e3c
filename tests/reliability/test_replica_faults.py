"""Turso embedded replica faults, on real sqld processes started and stopped by pid.

* primary down: reads keep working from the local file (stale), writes come
  back UNAVAILABLE within the timeout;
* primary back: writes work again and a sync catches up;
* the local file deleted: the next sync rebuilds it from the primary;
* a first sync slower than the deadline goes on after the call gave up, and
  the next call waits on it: one file never gets a second syncer;
* a sync stuck on a stalled primary stalls neither the event loop nor close();
* two processes with two replica files of one primary see each other's
  writes after a sync (and the driver's log lines stay off their stderr).

Uses `sqld_factory` (servers of the test's own, stopped by their pid).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from servers import SqldServer

import pytest

from generated._runtime.libsql_replica import LibsqlReplicaDatabase, ReplicaSyncError
from generated.libsql_replica import AuditLogStore
from generated.models import AuditLog
from generated.results import ErrorCode, FailedResult, SuccessResult
from generated.schema import create_schema

TIMEOUT = 3.0
SqldFactory = Callable[..., SqldServer]
REPO = Path(__file__).resolve().parents[2]


def row(ident: str) -> AuditLog:
    return AuditLog(
        id=ident,
        event_type="replica.fault",
        subject=ident,
        client_id=None,
        user_id=None,
        metadata=None,
        created_at=0,
        created_by="faults",
        updated_at=0,
        updated_by="faults",
    )


def primary_url(server: SqldServer) -> str:
    return f"libsql://127.0.0.1:{server.http_port}?tls=0"


async def test_primary_down_reads_stale_writes_unavailable_then_recover(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    db = LibsqlReplicaDatabase(tmp_path / "local.db", primary_url(server), timeout=TIMEOUT)
    try:
        await create_schema(db)
        store = AuditLogStore(db)
        assert isinstance(await store.insert(row("before"), "r1"), SuccessResult)
        assert (await store.get_by_id("before", "r2")).client_message == row("before")
        # The file holds the row before the primary goes (r2 may have been answered by
        # the primary while the background sync was still running).
        await db.sync()

        server.stop()  # SIGTERM to its own pid, then wait
        assert not server.running
        got = await store.get_by_id("before", "r3")
        assert isinstance(got, SuccessResult) and got.client_message == row("before")
        listed = await store.list_all("r4")
        assert isinstance(listed, SuccessResult) and listed.client_message == [row("before")]

        started = time.monotonic()
        failed = await store.insert(row("while-down"), "r5")
        elapsed = time.monotonic() - started
        assert isinstance(failed, FailedResult) and failed.error_code is ErrorCode.UNAVAILABLE
        assert elapsed < TIMEOUT + 1.0, elapsed
        # The read after that failed write still answers, from the file.
        got = await store.get_by_id("before", "r6")
        assert isinstance(got, SuccessResult) and got.client_message == row("before")

        server.start()  # same ports, same data
        deadline = time.monotonic() + 10
        while True:
            done = await store.insert(row("after"), "r7")
            if isinstance(done, SuccessResult) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert isinstance(done, SuccessResult), done
        # Read-your-writes again, and a write of someone else arrives by sync.
        assert (await store.get_by_id("after", "r8")).client_message == row("after")
        # Caught up: until the next write, reads are local and others' writes need a sync.
        await db.sync()
        server.query(
            "INSERT INTO oauth_audit_logs (id, event_type, subject, created_at, created_by, "
            "updated_at, updated_by) VALUES ('other', 'e', 's', 0, 'x', 0, 'x')"
        )
        missing = await store.get_by_id("other", "r9")
        assert isinstance(missing, FailedResult) and missing.error_code is ErrorCode.NOT_FOUND
        await db.sync()
        assert isinstance(await store.get_by_id("other", "r10"), SuccessResult)
        assert (await store.count_all("r11")).client_message == 3
        assert "while-down" not in [r[0] for r in server.query("SELECT id FROM oauth_audit_logs")]
    finally:
        await db.close()


def sync_threads() -> int:
    return sum(t.name == "storegen-replica-sync" for t in threading.enumerate())


async def test_a_slow_first_sync_goes_on_and_the_next_call_waits_on_it(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    writer = LibsqlReplicaDatabase(tmp_path / "writer.db", primary_url(server), timeout=TIMEOUT)
    try:
        await create_schema(writer)
        rows = [row(f"r{i}") for i in range(20)]
        assert isinstance(await AuditLogStore(writer).insert_many(rows, "w1"), SuccessResult)
    finally:
        await writer.close()
    before = sync_threads()
    late = LibsqlReplicaDatabase(tmp_path / "late.db", primary_url(server), timeout=1.0)
    try:
        server.pause()  # SIGSTOP: the first sync hangs past the deadline
        try:
            for _ in range(2):
                started = time.monotonic()
                with pytest.raises(ReplicaSyncError, match="still running"):
                    await late.sync()
                assert time.monotonic() - started < 1.0 + 1.0
            assert sync_threads() == before + 1  # the second call waited on the first open
        finally:
            server.resume()
        deadline = time.monotonic() + 20
        while True:
            try:
                await late.sync()
                break
            except ReplicaSyncError:
                assert time.monotonic() < deadline
        assert sync_threads() == before + 1
        counted = await AuditLogStore(late).count_all("r1")
        assert isinstance(counted, SuccessResult) and counted.client_message == 20
    finally:
        await late.close()
    assert sync_threads() == before


async def test_close_ends_a_sync_stuck_on_a_stalled_primary(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    db = LibsqlReplicaDatabase(tmp_path / "local.db", primary_url(server), timeout=1.0)
    before = sync_threads()
    try:
        await create_schema(db)
        await db.sync()
        server.pause()  # returns once sqld is stopped: this sync cannot be answered
        syncing = asyncio.create_task(db.sync())
        await asyncio.sleep(0)  # the task runs up to its wait: the sync is asked for
        # The event loop keeps running while the sync hangs (it is another
        # process): a read, one hop to a read thread and back, is answered meanwhile.
        listed = await AuditLogStore(db).list_all("r1")
        assert isinstance(listed, SuccessResult) and listed.client_message == []
        assert not syncing.done()
        with pytest.raises(ReplicaSyncError):
            await syncing
        started = time.monotonic()
        await db.close()  # the stuck sync process is killed, its thread ends
        assert time.monotonic() - started < 15
        assert sync_threads() == before
    finally:
        server.resume()
        await db.close()


async def test_deleted_local_file_is_rebuilt_by_the_next_sync(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    local = tmp_path / "local.db"
    db = LibsqlReplicaDatabase(local, primary_url(server), timeout=TIMEOUT)
    try:
        await create_schema(db)
        store = AuditLogStore(db)
        rows = [row(f"kept-{i}") for i in range(20)]
        assert isinstance(await store.insert_many(rows, "r1"), SuccessResult)
        assert (await store.count_all("r2")).client_message == 20
        await db.sync()  # the file exists (the first open syncs it in a child process)

        removed = [p for p in tmp_path.iterdir() if p.name.startswith("local.db")]
        assert local in removed and len(removed) >= 2  # the file, libsql's index (and WAL, -shm)
        for path in removed:
            path.unlink()
        await db.sync()
        assert local.is_file()
        listed = await store.list_all("r3")
        assert isinstance(listed, SuccessResult)
        assert sorted(listed.client_message, key=lambda r: r.id) == sorted(rows, key=lambda r: r.id)
        # And the rebuilt replica keeps working both ways.
        assert isinstance(await store.insert(row("new"), "r4"), SuccessResult)
        assert (await store.get_by_id("new", "r5")).client_message == row("new")
    finally:
        await db.close()


CHILD = """
import asyncio, sys
sys.path.insert(0, {repo!r})
from generated import connect
from generated.libsql_replica import AuditLogStore
from generated.models import AuditLog

def row(ident):
    return AuditLog(id=ident, event_type="replica.fault", subject=ident, client_id=None,
                    user_id=None, metadata=None, created_at=0, created_by="faults",
                    updated_at=0, updated_by="faults")

async def main():
    async with connect({url!r}, timeout=5) as db:
        store = AuditLogStore(db)
        assert (await store.insert(row("from-child"), "c1")).client_message is not None
        print("written", flush=True)
        sys.stdin.readline()  # the parent wrote its row
        await db.sync()
        found = await store.get_by_id("from-parent", "c2")
        print("saw", found.client_message.id if found.client_message else None, flush=True)

asyncio.run(main())
"""


async def test_two_processes_on_two_replicas_see_each_others_writes(
    sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    db = LibsqlReplicaDatabase(tmp_path / "parent.db", primary_url(server), timeout=TIMEOUT)
    child_url = f"{primary_url(server)}&replica={tmp_path / 'child.db'}"
    env = {k: v for k, v in os.environ.items() if k != "RUST_LOG"}
    try:
        await create_schema(db)
        store = AuditLogStore(db)
        await db.sync()  # caught up: reads are local until our next write
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD.format(repo=str(REPO), url=child_url),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=REPO, env=env,
        )  # fmt: skip
        assert child.stdin is not None and child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 30)
        if line != b"written\n":
            _, err = await asyncio.wait_for(child.communicate(), 30)
            raise AssertionError(f"child: {line!r} {err.decode()}")

        missing = await store.get_by_id("from-child", "p1")
        assert isinstance(missing, FailedResult) and missing.error_code is ErrorCode.NOT_FOUND
        await db.sync()
        seen = await store.get_by_id("from-child", "p2")
        assert isinstance(seen, SuccessResult) and seen.client_message == row("from-child")

        assert isinstance(await store.insert(row("from-parent"), "p3"), SuccessResult)
        child.stdin.write(b"go\n")
        await child.stdin.drain()
        out, err = await asyncio.wait_for(child.communicate(), 30)
        assert child.returncode == 0, err.decode()
        assert out == b"saw from-parent\n", (out, err)
        # libsql's Rust log lines (INFO on every handshake) stay out of the output.
        assert b"handshake" not in err and b"INFO" not in err, err.decode()
    finally:
        await db.close()
