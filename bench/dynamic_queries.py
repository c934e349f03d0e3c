"""Dynamic named queries against hand-written aiosqlite (issue 22).

    python -m bench.dynamic_queries [--rounds 9] [--n 100]

One SQLite file (WAL): 20,000 clients, 20,000 access tokens over 200 clients.
Each round runs every approach `n` times, alternating; the table prints calls
per second, median (min-max) over the rounds, and the ratio to the
hand-written query (target >= 0.9x):

  optional filter  `search_access_tokens(client_id=..., limit=20)`: 1 of 3
                   @optional filters given, a precomputed variant picked per
                   call; vs hand-written aiosqlite running the static
                   `WHERE client_id = ? ORDER BY created_at, id LIMIT ?`. The
                   row under it runs that static text through the store's own
                   database object: the runtime's cost, without the variant.
  IN-list 1,000    `list_clients_by_ids(1,000 ids)`: one JSON-array parameter
                   read by json_each; vs hand-written aiosqlite with the 1,000
                   placeholders written out (`IN (?, ?, ..., ?)`). A last row
                   runs the generated json_each statement by hand: the
                   strategy's own cost, without the store.

Both sides decode rows with the same generated decoder, so the ratio is what
the store adds (statement choice, IN-list encoding, result wrapping).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from generated._rows import decode_access_token, decode_oauth_client
from generated.aiosqlite import AccessTokenStore, OAuthClientStore, SqliteDatabase
from generated.schema import SCHEMA_SQL

CLIENTS = 20_000
TOKENS = 20_000
TOKEN_COLUMNS = (
    "id, token, client_id, user_id, scopes, expires_at, revoked_at, created_at, created_by, "
    "updated_at, updated_by"
)
CLIENT_COLUMNS = (
    "id, client_identifier, client_secret, is_confidential, redirect_uris, grant_types, "
    "scopes, is_enabled, created_at, created_by, updated_at, updated_by"
)
STATIC = (
    f"SELECT {TOKEN_COLUMNS} FROM oauth_access_tokens WHERE client_id = ? "
    "ORDER BY created_at, id LIMIT ?"
)
JSON_EACH = (
    f"SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id IN (SELECT value FROM json_each(?)) "
    "ORDER BY id"
)
IN_LIST = (
    f"SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id IN ({', '.join('?' * 1000)}) ORDER BY id"
)


def _fill(path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_SQL)
    conn.executemany(
        f"INSERT INTO oauth_clients ({CLIENT_COLUMNS}) VALUES (?,?,NULL,0,'u','code',NULL,1,0,'b',0,'b')",
        [(f"client-{i:05d}", f"ident-{i:05d}") for i in range(CLIENTS)],
    )
    conn.executemany(
        f"INSERT INTO oauth_access_tokens ({TOKEN_COLUMNS}) VALUES (?,?,?,NULL,NULL,?,NULL,?,'b',0,'b')",
        [
            (f"tok-{i:05d}", f"value-{i:05d}", f"client-{i % 200:05d}", 10_000 + i, i % 977)
            for i in range(TOKENS)
        ],
    )
    conn.commit()
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()


async def _rate(call: Callable[[], Awaitable[Any]], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await call()
    return n / (time.perf_counter() - start)


async def _run(path: Path, rounds: int, n: int) -> dict[str, dict[str, list[float]]]:
    db = SqliteDatabase(str(path))
    hand = await aiosqlite.connect(path, isolation_level=None)
    tokens, clients = AccessTokenStore(db), OAuthClientStore(db)
    rng = random.Random(7)
    ids = [f"client-{i:05d}" for i in rng.sample(range(CLIENTS), 1000)]

    async def dynamic_filter() -> None:
        found = await tokens.search_access_tokens("b", client_id="client-00042", limit=20)
        assert found.status and len(found.client_message) == 20

    async def hand_filter() -> None:
        rows = await hand.execute_fetchall(STATIC, ("client-00042", 20))
        assert len([decode_access_token(r) for r in rows]) == 20

    async def static_filter() -> None:  # the static statement through the store's database
        rows = await db.fetch_all(STATIC, ("client-00042", 20))
        assert len([decode_access_token(r) for r in rows]) == 20

    async def store_in_list() -> None:
        found = await clients.list_clients_by_ids(ids, "b")
        assert found.status and len(found.client_message) == 1000

    async def hand_in_list() -> None:
        rows = await hand.execute_fetchall(IN_LIST, ids)
        assert len([decode_oauth_client(r) for r in rows]) == 1000

    async def hand_json_each() -> None:  # the road chosen, without the store around it
        rows = await hand.execute_fetchall(JSON_EACH, (json.dumps(ids),))
        assert len([decode_oauth_client(r) for r in rows]) == 1000

    cases: dict[str, Sequence[tuple[str, Callable[[], Awaitable[Any]]]]] = {
        "optional filter (1 of 3)": (
            ("hand", hand_filter),
            ("generated", dynamic_filter),
            ("static, same runtime", static_filter),
        ),
        "IN-list of 1,000 ids": (
            ("hand", hand_in_list),
            ("generated", store_in_list),
            ("hand json_each", hand_json_each),
        ),
    }
    results: dict[str, dict[str, list[float]]] = {
        c: {name: [] for name, _ in approaches} for c, approaches in cases.items()
    }
    try:
        for case, approaches in cases.items():
            for _, call in approaches:  # warm the statement caches
                await call()
            for _ in range(rounds):
                for name, call in approaches:
                    results[case][name].append(await _rate(call, n))
    finally:
        await hand.close()
        await db.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dynamic.db"
        _fill(path)
        results = asyncio.run(_run(path, args.rounds, args.n))
    print("| query | hand-written aiosqlite | generated | ratio |")
    print("|---|---|---|---|")
    for case, by in results.items():
        print(
            f"| {case} | {_cell(by['hand'])} | {_cell(by['generated'])} | **{_ratio(by, 'generated')}** |"
        )
        if "static, same runtime" in by:
            static = "(the static query through the store's database)"
            print(
                f"| {static} | | {_cell(by['static, same runtime'])} | {_ratio(by, 'static, same runtime')} |"
            )
        if "hand json_each" in by:
            print(
                f"| (json_each by hand: the strategy alone) | | {_cell(by['hand json_each'])} | {_ratio(by, 'hand json_each')} |"
            )
    print(
        "\ncalls/s, median (min–max) over the rounds; ratio = median over the rounds of "
        "(approach / hand-written) in the same round, so load drift on a shared machine cancels."
    )


def _cell(runs: list[float]) -> str:
    return f"{statistics.median(runs):,.0f} ({min(runs):,.0f}–{max(runs):,.0f})"


def _ratio(by: dict[str, list[float]], name: str) -> str:
    return f"{statistics.median(a / b for a, b in zip(by[name], by['hand'])):.2f}x"


if __name__ == "__main__":
    main()
