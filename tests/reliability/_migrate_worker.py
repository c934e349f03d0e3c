"""A child process that migrates one database (run as a script).

    python _migrate_worker.py URL STEPS [GO_FILE]

URL is an SQLite path, a ws:// sqld URL or a postgresql:// URL; STEPS is a
comma-separated list of migration steps from migrate_support (dialect chosen
by the URL). It prints "ready" once connected; with GO_FILE, it then waits
until that file exists, so several children start migrating at the same
moment. It prints "go" right before `apply_migrations`, then one JSON line: the names it applied, or the
error. Run with the repo root and tests/ on PYTHONPATH.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from big_migrations import big_migrations
from migrate_support import migrations
from generated._runtime.migrate import apply_migrations


def open_database(url: str) -> Any:
    """The database for `url`, importing only its driver (start-up time matters here)."""
    if url.startswith("ws://"):
        from generated._runtime.libsql import LibsqlDatabase

        return LibsqlDatabase(url, timeout=60.0)
    if url.startswith("postgresql://"):
        from generated._runtime.postgres import PostgresDatabase

        return PostgresDatabase(url, timeout=60.0)
    from generated._runtime.sqlite import SqliteDatabase

    return SqliteDatabase(url)


async def main(url: str, steps: str, go_file: str | None) -> dict[str, object]:
    db = open_database(url)
    try:
        names = steps.split(",")
        plan = big_migrations(db) if names == ["big"] else migrations(db, *names)
        await db.fetch_all("SELECT 1", ())  # connect before the start line
        print("ready", flush=True)
        if go_file is not None:
            while not os.path.exists(go_file):
                time.sleep(0.001)
        print("go", flush=True)
        try:
            return {"applied": await apply_migrations(db, plan)}
        except Exception as exc:  # reported to the parent, which fails the test
            return {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        await db.close()


if __name__ == "__main__":
    result = asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
    print(json.dumps(result), flush=True)
