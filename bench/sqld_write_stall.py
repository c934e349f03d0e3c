"""Reproduce sqld 0.24.32 stopping taking writes under a ws mix (not part of `make bench`).

    python -m bench.sqld_write_stall [--rounds 60] [--timeout 10] [--transport ws|http]

One throwaway sqld on loopback and one libsql database (ws by default). Each round runs
bench/replica_cost.py's mix32 (32 tasks x 20 calls: 70% get_by_id, 10%
get_by_token, 10% insert, 10% update) and counts failed calls. A round still
running after timeout/2 is probed with one insert over a fresh HTTP
connection (plain HTTP, not our runtime), which tells a server-wide stall
from one in our client. At the
first round with failures, the ws database is closed and the HTTP probe
repeated after 1, 5, 20 and 40 s, SQLite's write lock on sqld's file is
tried from outside, sqld is restarted and probed again, and the tail of its
log is printed.
Measured 2026-12-03 (bench/RESULTS.md): stalls after 12 and 36 rounds, the
probe failed while the ws client was open and succeeded 1 s after it closed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # servers.py

from bench.replica_cost import _mix, _setup  # noqa: E402
from generated import connect  # noqa: E402
from servers import SqldServer, start_sqld  # noqa: E402


async def _probe(server: SqldServer) -> str:
    """One insert over plain HTTP (`SqldServer.query`): 'ok' or the error, and its time."""
    start = time.perf_counter()
    try:
        await asyncio.to_thread(server.query, "INSERT INTO stall_probe DEFAULT VALUES", 5.0)
        outcome = "ok"
    except Exception as exc:
        outcome = type(exc).__name__
    return f"{outcome} in {time.perf_counter() - start:.2f}s"


def _sqlite_lock(server: SqldServer) -> str:
    """Whether BEGIN IMMEDIATE gets SQLite's write lock on sqld's file from outside."""
    files = sorted(server.data_dir.glob("dbs/*/data"))
    if not files:
        return "no data file found"
    conn = sqlite3.connect(files[0], timeout=2.0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return "free (the stall is above SQLite, in sqld)"
    except sqlite3.OperationalError as exc:
        return f"held ({exc})"
    finally:
        conn.close()


async def _run(rounds: int, timeout: float, transport: str) -> None:
    with tempfile.TemporaryDirectory(prefix="storegen-stall-") as tmp:
        server = start_sqld(Path(tmp) / "sqld")
        server.query("CREATE TABLE stall_probe (id INTEGER PRIMARY KEY)")
        try:
            url = server.ws_url if transport == "ws" else server.http_url
            async with connect(url, timeout=timeout) as db:
                store, client_id, rows = await _setup(db)
                for seed in range(rounds):
                    start = time.perf_counter()
                    running = asyncio.ensure_future(_mix(store, client_id, rows))
                    done, _ = await asyncio.wait([running], timeout=timeout / 2)
                    probe = "" if done else f", HTTP probe while running: {await _probe(server)}"
                    _, failed = await running
                    took = time.perf_counter() - start
                    print(f"round {seed}: {took:.2f}s, {failed} failed{probe}", flush=True)
                    if failed:
                        break
                else:
                    print(f"no stall in {rounds} rounds")
                    return
            print(f"{transport} database closed", flush=True)
            for wait in (1, 5, 20, 40):
                await asyncio.sleep(wait)
                print(f"  {wait}s later, HTTP probe: {await _probe(server)}", flush=True)
            print(f"  SQLite's own write lock on the file: {_sqlite_lock(server)}", flush=True)
            server.restart()
            print(f"  after a sqld restart, HTTP probe: {await _probe(server)}", flush=True)
            print(server.log_text()[-3000:])
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    logging.getLogger("generated").setLevel(logging.CRITICAL)  # failures are counted
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=10.0, help="per call, seconds")
    parser.add_argument("--transport", choices=("ws", "http"), default="ws")
    args = parser.parse_args(argv)
    asyncio.run(_run(args.rounds, args.timeout, args.transport))


if __name__ == "__main__":
    main()
