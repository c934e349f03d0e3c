"""Turso embedded replica vs libSQL over WebSocket and HTTP, side by side.

    python -m bench.replica_cost [--n 300] [--rounds 3]

One throwaway sqld on loopback (tools/bin/sqld, or $SQLD_BIN). For each
backend the generated `AccessTokenStore` runs against it: point reads by id
and by token, single inserts (median µs per call), and a mix of 32 concurrent
tasks × 20 calls (70% get_by_id, 10% get_by_token, 10% insert, 10% update;
ops/s), as bench/engine.py's mix32. The replica reads its local file and
writes to the same sqld over the same WebSocket port as `libsql ws`; reads
that come after a write go to the primary until a sync (which they start)
has pulled it: read-your-writes, which the mix pays. `replica no-ryw`
(`read_your_writes=False`) reads the file regardless, for comparison.
`mix32 ceiling` runs the mix's writes alone and reports them as mix ops/s,
against ws's mix: what a mix could reach if its reads cost nothing.
All four stay open; single calls are interleaved in chunks and the mix
runs rotate, so the load of a shared machine falls on every backend alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # servers.py, conformance/factories.py

from conformance import factories as f  # noqa: E402
from generated import SuccessResult, connect, create_schema  # noqa: E402
from generated.libsql_replica import (  # noqa: E402
    AccessTokenStore,
    LibsqlReplicaDatabase,
    OAuthClientStore,
)
from servers import SqldServer, start_sqld  # noqa: E402

BACKENDS = ("replica", "replica no-ryw", "libsql ws", "libsql http")
CEILING = "mix32 ceiling (ops/s)"
OPS = ("get_by_id", "get_by_token", "insert", "mix32 (ops/s)", CEILING, "mix32 failed calls")
MIX_TASKS, MIX_OPS = 32, 20
MIX_CALLS = MIX_TASKS * MIX_OPS + MIX_TASKS * (MIX_OPS // 5)  # the mix, then its writes alone
CHUNK = 20  # calls of one backend in a row, before the next backend's turn
PROBE_EVERY = 5.0  # the watchdog's write probe: how often, and its deadline
TIMEOUT = 30.0  # per call: generous, for a loaded 2-core machine
SYNC_TIMEOUT = 120.0
Figures = dict[str, dict[str, list[float]]]


def _open(name: str, server: SqldServer, tmp: Path) -> Any:
    """The database of one backend; the replicas write over the same ws port as `libsql ws`."""
    if name.startswith("replica"):
        # One file per backend for every round: a NEW replica replays the
        # primary's whole log (every earlier round's rows) on its first sync.
        return LibsqlReplicaDatabase(
            tmp / f"{name}.db".replace(" ", "-"),
            server.http_url,
            write_url=server.ws_url,
            read_your_writes=name == "replica",
            # A sync pulls every other backend's writes since the last one: a
            # sync of ~700 writes' frames took over 30 s once on this machine.
            timeout=SYNC_TIMEOUT,
        )
    return connect(server.ws_url if name == "libsql ws" else server.http_url, timeout=TIMEOUT)


async def _setup(db: Any) -> tuple[Any, str, list[Any]]:
    """Schema, one client, 50 tokens; the store and the rows the calls use."""
    await create_schema(db)
    client = f.make_client()
    assert isinstance(await OAuthClientStore(db).insert(client, "bench"), SuccessResult)
    store = AccessTokenStore(db)
    rows = [f.make_access_token(client.id, None) for _ in range(50)]
    assert isinstance(await store.insert_many(rows, "bench"), SuccessResult)
    return store, client.id, rows


def _calls(store: Any, client_id: str, one: Any) -> dict[str, Callable[[], Awaitable[None]]]:
    async def get() -> None:
        assert isinstance(await store.get_by_id(one.id, "bench"), SuccessResult)

    async def by_token() -> None:
        assert isinstance(await store.get_by_token(one.token, "bench"), SuccessResult)

    async def insert() -> None:
        row = f.make_access_token(client_id, None)
        assert isinstance(await store.insert(row, "bench"), SuccessResult)

    return {"get_by_id": get, "get_by_token": by_token, "insert": insert}


async def _mix(store: Any, client_id: str, rows: list[Any]) -> tuple[float, int]:
    """ops/s of 32 tasks × 20 calls, and how many calls failed."""
    failed: list[str] = []

    async def task(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(MIX_OPS):
            roll, row = rnd.random(), rnd.choice(rows)
            if roll < 0.7:
                result = await store.get_by_id(row.id, "mix")
            elif roll < 0.8:
                result = await store.get_by_token(row.token, "mix")
            elif roll < 0.9:
                result = await store.insert(f.make_access_token(client_id, None), "mix")
            else:
                result = await store.update(replace(row, scopes=f"s{seed}"), "mix")
            if not isinstance(result, SuccessResult):
                # sqld answers SQLITE_BUSY (UNAVAILABLE) to some of 32 concurrent
                # writers on a loaded machine: counted, not hidden.
                failed.append(result.error_code.value)

    start = time.perf_counter()
    await asyncio.gather(*(task(i) for i in range(MIX_TASKS)))
    return MIX_TASKS * MIX_OPS / (time.perf_counter() - start), len(failed)


async def _ceiling(store: Any, client_id: str, rows: list[Any]) -> tuple[float, int]:
    """The mix's writes alone (32 tasks x 4, inserts and updates), as mix32 ops/s.

    What a mix run would reach if its reads cost nothing: the bound that the
    primary's write path puts on every backend here. Failed calls counted.
    """
    failed = 0
    writes = MIX_OPS // 5  # the mix's 20% writes

    async def task(seed: int) -> None:
        nonlocal failed
        rnd = random.Random(seed)
        for i in range(writes):
            if i % 2:
                result = await store.insert(f.make_access_token(client_id, None), "mix")
            else:
                result = await store.update(replace(rnd.choice(rows), scopes=f"s{seed}"), "mix")
            failed += not isinstance(result, SuccessResult)

    start = time.perf_counter()
    await asyncio.gather(*(task(i) for i in range(MIX_TASKS)))
    return MIX_TASKS * MIX_OPS / (time.perf_counter() - start), failed


async def _watchdog(server: SqldServer, restarts: list[float]) -> None:
    """Restart sqld when it stops taking writes, so that the bench ends.

    sqld 0.24.32 can stall every writer under this load (docs/libsql.md,
    bench/sqld_write_stall.py). Every PROBE_EVERY s, one write over plain
    HTTP (`SqldServer.query`); two failures in a row restart sqld. The calls caught in
    the stall fail and are counted in the table, and the restarts are printed.
    """
    misses = 0
    while True:
        await asyncio.sleep(PROBE_EVERY)
        try:
            await asyncio.to_thread(
                server.query, "INSERT INTO bench_probe DEFAULT VALUES", PROBE_EVERY
            )
            misses = 0
        except Exception:
            misses += 1
        if misses >= 2:
            await asyncio.to_thread(server.restart)
            restarts.append(time.monotonic())
            misses = 0


def _rotated(i: int) -> tuple[str, ...]:
    return BACKENDS[i % len(BACKENDS) :] + BACKENDS[: i % len(BACKENDS)]


async def _run(n: int, rounds: int) -> tuple[Figures, int]:
    """All four backends open at once; calls interleaved in chunks of CHUNK.

    The machine's load moves by the minute (other jobs share its 2 cores), so
    every backend gets a slice of each minute instead of a minute of its own.
    """
    results: Figures = {name: {op: [] for op in OPS} for name in BACKENDS}
    restarts: list[float] = []
    with tempfile.TemporaryDirectory(prefix="storegen-bench-") as tmp:
        server = start_sqld(Path(tmp) / "sqld")
        server.query("CREATE TABLE bench_probe (id INTEGER PRIMARY KEY)")
        watchdog = asyncio.create_task(_watchdog(server, restarts))
        try:
            async with contextlib.AsyncExitStack() as stack:
                dbs = {
                    name: await stack.enter_async_context(_open(name, server, Path(tmp)))
                    for name in BACKENDS
                }
                setups = {name: await _setup(db) for name, db in dbs.items()}
                for db in dbs.values():
                    if hasattr(db, "sync"):  # `replica no-ryw` reads the file
                        await db.sync()
                calls = {name: _calls(s, c, rows[0]) for name, (s, c, rows) in setups.items()}
                for op in ("get_by_id", "get_by_token", "insert"):
                    samples: dict[str, list[float]] = {name: [] for name in BACKENDS}
                    for name in BACKENDS:  # warm up: connection, statement caches
                        for _ in range(min(20, n)):
                            await calls[name][op]()
                    for chunk in range(max(1, n // CHUNK)):
                        for name in _rotated(chunk):
                            for _ in range(CHUNK):
                                start = time.perf_counter()
                                await calls[name][op]()
                                samples[name].append(time.perf_counter() - start)
                    for name in BACKENDS:
                        results[name][op].append(statistics.median(samples[name]) * 1e6)
                for r in range(rounds):
                    for name in _rotated(r):
                        if hasattr(dbs[name], "sync"):  # start from a synced file
                            await dbs[name].sync()
                        ops, failed = await _mix(*setups[name])
                        bound, failed_writes = await _ceiling(*setups[name])
                        results[name]["mix32 (ops/s)"].append(ops)
                        results[name][CEILING].append(bound)
                        results[name]["mix32 failed calls"].append(float(failed + failed_writes))
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            server.stop()
    return results, len(restarts)


def run(n: int = 300, rounds: int = 3) -> tuple[Figures, int]:
    """Per backend: median µs per operation and ops/s of each mix round; sqld restarts."""
    return asyncio.run(_run(n, rounds))


def format_table(results: Figures) -> str:
    """Median of the rounds; the ratio says how many times better than libsql ws."""
    ws = {op: statistics.median(v) for op, v in results["libsql ws"].items()}
    lines = ["| operation | " + " | ".join(BACKENDS) + " |", "|---" * (len(BACKENDS) + 1) + "|"]
    for op in OPS:
        cells = []
        if op == "mix32 failed calls":
            totals = [
                f"{sum(results[name][op]):.0f} of {MIX_CALLS * len(results[name][op])}"
                for name in BACKENDS
            ]
            lines.append(f"| {op} | " + " | ".join(totals) + " |")
            continue
        for name in BACKENDS:
            value = statistics.median(results[name][op])
            # The ceiling is what the mix could reach: compared with ws's mix.
            base = ws["mix32 (ops/s)"] if op == CEILING else ws[op]
            better = value / base if op.startswith("mix") else base / value
            unit = "" if op.startswith("mix") else " µs"
            cells.append(f"{value:,.0f}{unit} **{better:.2f}×**")
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    # The stores log each failed call with its traceback; the mix counts them instead.
    logging.getLogger("generated").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="calls per single operation")
    parser.add_argument("--rounds", type=int, default=3, help="mix32 runs per backend")

    args = parser.parse_args(argv)
    print(
        f"one local sqld on loopback; single operations: median µs of {args.n} calls, "
        f"interleaved {CHUNK} at a time; mix32: ops/s, median of {args.rounds} runs; "
        "**×** = times better than libsql ws"
    )
    results, restarts = run(args.n, args.rounds)
    print(format_table(results))
    print(f"sqld restarts by the watchdog (it stopped taking writes): {restarts}")


if __name__ == "__main__":
    main()
