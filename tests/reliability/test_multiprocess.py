"""Four processes write one SQLite file at the same moment, each with its own connection.

Every process inserts 300 clients, a token for every third and updates every
fifth, through the generated stores. SQLite lets one writer in at a time; the
busy timeout must absorb the waiting (no UNAVAILABLE), and the file must end
up with every row each process was told was written, and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

from ._support import FIGURES, worker_command

from generated.aiosqlite import AccessTokenStore, OAuthClientStore, SqliteDatabase  # noqa: E402
from generated.schema import create_schema  # noqa: E402

PROCESSES = 4
INSERTS = 300


async def make_schema(path: Path) -> None:
    async with SqliteDatabase(path) as db:
        await create_schema(db)


async def read_back(path: Path) -> tuple[dict[str, tuple[str | None, int]], set[str], str]:
    async with SqliteDatabase(path) as db:
        clients = OAuthClientStore(db)
        tokens = AccessTokenStore(db)
        rows = (await clients.list_all("ray", limit=PROCESSES * INSERTS + 10)).client_message
        token_rows = (await tokens.list_all("ray", limit=PROCESSES * INSERTS)).client_message
        integrity = await db.fetch_one("PRAGMA integrity_check", ())
    return (
        {row.id: (row.scopes, row.updated_at) for row in rows},
        {row.id for row in token_rows},
        str(integrity[0]) if integrity else "",
    )


def test_four_processes_write_one_file_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    asyncio.run(make_schema(path))
    go = tmp_path / "go"
    children = []
    for number in range(PROCESSES):
        argv, env = worker_command("writer", str(path), str(number), str(INSERTS), str(go))
        children.append(
            subprocess.Popen(
                argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    time.sleep(0.5)  # let every child import and wait at the start line
    started = time.perf_counter()
    go.touch()
    summaries = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = time.perf_counter() - started

    wanted_tokens = INSERTS // 3 + (INSERTS % 3 > 0)
    wanted_updates = INSERTS // 5
    for summary in summaries:
        assert summary["outcomes"] == {
            "insert": INSERTS,
            "token": wanted_tokens,
            "update": wanted_updates,
        }, summary  # anything else is a FailedResult, e.g. UNAVAILABLE

    clients, tokens, integrity = asyncio.run(read_back(path))
    assert integrity == "ok"
    assert set(clients) == {f"w{n}-c{i:04d}" for n in range(PROCESSES) for i in range(INSERTS)}
    assert tokens == {f"w{n}-t{i:04d}" for n in range(PROCESSES) for i in range(0, INSERTS, 3)}
    for n in range(PROCESSES):
        for i in range(4, INSERTS, 5):
            assert clients[f"w{n}-c{i - 2:04d}"] == (f"updated-by-{n}", 1_700_000_000 + i)
    writes = PROCESSES * (INSERTS + wanted_tokens + wanted_updates)
    FIGURES["multiprocess: processes"] = PROCESSES
    FIGURES["multiprocess: committed writes"] = writes
    print(f"multiprocess: {PROCESSES} processes, {writes} writes in {elapsed:.1f}s, none lost")
