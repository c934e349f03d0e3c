"""Child processes for the multi-process and crash tests (run as a script).

    python _workers.py writer DB NUMBER COUNT GO_FILE   -> one JSON summary line
    python _workers.py stream DB PREFIX                  -> one id per committed insert
    python _workers.py stream_sync DB PREFIX             -> the same, sync stores, 4 threads

Each process opens its own `SqliteDatabase`, so each has its own connection
and competes for SQLite's write lock with the others. Run it with the repo
root on PYTHONPATH (see `worker_command`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter

from generated.aiosqlite import AccessTokenStore, AuditLogStore, OAuthClientStore, SqliteDatabase
from generated.models import AccessToken, AuditLog, OAuthClient
from generated.results import SuccessResult

NOW = 1_700_000_000


def client(ident: str) -> OAuthClient:
    return OAuthClient(
        id=ident,
        client_identifier=f"ident-{ident}",
        client_secret=f"secret-{ident}",
        is_confidential=True,
        redirect_uris="https://app.example/cb",
        grant_types="client_credentials",
        scopes=None,
        is_enabled=True,
        created_at=NOW,
        created_by="mp",
        updated_at=NOW,
        updated_by="mp",
    )


def token(ident: str, client_id: str) -> AccessToken:
    return AccessToken(
        id=ident,
        token=f"bearer-{ident}",
        client_id=client_id,
        user_id=None,
        scopes=None,
        expires_at=NOW,
        revoked_at=None,
        created_at=NOW,
        created_by="mp",
        updated_at=NOW,
        updated_by="mp",
    )


async def writer(path: str, number: int, count: int, go_file: str) -> dict[str, object]:
    """`count` client inserts, a token for every third, an update for every fifth."""
    db = SqliteDatabase(path)
    clients, tokens = OAuthClientStore(db), AccessTokenStore(db)
    outcomes: Counter[str] = Counter()
    while not os.path.exists(go_file):  # start together, after every import is done
        time.sleep(0.005)
    try:
        for i in range(count):
            row = client(f"w{number}-c{i:04d}")
            result = await clients.insert(row, f"ray-{number}-{i}")
            outcomes["insert" if isinstance(result, SuccessResult) else str(result)] += 1
            if i % 3 == 0:
                result = await tokens.insert(token(f"w{number}-t{i:04d}", row.id), f"ray-t-{i}")
                outcomes["token" if isinstance(result, SuccessResult) else str(result)] += 1
            if i % 5 == 4:
                earlier = client(f"w{number}-c{i - 2:04d}")
                earlier.scopes, earlier.updated_at = f"updated-by-{number}", NOW + i
                result = await clients.update(earlier, f"ray-u-{i}")
                outcomes["update" if isinstance(result, SuccessResult) else str(result)] += 1
    finally:
        await db.close()
    return {"number": number, "outcomes": dict(outcomes)}


async def stream(path: str, prefix: str) -> None:
    """Insert audit rows forever; print each id only after its insert succeeded."""
    db = SqliteDatabase(path)
    store = AuditLogStore(db)
    i = 0
    while True:
        ident = f"{prefix}-{i:06d}"
        row = AuditLog(
            id=ident,
            event_type="crash.test",
            subject=None,
            client_id=None,
            user_id=None,
            metadata="x" * (i % 200),
            created_at=NOW,
            created_by="crash",
            updated_at=NOW,
            updated_by="crash",
        )
        result = await store.insert(row, f"ray-{ident}")
        if not isinstance(result, SuccessResult):
            print(f"FAILED {result!r}", flush=True)
            return
        print(ident, flush=True)
        i += 1


def stream_sync(path: str, prefix: str, threads: int = 4) -> None:
    """`stream` on the sync stores: 4 threads share one database object, so their
    inserts go through the writer queue and share commits (group commit)."""
    import threading

    from generated.sqlite3 import AuditLogStore as SyncAuditLogStore
    from generated.sqlite3 import SyncSqliteDatabase

    store = SyncAuditLogStore(SyncSqliteDatabase(path))
    printing = threading.Lock()

    def insert_forever(n: int) -> None:
        i = 0
        while True:
            ident = f"{prefix}-t{n}-{i:06d}"
            row = AuditLog(
                id=ident, event_type="crash.test", subject=None, client_id=None, user_id=None,
                metadata="x" * (i % 200), created_at=NOW, created_by="crash", updated_at=NOW,
                updated_by="crash",
            )  # fmt: skip
            result = store.insert(row, f"ray-{ident}")
            with printing:
                if not isinstance(result, SuccessResult):
                    print(f"FAILED {result!r}", flush=True)
                    os._exit(1)
                print(ident, flush=True)
            i += 1

    workers = [threading.Thread(target=insert_forever, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def main(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "writer":
        path, number, count, go_file = argv[1], int(argv[2]), int(argv[3]), argv[4]
        print(json.dumps(asyncio.run(writer(path, number, count, go_file))), flush=True)
    elif mode == "stream":
        asyncio.run(stream(argv[1], argv[2]))
    elif mode == "stream_sync":
        stream_sync(argv[1], argv[2])
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
