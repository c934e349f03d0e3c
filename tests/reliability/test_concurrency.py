"""64 asyncio tasks x 500 mixed operations on one database through shared stores.

Every task works on its own rows (ids carry the task number) across four
tables (clients, users, access tokens with cascading foreign keys to both,
and the append-only audit log), keeps a log of what succeeded, and checks
each result as it goes: the right ray_id, the row it expects, NOT_FOUND
after a delete, ALREADY_EXISTS for a deliberate duplicate. At the end the
database must hold exactly the union of all tasks' surviving rows, field for
field: no lost write, no phantom row, no "database is locked".
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._support import FIGURES

from generated.aiosqlite import (  # noqa: E402  (after _support puts the repo on sys.path)
    AccessTokenStore,
    AuditLogStore,
    OAuthClientStore,
    OAuthUserStore,
    SqliteDatabase,
)
from generated.models import AccessToken, AuditLog, OAuthClient, OAuthUser
from generated.results import ErrorCode, FailedResult, SuccessResult
from generated.schema import create_schema

TASKS = 64
OPERATIONS = 500
NOW = 1_700_000_000


@dataclass
class Stores:
    clients: OAuthClientStore
    users: OAuthUserStore
    tokens: AccessTokenStore
    audit: AuditLogStore


@dataclass
class Task:
    """One task's view of the rows it owns, and what happened to its calls."""

    number: int
    rng: random.Random
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    users: dict[str, OAuthUser] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    audit: dict[str, AuditLog] = field(default_factory=dict)
    serial: int = 0
    done: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def new_id(self, kind: str) -> str:
        self.serial += 1
        return f"{kind}-{self.number:02d}-{self.serial:04d}"

    def ray(self) -> str:
        return f"ray-{self.number}-{self.serial}-{self.rng.random()}"

    def expect(self, result: Any, ray_id: str, what: str, code: ErrorCode | None = None) -> Any:
        """The value of a success (or check the expected failure code)."""
        if result.ray_id != ray_id:
            self.problems.append(f"{what}: ray_id {result.ray_id!r} is not {ray_id!r}")
        if code is None and not isinstance(result, SuccessResult):
            self.problems.append(f"{what}: unexpected {result!r}")
            return None
        if code is not None and (not isinstance(result, FailedResult) or result.error_code != code):
            self.problems.append(f"{what}: expected {code}, got {result!r}")
        self.done[what] += 1
        return result.client_message


def make_client(task: Task) -> OAuthClient:
    ident = task.new_id("client")
    return OAuthClient(
        id=ident,
        client_identifier=f"ident-{ident}",
        client_secret=f"secret-{ident}",
        is_confidential=task.rng.random() < 0.5,
        redirect_uris="https://app.example/cb",
        grant_types="authorization_code",
        scopes=None,
        is_enabled=True,
        created_at=NOW,
        created_by="load",
        updated_at=NOW,
        updated_by="load",
    )


def make_user(task: Task) -> OAuthUser:
    ident = task.new_id("user")
    return OAuthUser(
        id=ident,
        external_id=f"idp|{ident}",
        is_active=True,
        created_at=NOW,
        created_by="load",
        updated_at=NOW,
        updated_by="load",
    )


def make_token(task: Task, client_id: str, user_id: str | None) -> AccessToken:
    ident = task.new_id("token")
    return AccessToken(
        id=ident,
        token=f"bearer-{ident}",
        client_id=client_id,
        user_id=user_id,
        scopes="openid",
        expires_at=NOW + 3600,
        revoked_at=None,
        created_at=NOW,
        created_by="load",
        updated_at=NOW,
        updated_by="load",
    )


def make_audit(task: Task) -> AuditLog:
    return AuditLog(
        id=task.new_id("audit"),
        event_type="token.issued",
        subject=None,
        client_id=None,
        user_id=None,
        metadata=f'{{"task": {task.number}}}',
        created_at=NOW,
        created_by="load",
        updated_at=NOW,
        updated_by="load",
    )


async def step(task: Task, s: Stores) -> None:
    """One random operation, checked against the task's own log."""
    rng, ray = task.rng, task.ray()
    choice = rng.choices(
        [
            "insert_client", "insert_user", "insert_token", "get_client", "get_by_identifier",
            "update_client", "delete_client", "delete_user", "delete_token", "list_tokens",
            "count_tokens", "insert_audit", "get_audit", "count_audit", "duplicate", "get_gone",
        ],
        weights=[14, 8, 16, 12, 5, 10, 4, 2, 5, 8, 5, 6, 3, 2, 2, 2],
    )[0]  # fmt: skip
    if choice == "insert_client" or (not task.clients and choice != "insert_user"):
        row = make_client(task)
        if task.expect(await s.clients.insert(row, ray), ray, "insert") == row:
            task.clients[row.id] = row
        else:
            task.problems.append(f"insert_client stored something else than {row!r}")
    elif choice == "insert_user":
        row = make_user(task)
        if task.expect(await s.users.insert(row, ray), ray, "insert") == row:
            task.users[row.id] = row
    elif choice == "insert_token":
        client_id = rng.choice(sorted(task.clients))
        user_id = rng.choice(sorted(task.users)) if task.users and rng.random() < 0.7 else None
        row = make_token(task, client_id, user_id)
        if task.expect(await s.tokens.insert(row, ray), ray, "insert") == row:
            task.tokens[row.id] = row
    elif choice == "get_client":
        row = task.clients[rng.choice(sorted(task.clients))]
        got = task.expect(await s.clients.get_by_id(row.id, ray), ray, "get")
        if got != row:
            task.problems.append(f"get_by_id: {got!r} != {row!r}")
    elif choice == "get_by_identifier":
        row = task.clients[rng.choice(sorted(task.clients))]
        result = await s.clients.get_by_client_identifier(row.client_identifier, ray)
        if task.expect(result, ray, "get") != row:
            task.problems.append(f"get_by_client_identifier: {result!r} != {row!r}")
    elif choice == "update_client":
        row = task.clients[rng.choice(sorted(task.clients))]
        task.serial += 1
        changed = dataclasses.replace(
            row,
            scopes=f"scope-{task.serial}",
            is_enabled=not row.is_enabled,
            updated_at=row.updated_at + 1,
            updated_by=f"task-{task.number}",
        )
        if task.expect(await s.clients.update(changed, ray), ray, "update") == changed:
            task.clients[row.id] = changed
        else:
            task.problems.append(f"update did not return {changed!r}")
    elif choice == "delete_client":
        client_id = rng.choice(sorted(task.clients))
        task.expect(await s.clients.delete_by_id(client_id, ray), ray, "delete")
        del task.clients[client_id]
        for token_id in [t for t, row in task.tokens.items() if row.client_id == client_id]:
            del task.tokens[token_id]  # ON DELETE CASCADE
    elif choice == "delete_user" and task.users:
        user_id = rng.choice(sorted(task.users))
        task.expect(await s.users.delete_by_id(user_id, ray), ray, "delete")
        del task.users[user_id]
        for token_id in [t for t, row in task.tokens.items() if row.user_id == user_id]:
            del task.tokens[token_id]  # ON DELETE CASCADE
    elif choice == "delete_token" and task.tokens:
        token_id = rng.choice(sorted(task.tokens))
        task.expect(await s.tokens.delete_by_id(token_id, ray), ray, "delete")
        del task.tokens[token_id]
    elif choice == "list_tokens":
        client_id = rng.choice(sorted(task.clients))
        wanted = sorted(
            (t for t in task.tokens.values() if t.client_id == client_id), key=lambda t: t.id
        )
        got = task.expect(await s.tokens.list_by_client_id(client_id, ray, limit=1000), ray, "list")
        if got != wanted:
            task.problems.append(
                f"list_by_client_id({client_id}): {len(got or [])} rows, wanted {len(wanted)}"
            )
    elif choice == "count_tokens":
        client_id = rng.choice(sorted(task.clients))
        wanted_count = sum(t.client_id == client_id for t in task.tokens.values())
        got_count = task.expect(await s.tokens.count_by_client_id(client_id, ray), ray, "count")
        if got_count != wanted_count:
            task.problems.append(f"count_by_client_id: {got_count} != {wanted_count}")
    elif choice == "insert_audit":
        row = make_audit(task)
        if task.expect(await s.audit.insert(row, ray), ray, "insert") == row:
            task.audit[row.id] = row
    elif choice == "get_audit" and task.audit:
        row = task.audit[rng.choice(sorted(task.audit))]
        if task.expect(await s.audit.get_by_id(row.id, ray), ray, "get") != row:
            task.problems.append(f"audit get_by_id({row.id}) differs")
    elif choice == "count_audit":
        total = task.expect(await s.audit.count_all(ray), ray, "count")
        if total is None or total < len(task.audit):
            task.problems.append(f"count_all {total} < this task's own {len(task.audit)} rows")
    elif choice == "duplicate":
        row = task.clients[rng.choice(sorted(task.clients))]
        copy = dataclasses.replace(row, id=task.new_id("client"))  # same client_identifier
        task.expect(
            await s.clients.insert(copy, ray), ray, "expected failure", ErrorCode.ALREADY_EXISTS
        )
    else:  # get_gone, or a choice whose rows ran out: a deleted or never-made id
        gone = f"client-{task.number:02d}-missing"
        task.expect(
            await s.clients.get_by_id(gone, ray), ray, "expected failure", ErrorCode.NOT_FOUND
        )


async def run_task(task: Task, stores: Stores) -> Task:
    for _ in range(OPERATIONS):
        await step(task, stores)
    return task


async def read_all(store: Any) -> list[Any]:
    """Every row of a table through the store's keyset pagination."""
    rows: list[Any] = []
    after = None
    while True:
        result = await store.list_all("ray-final", limit=97, after=after)
        assert isinstance(result, SuccessResult), result
        rows += result.client_message
        if len(result.client_message) < 97:
            return rows
        after = rows[-1].id


async def scenario(path: Path) -> tuple[list[Task], float]:
    db = SqliteDatabase(path)
    await create_schema(db)
    stores = Stores(
        OAuthClientStore(db), OAuthUserStore(db), AccessTokenStore(db), AuditLogStore(db)
    )
    tasks = [Task(n, random.Random(n)) for n in range(TASKS)]
    started = time.perf_counter()
    try:
        finished = await asyncio.gather(*(run_task(task, stores) for task in tasks))
        elapsed = time.perf_counter() - started
        problems = [p for task in finished for p in task.problems]
        assert not problems, "\n".join(problems[:20])
        for store, attr in (
            (stores.clients, "clients"),
            (stores.users, "users"),
            (stores.tokens, "tokens"),
            (stores.audit, "audit"),
        ):
            wanted = sorted(
                (row for task in finished for row in getattr(task, attr).values()),
                key=lambda r: r.id,
            )
            got = await read_all(store)
            assert len(got) == len(
                wanted
            ), f"{attr}: {len(got)} rows stored, {len(wanted)} expected"
            assert got == wanted, f"{attr}: stored rows differ from the tasks' logs"
            count = await store.count_all("ray-final")
            assert count.client_message == len(wanted)
        integrity = await db.fetch_one("PRAGMA integrity_check", ())
        assert integrity == ("ok",)
        return finished, elapsed
    finally:
        await db.close()


def test_64_tasks_share_stores_without_losing_a_write(tmp_path: Path) -> None:
    finished, elapsed = asyncio.run(scenario(tmp_path / "load.db"))
    done: Counter[str] = Counter()
    for task in finished:
        done.update(task.done)
    total = sum(done.values())
    assert total == TASKS * OPERATIONS  # every step makes exactly one store call
    FIGURES["concurrency: asyncio tasks"] = TASKS
    FIGURES["concurrency: store operations"] = total
    print(
        f"concurrency: {TASKS} tasks, {total} operations ({dict(done)}) in {elapsed:.1f}s "
        f"({total / elapsed:.0f} ops/s), no lost write, no UNAVAILABLE"
    )
