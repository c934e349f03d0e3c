"""SIGKILL a writer mid-stream: every insert it was told succeeded survives.

The child inserts audit rows through the generated store in a loop and prints
each id only after `insert` returned a SuccessResult (stdout flushed). The
parent kills it with SIGKILL at a random point, then checks that every
printed id is in the file, `PRAGMA integrity_check` says ok, and the
database opens normally and takes new writes. The next iteration starts a
new writer on the same file, so each one also recovers the hot WAL the
previous victim left behind.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from ._support import FIGURES, worker_command

from generated.aiosqlite import AuditLogStore, SqliteDatabase  # noqa: E402
from generated.models import AuditLog  # noqa: E402
from generated.results import SuccessResult  # noqa: E402
from generated.schema import create_schema  # noqa: E402

ITERATIONS = 5


async def make_schema(path: Path) -> None:
    async with SqliteDatabase(path) as db:
        await create_schema(db)


def kill_after(path: Path, prefix: str, wanted: int, mode: str = "stream") -> list[str]:
    """Start a streaming writer, SIGKILL it once `wanted` ids were printed."""
    argv, env = worker_command(mode, str(path), prefix)
    child = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    seen: list[str] = []
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 60
        while len(seen) < wanted and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            assert not line.startswith("FAILED"), line
            seen.append(line.strip())
        os.kill(child.pid, signal.SIGKILL)  # mid-stream: it is writing the next row now
        rest, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL, err
    # Lines the child managed to print before it died also count as promised.
    seen += [line.strip() for line in rest.splitlines() if line.strip()]
    assert len(seen) >= wanted, f"writer printed only {len(seen)} ids: {err}"
    return seen


async def reopen_and_write(path: Path, marker: str) -> int:
    """The file opens through the stores and accepts a write; return the row count."""
    async with SqliteDatabase(path) as db:
        store = AuditLogStore(db)
        row = AuditLog(
            id=marker,
            event_type="after.crash",
            subject=None,
            client_id=None,
            user_id=None,
            metadata=None,
            created_at=0,
            created_by="test",
            updated_at=0,
            updated_by="test",
        )
        assert isinstance(await store.insert(row, "ray"), SuccessResult)
        count = await store.count_all("ray")
        assert isinstance(count, SuccessResult)
        return count.client_message


# "stream": the async stores; "stream_sync": the sync stores of the sqlite3
# backend, 4 threads on one database object (writer queue, group commit).
@pytest.mark.parametrize("mode", ["stream", "stream_sync"])
def test_sigkill_mid_stream_loses_no_committed_insert(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "crash.db"
    asyncio.run(make_schema(path))
    rng = random.Random(2024)
    promised: list[str] = []
    for iteration in range(ITERATIONS):
        promised += kill_after(path, f"it{iteration}", rng.randint(50, 400), mode)
        # Plain sqlite3, as an operator would look after a crash.
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            stored = {row[0] for row in raw.execute("SELECT id FROM oauth_audit_logs")}
        raw.close()
        missing = [ident for ident in promised if ident not in stored]
        assert (
            not missing
        ), f"iteration {iteration}: {len(missing)} acknowledged rows lost: {missing[:5]}"
        count = asyncio.run(reopen_and_write(path, f"after-{iteration}"))
        assert count >= len(promised) + iteration + 1
    FIGURES[f"crash safety ({mode}): SIGKILL iterations"] = ITERATIONS
    FIGURES[f"crash safety ({mode}): acknowledged inserts checked"] = len(promised)
    print(
        f"crash safety ({mode}): {ITERATIONS} SIGKILLs, {len(promised)} acknowledged inserts all present"
    )
