"""Side by side: the sync stores (backend sqlite3) against inline sqlite3, the floor.

    python -m bench.sync_engine [--rounds 5] [--n 4000] [--write-n 2000]
                                [--synchronous FULL,OFF] [--pin]

The workload of bench/engine.py: the access-token table on an SQLite file in
WAL mode; `n` calls of each read, `write_n` of insert and update (a write
under FULL is an fsync, ~0.2 ms here, whose time varies with the disk: 400 of
them ran 0.1 s and moved by 7% between two identical approaches in one run),
and insert_many is one call of 10,000 rows.
Every round runs every approach on a fresh file, in an order that rotates;
single-call operations take the approaches in turn every 10 writes or 200
reads, so a slow spell of the disk or the CPU falls on all of them alike.

  inline      hand-written sqlite3: one connection, SQL strings precomputed,
              rows decoded into the same models (the floor)
  inline_twin the same floor again, on a file of its own: identical code, so
              twin / inline is the noise of this run (read ratios against it)
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
# Calls per approach before the next takes its turn: writes (~2 ms under
# FULL: the disk's slow spells last longer) and reads (~1.3 ms).
WRITE_CHUNK, READ_CHUNK = 10, 200
# "inline_twin" is the floor again, on a file of its own: how far two identical
# approaches drift apart in the same run (the noise a ratio must be read against).
APPROACHES = ("inline", "inline_twin", "sync_store", "async_store", "async_floor")


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
    """rows/s of insert_many (one call of MANY_ROWS rows); the others are `_interleaved`."""
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


def _timed(approach: Any, op: str, batch: list[Any], loop: Any) -> tuple[float, Any]:
    """Seconds for one call of `op` per item of `batch`, and the last result."""
    fn = getattr(approach, op)
    found: Any = None
    if isinstance(approach, (Inline, SyncStore)):
        start = time.perf_counter()
        for item in batch:
            found = fn(item)
        return time.perf_counter() - start, found

    async def timed() -> tuple[float, Any]:
        found: Any = None
        start = time.perf_counter()
        for item in batch:
            found = await fn(item)
        return time.perf_counter() - start, found

    elapsed, found = loop.run_until_complete(timed())
    return float(elapsed), found


def _batch(op: str, rows: list[AccessToken], k: int, size: int) -> list[Any]:
    """The arguments of calls k .. k+size of `op`."""
    if op == "insert":
        return [token_row() for _ in range(size)]
    if op == "update":
        return [
            replace(r, scopes="openid email", updated_at=r.updated_at + 1)
            for r in rows[k : k + size]
        ]
    picks = [random.choice(rows) for _ in range(size)]
    return [r.id if op == "get_by_id" else r.token for r in picks]


def _interleaved(
    opened: dict[str, Any], op: str, count: int, rows: dict[str, list[AccessToken]], loop: Any
) -> dict[str, float]:
    """ops/s of `op` per approach: `count` calls each, in chunks taken in turn.

    Under FULL a write is an fsync whose time moves with the disk (and the
    other jobs on it); reads share two cores with whatever else runs. A slow
    spell of a few hundred ms fell on whichever approach ran then, and moved
    ratios by +-10% between identical code. Taking the approaches in turn
    every chunk (WRITE_CHUNK or READ_CHUNK calls) spreads it over all of
    them. Each operation is still one call.
    """
    size = WRITE_CHUNK if op in ("insert", "update") else READ_CHUNK
    spent = dict.fromkeys(opened, 0.0)
    names = list(opened)
    if op.startswith("get"):  # untimed: the first read on a connection pays one-off costs
        for name in names:
            _timed(opened[name], op, _batch(op, rows[name], 0, READ_WARMUP), loop)
    for k in range(0, count, size):
        turn = (k // size) % len(names)
        for name in names[turn:] + names[:turn]:
            batch = _batch(op, rows[name], k, min(size, count - k))
            elapsed, found = _timed(opened[name], op, batch, loop)
            spent[name] += elapsed
            if op == "insert":
                rows[name].extend(batch)
            assert found is not None
    return {name: count / seconds for name, seconds in spent.items()}


def run(
    rounds: int, n: int, synchronous: str, write_n: int = 2000
) -> dict[str, dict[str, list[float]]]:
    """Per round: every approach on a fresh file of its own, opened together.
    insert_many runs on every approach back to back (the order rotating);
    the single-call operations take the approaches in turn every chunk. So
    a burst of load on a shared machine falls on all of them alike."""
    results: dict[str, dict[str, list[float]]] = {a: {op: [] for op in OPS} for a in APPROACHES}
    with tempfile.TemporaryDirectory(prefix="storegen-sync-bench-") as tmp:
        for r in range(rounds):
            loop = asyncio.new_event_loop()
            opened: dict[str, Any] = {}
            rows: dict[str, list[AccessToken]] = {a: [] for a in APPROACHES}
            try:
                for name in APPROACHES:
                    path = Path(tmp) / f"{name}-{r}.db"
                    _prepare(path)
                    if name in ("inline", "inline_twin"):
                        opened[name] = Inline(path, synchronous)
                    elif name == "sync_store":
                        opened[name] = SyncStore(path, synchronous)
                    else:
                        approach = (AsyncStore if name == "async_store" else AsyncFloor)(path)
                        approach.synchronous = synchronous
                        loop.run_until_complete(approach.open())
                        approach.rows = rows[name]  # engine.measure reads pick from these
                        opened[name] = approach
                for i, op in enumerate(OPS):
                    gc.collect()
                    turn = (r + i) % len(APPROACHES)
                    order = APPROACHES[turn:] + APPROACHES[:turn]
                    if op != "insert_many":
                        count = write_n if op in ("insert", "update") else n
                        ordered = {name: opened[name] for name in order}
                        for name, rate in _interleaved(ordered, op, count, rows, loop).items():
                            results[name][op].append(rate)
                        continue
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
    lines.append(
        "| operation | "
        + " | ".join(APPROACHES)
        + " | sync / inline | async / floor | noise: twin / inline |"
    )
    lines.append("|---|" + "---|" * (len(APPROACHES) + 3))
    for op in OPS:
        med = {a: statistics.median(results[a][op]) for a in APPROACHES}
        cells = [
            f"{med[a]:,.0f} ({min(results[a][op]):,.0f}–{max(results[a][op]):,.0f})"
            for a in APPROACHES
        ]
        sync_ratio = med["sync_store"] / med["inline"]
        async_ratio = med["async_store"] / med["async_floor"]
        noise = med["inline_twin"] / med["inline"]
        lines.append(
            f"| {op} | "
            + " | ".join(cells)
            + f" | **{sync_ratio:.2f}×** | **{async_ratio:.2f}×** | {noise:.2f}× |"
        )
    lines += [
        "",
        f"ops/s, median (min–max) over the rounds; insert_many counts rows/s ({MANY_ROWS:,} "
        "rows per call). Ratios of the medians. `inline_twin` is the floor again on its own "
        "file: twin / inline shows how far identical code drifts in this run.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=4000, help="reads per operation and round")
    parser.add_argument(
        "--write-n", type=int, default=2000, help="inserts and updates per operation and round"
    )
    parser.add_argument("--synchronous", default="FULL,OFF", help="one table per level")
    parser.add_argument("--pin", action="store_true", help="pin the process to one CPU")
    args = parser.parse_args(argv)
    where = f"pinned to CPU {engine.pin_to_one_cpu()}" if args.pin else "unpinned"
    tables = []
    for level in args.synchronous.split(","):
        start = time.perf_counter()
        results = run(args.rounds, args.n, level.upper(), args.write_n)
        title = (
            f"synchronous={level.upper()}, {where}, {args.rounds} rounds, n={args.n} reads, "
            f"{args.write_n} writes, "
            f"{time.perf_counter() - start:.0f} s"
        )
        tables.append(format_table(results, title))
        print(tables[-1] + "\n", flush=True)
    return "\n\n".join(tables)


if __name__ == "__main__":
    main()
