"""16 threads x 2,000 mixed calls on ONE sync database object (the sqlite3 backend).

As Flask's threaded server, gunicorn's gthread workers or a ThreadPoolExecutor
would use it. Each thread owns its rows (ids `t<N>-<i>`), so the test knows
the last acknowledged state of every row: after the run, every acknowledged
insert and update is there with its value, every acknowledged delete is
gone, no call failed at all (so no `database is locked` reached a caller),
and `PRAGMA integrity_check` is ok. Bounded: 32,000 calls, and a deadline.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ._support import FIGURES

from generated.models import AccessToken, AuditLog, OAuthClient, OAuthUser  # noqa: E402
from generated.results import FailedResult, Result  # noqa: E402
from generated.sqlite3 import (  # noqa: E402
    AccessTokenStore,
    AuditLogStore,
    OAuthClientStore,
    OAuthUserStore,
    SyncSqliteDatabase,
    create_schema,
)

THREADS, CALLS = 16, 2_000
DEADLINE_S = 120.0  # a hang guard, not a speed claim (bench/sync_threads.py measures)
NOW = 1_700_000_000


def token(ident: str, scopes: str) -> AccessToken:
    return AccessToken(
        id=ident, token=f"tok-{ident}", client_id="c", user_id="u", scopes=scopes,
        expires_at=NOW + 3600, revoked_at=None, created_at=NOW, created_by="t",
        updated_at=NOW, updated_by="t",
    )  # fmt: skip


def audit(ident: str) -> AuditLog:
    return AuditLog(
        id=ident, event_type="thread.test", subject=None, client_id=None, user_id=None,
        metadata=None, created_at=NOW, created_by="t", updated_at=NOW, updated_by="t",
    )  # fmt: skip


def test_sixteen_threads_share_one_database(tmp_path: Path) -> None:
    db = SyncSqliteDatabase(tmp_path / "threads.db", synchronous="NORMAL")
    create_schema(db)
    client = OAuthClient(
        id="c", client_identifier="c", client_secret=None, is_confidential=False,
        redirect_uris="https://x/cb", grant_types="code", scopes=None, is_enabled=True,
        created_at=NOW, created_by="t", updated_at=NOW, updated_by="t",
    )  # fmt: skip
    user = OAuthUser(
        id="u", external_id="u", is_active=True, created_at=NOW, created_by="t",
        updated_at=NOW, updated_by="t",
    )  # fmt: skip
    assert not isinstance(OAuthClientStore(db).insert(client, "r"), FailedResult)
    assert not isinstance(OAuthUserStore(db).insert(user, "r"), FailedResult)
    tokens, logs = AccessTokenStore(db), AuditLogStore(db)
    failures: list[str] = []
    expected: dict[str, str | None] = {}  # token id -> scopes last acknowledged (None: deleted)
    logged: set[str] = set()
    done = Counter[str]()
    guard = threading.Lock()
    deadline = time.monotonic() + DEADLINE_S

    def ok(result: Result[object], what: str) -> bool:
        if isinstance(result, FailedResult):
            failures.append(f"{what}: {result.error_code} {result.client_message}")
            return False
        return True

    def worker(n: int) -> None:
        rnd = random.Random(n)
        mine: dict[str, AccessToken] = {}
        acked: dict[str, str | None] = {}
        my_logs: set[str] = set()
        for i in range(CALLS):
            if time.monotonic() > deadline:
                failures.append(f"thread {n}: deadline passed at call {i}")
                break
            roll = rnd.random()
            ident = f"t{n}-{i}"
            if roll < 0.4 or not mine:
                if ok(tokens.insert(token(ident, "v0"), ident), "insert"):
                    mine[ident], acked[ident] = token(ident, "v0"), "v0"
                kind = "insert"
            elif roll < 0.6:
                key = rnd.choice(list(mine))
                row = replace(mine[key], scopes=f"v{i}")
                if ok(tokens.update(row, ident), "update"):
                    mine[key], acked[key] = row, row.scopes
                kind = "update"
            elif roll < 0.65:
                key = rnd.choice(list(mine))
                if ok(tokens.delete_by_id(key, ident), "delete"):
                    del mine[key]
                    acked[key] = None
                kind = "delete"
            elif roll < 0.7:
                batch = [audit(f"{ident}-{k}") for k in range(3)]
                if ok(logs.insert_many(batch, ident), "insert_many"):
                    my_logs.update(b.id for b in batch)
                kind = "insert_many"
            elif roll < 0.75:
                with db.transaction():  # across stores, with a read of its own write inside
                    row = token(ident, "tx")
                    if ok(tokens.insert(row, ident), "tx insert") and ok(
                        logs.insert(audit(ident), ident), "tx audit"
                    ):
                        seen = tokens.get_by_id(ident, ident)
                        if ok(seen, "tx read") and seen.client_message == row:  # type: ignore[union-attr]
                            mine[ident], acked[ident] = row, "tx"
                            my_logs.add(ident)
                        else:
                            failures.append(f"tx read saw {seen!r}")
                kind = "transaction"
            elif roll < 0.95:
                key = rnd.choice(list(mine))
                found = tokens.get_by_id(key, ident)
                if ok(found, "get") and found.client_message != mine[key]:  # type: ignore[union-attr]
                    failures.append(f"get {key}: {found!r} != {mine[key]!r}")
                kind = "get_by_id"
            else:
                ok(tokens.list_by_client_id("c", ident, limit=20), "list")
                kind = "list"
            with guard:
                done[kind] += 1
        with guard:
            expected.update(acked)
            logged.update(my_logs)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_S + 10)
    elapsed = time.monotonic() - start
    db.close()

    assert not failures, failures[:10]
    assert sum(done.values()) == THREADS * CALLS, done
    assert min(done.values()) > 100, done  # every kind of call really ran, often
    with sqlite3.connect(tmp_path / "threads.db") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = dict(raw.execute("SELECT id, scopes FROM oauth_access_tokens").fetchall())
        stored_logs = {r[0] for r in raw.execute("SELECT id FROM oauth_audit_logs")}
    raw.close()
    lost = {k: v for k, v in expected.items() if v is not None and stored.get(k) != v}
    undeleted = [k for k, v in expected.items() if v is None and k in stored]
    assert not lost, f"{len(lost)} acknowledged writes lost or stale: {list(lost.items())[:5]}"
    assert not undeleted, undeleted[:5]
    assert set(stored) == {k for k, v in expected.items() if v is not None}
    assert stored_logs == logged
    FIGURES["sync threads: threads x calls on one database object"] = THREADS * CALLS
    print(f"sync threads: {THREADS} x {CALLS} calls in {elapsed:.1f} s, {dict(done)}")
