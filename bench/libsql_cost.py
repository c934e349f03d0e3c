"""Cost per store operation against a local sqld, over WebSocket and HTTP.

    python -m bench.libsql_cost [--n 300]

Starts a throwaway sqld (tools/bin/sqld, or $SQLD_BIN) on loopback, runs the
generated libSQL stores against it, and prints the median microseconds per
call. The aiosqlite backend on a local file is measured the same way, for
scale. `run()` returns the figures for a caller such as `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # servers.py: how to start sqld

from generated import OAuthClient, SuccessResult, connect, create_schema  # noqa: E402
from generated.libsql import OAuthClientStore  # noqa: E402
from servers import start_sqld  # noqa: E402

Row = tuple[str, str, float]  # (backend, operation, median µs)
MANY = 10  # rows per execute_many


def _client(now: int) -> OAuthClient:
    return OAuthClient(
        id=uuid.uuid4().hex,
        client_identifier=uuid.uuid4().hex,
        client_secret=None,
        is_confidential=False,
        redirect_uris="https://app.example/cb",
        grant_types="authorization_code",
        is_enabled=True,
        created_at=now,
        created_by="bench",
        updated_at=now,
        updated_by="bench",
    )


async def _median_us(n: int, call: Callable[[int], Awaitable[Any]]) -> float:
    for i in range(min(20, n)):  # warm up: connection, statement caches
        await call(-1 - i)
    samples = []
    for i in range(n):
        start = time.perf_counter()
        await call(i)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


async def _measure(name: str, url: str, n: int) -> list[Row]:
    async with connect(url) as db:
        await create_schema(db)
        store = OAuthClientStore(db)
        base = _client(int(time.time()))
        ok = await store.insert(base, "bench")
        assert isinstance(ok, SuccessResult), ok

        async def get(_: int) -> None:
            assert isinstance(await store.get_by_id(base.id, "bench"), SuccessResult)

        async def insert(_: int) -> None:
            row = replace(base, id=uuid.uuid4().hex, client_identifier=uuid.uuid4().hex)
            assert isinstance(await store.insert(row, "bench"), SuccessResult)

        async def many(_: int) -> None:
            sql = 'UPDATE "oauth_clients" SET "updated_at" = ? WHERE "id" = ?'
            await db.execute_many(sql, [(i, base.id) for i in range(MANY)])

        return [
            (name, "get_by_id", await _median_us(n, get)),
            (name, "insert", await _median_us(n, insert)),
            (name, f"execute_many({MANY} rows)", await _median_us(max(n // 5, 20), many)),
        ]


async def _run(n: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="storegen-bench-") as tmp:
        server = start_sqld(Path(tmp) / "sqld")
        try:
            rows = await _measure("libsql ws", server.ws_url, n)
            rows += await _measure("libsql http", server.http_url, n)
            rows += await _measure("aiosqlite file", str(Path(tmp) / "bench.db"), n)
        finally:
            server.stop()
    return rows


def run(n: int = 300) -> list[Row]:
    """Median µs per operation, per backend: [(backend, operation, µs), ...]."""
    return asyncio.run(_run(n))


def format_table(rows: list[Row]) -> str:
    lines = [f"{'backend':<16} {'operation':<24} {'median µs':>10}"]
    lines += [f"{b:<16} {op:<24} {us:>10.0f}" for b, op, us in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="calls per operation")
    args = parser.parse_args(argv)
    print(f"local sqld on loopback, {args.n} calls per operation (execute_many: n/5)")
    print(format_table(run(args.n)))


if __name__ == "__main__":
    main()
