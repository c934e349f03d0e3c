"""Rebuild a 1,000,000-row table: `apply_migrations` vs the hand-written SQL.

Both sides start from byte-identical copies of one v1 database file (WAL,
`synchronous=FULL`, foreign keys on, as `SqliteDatabase` opens it) and run
the same 12-step rebuild (new table with a changed column type and a CHECK,
`INSERT INTO new SELECT ... FROM old`, drop, rename, recreate the index):

* `migrate`: the generated runtime's `apply_migrations` on a
  `SqliteDatabase` (FKs off outside the transaction, BEGIN IMMEDIATE, the
  records check, the statements, `PRAGMA foreign_key_check`, the record,
  COMMIT, FKs on);
* `hand`: the same statements on a plain sqlite3 connection, with only
  the FK pragmas, BEGIN IMMEDIATE, `foreign_key_check` and COMMIT around them.

Rounds alternate which side runs first; the median of each side is compared,
in wall time and in CPU time of this process (all threads: the runtime's SQL
runs on its worker thread). On a shared, loaded machine the wall time of one
run moves by +-50%; CPU time shows the work each side does.

    python -m bench.migrate_rebuild [--rows 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from generated._runtime.libsql_urls import split_script
from generated._runtime.migrate import Migration, apply_migrations
from generated._runtime.sqlite import SqliteDatabase

V1 = """
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    balance INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    note TEXT
);
CREATE INDEX idx_accounts_email ON accounts (email);
"""
V2 = """-- storegen: foreign_keys=off
CREATE TABLE new_accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    balance REAL NOT NULL CHECK (balance >= 0),
    created_at INTEGER NOT NULL,
    note TEXT,
    status TEXT NOT NULL DEFAULT 'active'
);
INSERT INTO new_accounts (id, email, balance, created_at, note)
    SELECT id, email, balance, created_at, note FROM accounts;
DROP TABLE accounts;
ALTER TABLE new_accounts RENAME TO accounts;
CREATE INDEX idx_accounts_email ON accounts (email);
"""
MIGRATIONS = (Migration("0001_initial", V1), Migration("0002_rebuild", V2, foreign_keys_off=True))


def make_v1(path: Path, rows: int) -> None:
    """The v1 file with `rows` rows, migrated to 0001 by the runtime itself."""

    async def initial() -> None:
        async with SqliteDatabase(path) as db:
            await apply_migrations(db, MIGRATIONS[:1])

    asyncio.run(initial())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO accounts SELECT i, 'user' || i || '@example.com', i % 10000, "
        "1700000000 + i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'note ' || i END FROM n",
        (rows,),
    )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


Timing = tuple[float, float]  # wall seconds, CPU seconds


def run_hand(path: Path) -> Timing:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    started, cpu = time.perf_counter(), time.process_time()
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("BEGIN IMMEDIATE")
    for statement in split_script(V2):
        conn.execute(statement)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.execute("COMMIT")
    conn.execute("PRAGMA foreign_keys=ON")
    elapsed = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return elapsed


def run_migrate(path: Path) -> Timing:
    async def go() -> Timing:
        async with SqliteDatabase(path) as db:
            await db.fetch_all("SELECT 1", ())  # open the connection outside the timing
            started, cpu = time.perf_counter(), time.process_time()
            applied = await apply_migrations(db, MIGRATIONS)
            elapsed = time.perf_counter() - started, time.process_time() - cpu
            assert applied == ["0002_rebuild"], applied
            return elapsed

    return asyncio.run(go())


def check(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (rows,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="storegen-bench-migrate-") as tmp:
        folder = Path(tmp)
        v1 = folder / "v1.db"
        make_v1(v1, args.rows)
        times: dict[str, list[Timing]] = {"migrate": [], "hand": []}
        for round_ in range(args.rounds):
            order = ["migrate", "hand"] if round_ % 2 == 0 else ["hand", "migrate"]
            for side in order:
                copy = folder / f"{side}-{round_}.db"
                shutil.copyfile(v1, copy)
                run = run_migrate if side == "migrate" else run_hand
                times[side].append(run(copy))
                check(copy, args.rows)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
    print(f"rebuild of a {args.rows:,}-row table, {args.rounds} rounds: median (min-max) seconds\n")
    print("| approach | wall | ratio | CPU | ratio |")
    print("|---|---|---|---|---|")
    medians = {
        side: [statistics.median(t[i] for t in runs) for i in (0, 1)]
        for side, runs in times.items()
    }
    for side, label in (
        ("hand", "hand-written INSERT INTO new SELECT"),
        ("migrate", "apply_migrations"),
    ):
        cells = []
        for i in (0, 1):
            values = [t[i] for t in times[side]]
            ratio = medians[side][i] / medians["hand"][i]
            cells.append(
                f"{medians[side][i]:.2f} ({min(values):.2f}-{max(values):.2f}) | **{ratio:.2f}x**"
            )
        print(f"| {label} | {' | '.join(cells)} |")
    wall, cpu = (medians["migrate"][i] / medians["hand"][i] for i in (0, 1))
    print(f"\ntarget: apply_migrations <= 1.2x hand; measured {wall:.2f}x wall, {cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
