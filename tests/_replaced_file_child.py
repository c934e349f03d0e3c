"""Child process of test_replaced_file: a crash (SIGBUS) must fail a test, not kill pytest.

    python -m tests._replaced_file_child MODE DIRECTORY

"sqlite": plain sqlite3, the hazard itself. "async" / "sync": the same moves
with an engine that had the old file open; it must not touch the old -shm.
Connection `old` stands for any connection of this process still reading the
old file (an engine's reader mid-read, another library's): it is inside a
read whose WAL index spans two -shm regions, its page cache tiny, so each
row it fetches looks the WAL index up. The file is then replaced by a new
WAL-mode database and the old -wal removed with it (`mv new.db app.db;
rm app.db-wal`), leaving the old -shm at the path. The first connection to
open the new file finds no other process's lock on that -shm, so it
truncates it and rebuilds it for one region: `old`'s next fetch touches the
second region, past the end of the file, and dies of SIGBUS.
Prints one JSON line: what the engine read, and how many rows `old` fetched.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import threading

FRAMES = 5000  # > 4096 frames: the WAL index takes a second 32 KiB region


def prepare(path: str) -> sqlite3.Connection:
    """The old file: FRAMES pages in its WAL, `old` reading in the middle of them."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # keep every frame in the WAL
    writer.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    writer.execute("CREATE TABLE big (b BLOB)")
    writer.execute("BEGIN")
    for _ in range(FRAMES):
        writer.execute("INSERT INTO big VALUES (randomblob(3000))")  # a page each
    writer.execute("COMMIT")
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA cache_size=5")
    writer.close()
    return old


def replace(path: str, value: int) -> None:
    fresh = path + ".new"
    conn = sqlite3.connect(fresh)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    conn.execute("INSERT INTO kv VALUES ('x', ?)", (value,))
    conn.commit()
    conn.close()
    os.replace(fresh, path)
    os.remove(path + "-wal")


def in_thread(fn: object) -> object:
    """Run `fn()` on a new thread (a new thread has no reader yet: it opens one)."""
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(fn()))  # type: ignore[operator]
    thread.start()
    thread.join()
    return out[0]


def main(mode: str, directory: str) -> dict[str, object]:
    path = os.path.join(directory, "app.db")
    found: object = None
    if mode == "sqlite":
        old = prepare(path)
        rows = old.execute("SELECT b FROM big")
        rows.fetchone()
        replace(path, 2)
        new = sqlite3.connect(path)
        found = new.execute("SELECT v FROM kv").fetchone()
    elif mode == "async":
        import generated._runtime.sqlite_conn as sqlite_conn
        from generated._runtime.sqlite import SqliteDatabase

        sqlite_conn.READ_RECHECK_S = 3600.0  # reads do not stat: the open must check
        db = SqliteDatabase(path)
        sql = "SELECT v FROM kv WHERE k = ?"

        async def first() -> None:
            await db.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)", ())
            await db.execute("INSERT INTO kv VALUES ('x', 1)", ())
            assert await db.fetch_one(sql, ("x",)) == (1,)

        asyncio.run(first())
        old = prepare(path)
        rows = old.execute("SELECT b FROM big")
        rows.fetchone()
        replace(path, 2)
        found = in_thread(lambda: asyncio.run(db.fetch_one(sql, ("x",))))
    else:
        from generated._runtime.sqlite_sync import SyncSqliteDatabase

        sync_db = SyncSqliteDatabase(path)
        sync_db.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)", ())
        sync_db.execute("INSERT INTO kv VALUES ('x', 1)", ())
        old = prepare(path)
        rows = old.execute("SELECT b FROM big")
        rows.fetchone()
        replace(path, 2)
        found = in_thread(lambda: sync_db.fetch_one("SELECT v FROM kv WHERE k = ?", ("x",)))
    fetched = 1 + len(rows.fetchall())  # SIGBUS here if the old -shm was truncated
    return {"found": list(found) if isinstance(found, tuple) else found, "fetched": fetched}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
