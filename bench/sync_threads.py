"""Threads sharing one sync SQLite database: which model to ship (issue 24).

    python -m bench.sync_threads [--threads 16] [--ops 300] [--rounds 3] [--synchronous FULL]

Every model runs the same mixed workload on the access-token table of a file
in WAL mode: each thread makes `--ops` calls, 70% get by id, 10% get by
token, 10% insert, 10% update, with the rows decoded into models. Printed:
ops/s (median over rounds, min-max), and how many calls failed with
"database is locked" (each model retries nothing by itself).

  per_thread   a sqlite3 connection per thread, reads and writes (autocommit,
               busy_timeout=5000): SQLite's busy handler arbitrates writers
  one_lock     one connection for every thread, behind a lock; each write
               is its own commit
  runtime      SyncSqliteDatabase (what the sqlite3 backend ships): a read
               connection per thread without a lock, one writer behind a
               lock with a writer queue (queued writes share one COMMIT)
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.engine import (
    PARENTS,
    SQL_GET_ID,
    SQL_GET_TOKEN,
    SQL_INSERT,
    SQL_UPDATE,
    token_row,
)
from generated import AccessToken
from generated._rows import (
    decode_access_token,
    encode_access_token_insert,
    encode_access_token_update,
)
from generated.sqlite3 import SyncSqliteDatabase, create_schema

MODELS = ("per_thread", "one_lock", "runtime")
Run = Callable[[str, tuple[Any, ...]], Any]


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
    for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}").fetchall()
    return conn


def _prepare(path: Path, seed_rows: list[AccessToken]) -> None:
    db = SyncSqliteDatabase(path, synchronous="OFF")
    create_schema(db)
    db.execute_script(PARENTS)
    db.execute_many(
        SQL_INSERT.split(" RETURNING")[0], [encode_access_token_insert(r) for r in seed_rows]
    )
    db.close()


def _workload(
    read_one: Run, write_one: Run, rows: list[AccessToken], ops: int, seed: int, locked: list[int]
) -> None:
    rnd = random.Random(seed)
    for _ in range(ops):
        roll, row = rnd.random(), rnd.choice(rows)
        try:
            if roll < 0.7:
                decode_access_token(read_one(SQL_GET_ID, (row.id,)))
            elif roll < 0.8:
                decode_access_token(read_one(SQL_GET_TOKEN, (row.token,)))
            elif roll < 0.9:
                decode_access_token(write_one(SQL_INSERT, encode_access_token_insert(token_row())))
            else:
                changed = replace(row, updated_at=row.updated_at + 1)
                decode_access_token(write_one(SQL_UPDATE, encode_access_token_update(changed)))
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            locked.append(1)


def run_model(
    model: str, path: Path, threads: int, ops: int, synchronous: str
) -> tuple[float, int]:
    """(ops/s, calls that failed as locked) of one model on a prepared file."""
    rows = [token_row() for _ in range(200)]
    _prepare(path, rows)
    locked: list[int] = []
    closers: list[Callable[[], None]] = []
    local = threading.local()

    if model == "per_thread":

        def conn() -> sqlite3.Connection:
            if not hasattr(local, "conn"):
                local.conn = _connect(path, synchronous)
                closers.append(local.conn.close)
            c: sqlite3.Connection = local.conn
            return c

        def read_one(sql: str, params: tuple[Any, ...]) -> Any:
            return conn().execute(sql, params).fetchone()

        def write_one(sql: str, params: tuple[Any, ...]) -> Any:
            return conn().execute(sql, params).fetchall()[0]

    elif model == "one_lock":
        shared, lock = _connect(path, synchronous), threading.Lock()
        closers.append(shared.close)

        def read_one(sql: str, params: tuple[Any, ...]) -> Any:
            with lock:
                return shared.execute(sql, params).fetchone()

        def write_one(sql: str, params: tuple[Any, ...]) -> Any:
            with lock:
                return shared.execute(sql, params).fetchall()[0]

    else:
        db = SyncSqliteDatabase(path, synchronous=synchronous)
        closers.append(db.close)
        read_one, write_one = db.fetch_one, db.execute_returning

    workers = [
        threading.Thread(target=_workload, args=(read_one, write_one, rows, ops, n, locked))
        for n in range(threads)
    ]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    for close in closers:
        close()
    return threads * ops / elapsed, len(locked)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--ops", type=int, default=300, help="calls per thread")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synchronous", default="FULL")
    args = parser.parse_args(argv)
    rates: dict[str, list[float]] = {m: [] for m in MODELS}
    locks: dict[str, int] = {m: 0 for m in MODELS}
    with tempfile.TemporaryDirectory(prefix="storegen-threads-") as tmp:
        for r in range(args.rounds):
            for model in MODELS[r % 3 :] + MODELS[: r % 3]:
                rate, locked = run_model(
                    model, Path(tmp) / f"{model}-{r}.db", args.threads, args.ops, args.synchronous
                )
                rates[model].append(rate)
                locks[model] += locked
    lines = [
        f"### {args.threads} threads x {args.ops} calls (70% get_by_id, 10% get_by_token, "
        f"10% insert, 10% update), synchronous={args.synchronous}, {args.rounds} rounds",
        "",
        "| model | ops/s | 'database is locked' failures |",
        "|---|---|---|",
    ]
    for model in MODELS:
        values = rates[model]
        lines.append(
            f"| {model} | {statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"
            f" | {locks[model]} |"
        )
    table = "\n".join(lines)
    print(table, flush=True)
    return table


if __name__ == "__main__":
    main()
