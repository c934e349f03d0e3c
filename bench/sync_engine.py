"""Side by side: the sync stores (backend sqlite3) against inline sqlite3, the floor.

    python -m bench.sync_engine [--rounds 5] [--n 400] [--synchronous FULL,OFF] [--pin]

The workload of bench/engine.py: the access-token table on an SQLite file in
WAL mode; `n` calls of each operation (insert_many: one call of 10,000 rows).
Every round runs every approach on a fresh file, in an order that rotates.

  inline      hand-written sqlite3: one connection, SQL strings precomputed,
              rows decoded into the same models (the floor)
  sync_store  the generated AccessTokenStore of `generated.sqlite3` on a
              SyncSqliteDatabase (results wrapped, errors mapped)
  async_store the generated async AccessTokenStore (aiosqlite backend), one
              asyncio loop, awaited call by call, next to its own floor:
  async_floor inline sqlite3 called inside the coroutine (bench/engine.py's `sync`)

One table per `synchronous` level: FULL is the async table's workload (an
fsync per commit, which dominates every write); OFF takes the disk's fsync
out, so the per-call cost of the Python layers shows.

Printed: ops/s, median (min-max) over the rounds, and the ratios
sync_store / inline and async_store / async_floor (the issue-24 targets:
get_by_* >= 0.90 and >= 0.85, insert, update, insert_many >= 0.95).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import engine
from bench.engine import (
    MANY_ROWS,
    PARENTS,
    READ_WARMUP,
    SQL_GET_ID,
    SQL_GET_TOKEN,
    SQL_INSERT,
    SQL_INSERT_MANY,
    SQL_UPDATE,
    token_row,
)
from generated import AccessToken
from generated._rows import (
    decode_access_token,
    encode_access_token_insert,
    encode_access_token_update,
)
from generated._runtime.sqlite import SqliteDatabase
from generated.aiosqlite import AccessTokenStore as AsyncAccessTokenStore
from generated.results import FailedResult, Result
from generated.sqlite3 import AccessTokenStore, SyncSqliteDatabase, create_schema

OPS = ("insert", "get_by_id", "get_by_token", "update", "insert_many")
APPROACHES = ("inline", "sync_store", "async_store", "async_floor")


def _ok(result: Result[Any]) -> Any:
    if isinstance(result, FailedResult):
        raise RuntimeError(f"bench operation failed: {result!r}")
    return result.client_message


class Inline:
    """The floor: what a careful hand-written sqlite3 program does."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, cached_statements=256)
        for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "foreign_keys=ON"):
            self.conn.execute(f"PRAGMA {pragma}").fetchall()

    def close(self) -> None:
        self.conn.close()

    def insert(self, row: AccessToken) -> AccessToken:
        return decode_access_token(
            self.conn.execute(SQL_INSERT, encode_access_token_insert(row)).fetchall()[0]
        )

    def get_by_id(self, key: str) -> AccessToken | None:
        found = self.conn.execute(SQL_GET_ID, (key,)).fetchone()
        return None if found is None else decode_access_token(found)

    def get_by_token(self, token: str) -> AccessToken | None:
        found = self.conn.execute(SQL_GET_TOKEN, (token,)).fetchone()
        return None if found is None else decode_access_token(found)

    def update(self, row: AccessToken) -> AccessToken:
        return decode_access_token(
            self.conn.execute(SQL_UPDATE, encode_access_token_update(row)).fetchall()[0]
        )

    def insert_many(self, rows: list[AccessToken]) -> int:
        self.conn.execute("BEGIN IMMEDIATE")
        count: int = self.conn.executemany(
            SQL_INSERT_MANY, [encode_access_token_insert(r) for r in rows]
        ).rowcount
        self.conn.execute("COMMIT")
        return count


class SyncStore:
    """The generated sync store."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.db = SyncSqliteDatabase(path, synchronous=synchronous)
        self.store = AccessTokenStore(self.db)

    def close(self) -> None:
        self.db.close()

    def insert(self, row: AccessToken) -> AccessToken:
        return _ok(self.store.insert(row, "bench"))  # type: ignore[no-any-return]

    def get_by_id(self, key: str) -> AccessToken | None:
        return _ok(self.store.get_by_id(key, "bench"))  # type: ignore[no-any-return]

    def get_by_token(self, token: str) -> AccessToken | None:
        return _ok(self.store.get_by_token(token, "bench"))  # type: ignore[no-any-return]

    def update(self, row: AccessToken) -> AccessToken:
        return _ok(self.store.update(row, "bench"))  # type: ignore[no-any-return]

    def insert_many(self, rows: list[AccessToken]) -> int:
        return _ok(self.store.insert_many(rows, "bench"))  # type: ignore[no-any-return]


def _prepare(path: Path) -> None:
    db = SyncSqliteDatabase(path, synchronous="OFF")
    create_schema(db)
    db.execute_script(PARENTS)
    db.close()


def measure_sync(approach: Any, op: str, n: int, rows: list[AccessToken]) -> float:
    """ops/s of `op` (rows/s for insert_many); the same steps as engine.measure."""
    if op == "insert":
        fresh = [token_row() for _ in range(n)]
        start = time.perf_counter()
        for row in fresh:
            approach.insert(row)
        elapsed = time.perf_counter() - start
        rows.extend(fresh)
        return n / elapsed
    if op in ("get_by_id", "get_by_token"):
        picks = [random.choice(rows) for _ in range(n)]
        fn: Callable[[str], Any] = (
            approach.get_by_id if op == "get_by_id" else approach.get_by_token
        )
        keys = [r.id if op == "get_by_id" else r.token for r in picks]
        for key in keys[:READ_WARMUP]:
            fn(key)
        start = time.perf_counter()
        for key in keys:
            found = fn(key)
        elapsed = time.perf_counter() - start
        assert found is not None
        return n / elapsed
    if op == "update":
        changed = [replace(r, scopes="openid email", updated_at=r.updated_at + 1) for r in rows[:n]]
        start = time.perf_counter()
        for row in changed:
            approach.update(row)
        return len(changed) / (time.perf_counter() - start)
    if op == "insert_many":
        batch = [token_row() for _ in range(MANY_ROWS)]
        start = time.perf_counter()
        assert approach.insert_many(batch) == MANY_ROWS
        return MANY_ROWS / (time.perf_counter() - start)
    raise ValueError(op)


class AsyncStore(engine.Generated):
    """bench/engine.py's `generated` approach, at the table's `synchronous` level."""

    synchronous = "FULL"

    async def open(self) -> None:
        self.db = SqliteDatabase(self.path, synchronous=self.synchronous)
        self.store = AsyncAccessTokenStore(self.db)


class AsyncFloor(engine.Sync):
    """bench/engine.py's `sync` approach (the async floor), at the same level."""

    synchronous = "FULL"

    async def open(self) -> None:
        self.conn = engine._connect_sync(self.path)
        self.conn.execute(f"PRAGMA synchronous={self.synchronous}")


def run(rounds: int, n: int, synchronous: str) -> dict[str, dict[str, list[float]]]:
    """Per round: every approach on a fresh file of its own, opened together; then
    each operation runs on every approach back to back (the order rotating), so a
    burst of load on a shared machine falls on all of them alike."""
    results: dict[str, dict[str, list[float]]] = {a: {op: [] for op in OPS} for a in APPROACHES}
    with tempfile.TemporaryDirectory(prefix="storegen-sync-bench-") as tmp:
        for r in range(rounds):
            loop = asyncio.new_event_loop()
            opened: dict[str, Any] = {}
            rows: dict[str, list[AccessToken]] = {"inline": [], "sync_store": []}
            try:
                for name in APPROACHES:
                    path = Path(tmp) / f"{name}-{r}.db"
                    _prepare(path)
                    if name == "inline":
                        opened[name] = Inline(path, synchronous)
                    elif name == "sync_store":
                        opened[name] = SyncStore(path, synchronous)
                    else:
                        approach = (AsyncStore if name == "async_store" else AsyncFloor)(path)
                        approach.synchronous = synchronous
                        loop.run_until_complete(approach.open())
                        opened[name] = approach
                for i, op in enumerate(OPS):
                    order = APPROACHES[(r + i) % 4 :] + APPROACHES[: (r + i) % 4]
                    for name in order[::-1] if r % 2 else order:
                        gc.collect()
                        if name.startswith("async"):
                            rate = loop.run_until_complete(engine.measure(opened[name], op, n))
                        else:
                            rate = measure_sync(opened[name], op, n, rows[name])
                        results[name][op].append(rate)
            finally:
                for name, approach in opened.items():
                    if name.startswith("async"):
                        loop.run_until_complete(approach.close())
                    else:
                        approach.close()
                loop.close()
    return results


def format_table(results: dict[str, dict[str, list[float]]], title: str) -> str:
    lines = [f"### {title}", ""]
    lines.append("| operation | " + " | ".join(APPROACHES) + " | sync / inline | async / floor |")
    lines.append("|---|" + "---|" * (len(APPROACHES) + 2))
    for op in OPS:
        med = {a: statistics.median(results[a][op]) for a in APPROACHES}
        cells = [
            f"{med[a]:,.0f} ({min(results[a][op]):,.0f}–{max(results[a][op]):,.0f})"
            for a in APPROACHES
        ]
        sync_ratio = med["sync_store"] / med["inline"]
        async_ratio = med["async_store"] / med["async_floor"]
        lines.append(
            f"| {op} | "
            + " | ".join(cells)
            + f" | **{sync_ratio:.2f}×** | **{async_ratio:.2f}×** |"
        )
    lines += [
        "",
        f"ops/s, median (min–max) over the rounds; insert_many counts rows/s ({MANY_ROWS:,} "
        "rows per call). Ratios of the medians.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=400, help="calls per operation and round")
    parser.add_argument("--synchronous", default="FULL,OFF", help="one table per level")
    parser.add_argument("--pin", action="store_true", help="pin the process to one CPU")
    args = parser.parse_args(argv)
    where = f"pinned to CPU {engine.pin_to_one_cpu()}" if args.pin else "unpinned"
    tables = []
    for level in args.synchronous.split(","):
        start = time.perf_counter()
        results = run(args.rounds, args.n, level.upper())
        title = (
            f"synchronous={level.upper()}, {where}, {args.rounds} rounds, "
            f"{time.perf_counter() - start:.0f} s"
        )
        tables.append(format_table(results, title))
        print(tables[-1] + "\n", flush=True)
    return "\n\n".join(tables)


if __name__ == "__main__":
    main()
