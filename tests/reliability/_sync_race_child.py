"""Child process of test_sync_reader_races: threads reading ONE SyncSqliteDatabase
while another thread writes and a third replaces its file ("replace") or calls
close() again and again ("close"); "async-close" / "async-replace": the same
with the async SqliteDatabase, each thread running its own event loop. Run
apart, so a segfault is a failed test, not a dead pytest. Prints one JSON line.

    python -m tests.reliability._sync_race_child MODE SECONDS DIRECTORY
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import threading
import time
from typing import Any

from generated._runtime.sqlite import SqliteDatabase
from generated._runtime.sqlite_sync import SyncSqliteDatabase

READERS = 4
SEED = 20  # rows every file starts with, ids 1..20


def seed(path: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, "seed") for i in range(1, SEED + 1)])
    conn.commit()
    conn.close()


def run(mode: str, seconds: float, directory: str) -> dict[str, Any]:
    path = os.path.join(directory, f"{mode}.db")
    seed(path)
    db = SyncSqliteDatabase(path, synchronous="NORMAL")
    stop, stop_other = threading.Event(), threading.Event()
    guard = threading.Lock()  # a swap never falls inside a write: we know what it dropped
    acked: list[tuple[int, str]] = []  # writes acknowledged since the last swap
    reads, read_errors, write_errors, events, writes = [0], [], [], [0], [0]

    def reader() -> None:
        while not stop.is_set():
            try:
                assert db.fetch_one("SELECT v FROM t WHERE id = ?", (1,)) == ("seed",)
                db.fetch_one("SELECT id FROM t ORDER BY id", ())  # many rows: cursor replaced
                rows = db.fetch_all("SELECT id, v FROM t WHERE id <= ?", (SEED,))
                assert rows == [(i, "seed") for i in range(1, SEED + 1)], rows
                reads[0] += 1
            except sqlite3.Error as exc:
                read_errors.append(getattr(exc, "sqlite_errorname", None) or type(exc).__name__)

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with guard:
                try:
                    row = db.execute_returning(
                        "INSERT INTO t (v) VALUES (?) RETURNING id", (f"w{n}",)
                    )
                except sqlite3.Error as exc:
                    write_errors.append(str(exc))
                    continue
                assert row is not None
                acked.append((row[0], f"w{n}"))
                writes[0] += 1

    def swapper() -> None:
        i = 0
        while not stop_other.is_set():
            i += 1
            fresh = os.path.join(directory, f"fresh{i}.db")
            seed(fresh)
            with guard:
                os.replace(fresh, path)
                acked.clear()  # the writes before this swap went with the old file
            events[0] += 1
            time.sleep(0.003)

    def closer() -> None:
        while not stop_other.is_set():
            db.close()
            events[0] += 1

    other = swapper if mode == "replace" else closer
    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    threads += [threading.Thread(target=writer), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop_other.set()  # the swaps or closes end first: the writes after the last one must stay
    threads[-1].join(30)
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(30)
    hung = sum(thread.is_alive() for thread in threads)
    db.close()
    conn = sqlite3.connect(path)
    found = set(conn.execute("SELECT id, v FROM t WHERE id > ?", (SEED,)).fetchall())
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    return {
        "reads": reads[0],
        "read_errors": sorted(set(read_errors)),
        "read_error_count": len(read_errors),
        "write_errors": write_errors[:5],
        "events": events[0],
        "writes": writes[0],
        "acked": len(acked),
        "lost": len(set(acked) - found),
        "integrity": integrity,
        "hung": hung,
    }


def run_async(mode: str, seconds: float, directory: str) -> dict[str, Any]:
    """Inline reads on three loops (threads) while a fourth closes or swaps and writes."""
    path = os.path.join(directory, f"{mode}.db")
    seed(path)
    # A short busy timeout: a second writer opened by a racing reopen fails fast.
    db = SqliteDatabase(path, synchronous="NORMAL", busy_timeout_ms=300)
    stop = threading.Event()
    reads, errors, events = [0], [], [0]

    async def reads_loop() -> None:
        while not stop.is_set():
            try:
                assert await db.fetch_one("SELECT v FROM t WHERE id = ?", (1,)) == ("seed",)
                await db.fetch_one("SELECT id FROM t ORDER BY id", ())
                reads[0] += 1
            except (sqlite3.Error, ValueError) as exc:  # the worker's connection closed
                errors.append(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(0)

    async def other_loop() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            events[0] += 1
            try:
                if mode == "async-close":
                    await db.close()
                else:
                    fresh = os.path.join(directory, f"fresh{events[0]}.db")
                    seed(fresh)
                    os.replace(fresh, path)
                await db.execute("INSERT INTO t (v) VALUES ('w')", ())
            except (sqlite3.Error, ValueError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
        stop.set()

    threads = [threading.Thread(target=asyncio.run, args=(reads_loop(),)) for _ in range(3)]
    threads.append(threading.Thread(target=asyncio.run, args=(other_loop(),)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    hung = sum(thread.is_alive() for thread in threads)
    asyncio.run(db.close())
    conn = sqlite3.connect(path)
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    return {"reads": reads[0], "errors": sorted(set(errors)), "error_count": len(errors),
            "events": events[0], "integrity": integrity, "hung": hung}  # fmt: skip


if __name__ == "__main__":
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the races show
    runner = run_async if sys.argv[1].startswith("async") else run
    print(json.dumps(runner(sys.argv[1], float(sys.argv[2]), sys.argv[3])))
