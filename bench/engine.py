"""Side-by-side: the generated stores against every other way to reach SQLite.

    python -m bench.engine [--pin] [--rounds 5] [--n 400]
                           [--ops get_by_id,get_by_token] [--approaches generated,sync]

One access-token table on an SQLite file (WAL, synchronous=FULL), one asyncio
loop, one process. Each round runs every approach on every operation, in an
order that rotates from round to round; the table prints ops/s as the median
over the rounds (min-max) and the ratio to hand-optimized aiosqlite.

Approaches:
  generated   the generated AccessTokenStore on SqliteDatabase (this project)
  gen_hop     the same with inline_writes=False: every write takes the worker
  hand        hand-optimized aiosqlite: one persistent connection, SQL strings
              precomputed, one hop per call (execute_fetchall), autocommit
  sync        sync sqlite3 called inside the coroutine (the floor: no hop)
  sqlalchemy  SQLAlchemy 2 async ORM on aiosqlite (a session per call)
  seed        the seed pattern: aiosqlite.connect per call, PyPika per call
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from pypika import Parameter, Query, Table

from generated import AccessToken, create_schema
from generated._rows import (
    decode_access_token,
    encode_access_token_insert,
    encode_access_token_update,
)
from generated._runtime.sqlite import SqliteDatabase
from generated.aiosqlite import AccessTokenStore
from generated.results import FailedResult, Result

TABLE = "oauth_access_tokens"
COLUMNS = (
    "id", "token", "client_id", "user_id", "scopes", "expires_at", "revoked_at",
    "created_at", "created_by", "updated_at", "updated_by",
)  # fmt: skip
SELECT = f"SELECT {', '.join(COLUMNS)} FROM {TABLE}"
SQL_GET_ID = f"{SELECT} WHERE id = ?"
SQL_GET_TOKEN = f"{SELECT} WHERE token = ?"
SQL_INSERT = (
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    f"RETURNING {', '.join(COLUMNS)}"
)
SQL_INSERT_MANY = SQL_INSERT.split(" RETURNING")[0]
SQL_UPDATE = (
    f"UPDATE {TABLE} SET token=?, client_id=?, user_id=?, scopes=?, expires_at=?, "
    f"revoked_at=?, updated_at=?, updated_by=? WHERE id = ? RETURNING {', '.join(COLUMNS)}"
)
SQL_DELETE = f"DELETE FROM {TABLE} WHERE id = ?"
PARENTS = (
    "INSERT INTO oauth_clients (id, client_identifier, client_secret, is_confidential, "
    "redirect_uris, grant_types, scopes, is_enabled, created_at, created_by, updated_at, "
    "updated_by) VALUES ('c', 'c', NULL, 0, 'https://x/cb', 'code', NULL, 1, 0, 'b', 0, 'b');"
    "INSERT INTO oauth_users (id, external_id, is_active, created_at, created_by, updated_at, "
    "updated_by) VALUES ('u', 'u', 1, 0, 'b', 0, 'b');"
)
OPS = ("insert", "get_by_token", "get_by_id", "update", "delete_by_id", "mix32", "insert_many")
APPROACHES = ("generated", "gen_hop", "hand", "sync", "sqlalchemy", "seed")
MANY_ROWS = 10_000
# Untimed calls before each timed read, for every approach alike: the first
# read on a connection pays one-off costs (the generated store opens its
# inline read connection there, SQLite parses the schema and prepares the
# statement, the page cache is cold): ~1-2 ms, against ~4 ms for 400 reads.
READ_WARMUP = 50
MIX_TASKS, MIX_OPS = 32, 20


def token_row(now: int = 1_700_000_000) -> AccessToken:
    return AccessToken(
        id=uuid.uuid4().hex, token=uuid.uuid4().hex, client_id="c", user_id="u",
        scopes="openid", expires_at=now + 3600, revoked_at=None,
        created_at=now, created_by="bench", updated_at=now, updated_by="bench",
    )  # fmt: skip


class Approach:
    """One way to run the operations; `rows` are inserted ones still present."""

    name = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[AccessToken] = []

    async def open(self) -> None: ...
    async def close(self) -> None: ...

    async def insert(self, row: AccessToken) -> AccessToken: raise NotImplementedError  # fmt: skip
    async def get_by_id(self, key: str) -> AccessToken | None: raise NotImplementedError  # fmt: skip
    async def get_by_token(self, token: str) -> AccessToken | None: raise NotImplementedError  # fmt: skip
    async def update(self, row: AccessToken) -> AccessToken: raise NotImplementedError  # fmt: skip
    async def delete_by_id(self, key: str) -> None: raise NotImplementedError  # fmt: skip
    async def insert_many(self, rows: list[AccessToken]) -> int: raise NotImplementedError  # fmt: skip


class Generated(Approach):
    name = "generated"

    async def open(self) -> None:
        self.db = SqliteDatabase(self.path)  # synchronous=FULL by default
        self.store = AccessTokenStore(self.db)

    async def close(self) -> None:
        await self.db.close()

    async def insert(self, row: AccessToken) -> AccessToken:
        return _ok(await self.store.insert(row, "bench"))

    async def get_by_id(self, key: str) -> AccessToken | None:
        return _ok(await self.store.get_by_id(key, "bench"))

    async def get_by_token(self, token: str) -> AccessToken | None:
        return _ok(await self.store.get_by_token(token, "bench"))

    async def update(self, row: AccessToken) -> AccessToken:
        return _ok(await self.store.update(row, "bench"))

    async def delete_by_id(self, key: str) -> None:
        _ok(await self.store.delete_by_id(key, "bench"))

    async def insert_many(self, rows: list[AccessToken]) -> int:
        return _ok(await self.store.insert_many(rows, "bench"))


class GeneratedHop(Generated):
    """The generated stores with inline writes off: every write takes the worker thread."""

    name = "gen_hop"

    async def open(self) -> None:
        self.db = SqliteDatabase(self.path, inline_writes=False)
        self.store = AccessTokenStore(self.db)


_T = TypeVar("_T")


def _ok(result: Result[_T]) -> _T:
    if isinstance(result, FailedResult):
        raise RuntimeError(f"bench operation failed: {result!r}")
    return result.client_message


def _connect_sync(path: Path, **kwargs: Any) -> sqlite3.Connection:
    conn: sqlite3.Connection = sqlite3.connect(path, isolation_level=None, **kwargs)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=5000"):
        conn.execute(f"PRAGMA {pragma}").fetchall()
    return conn


class Hand(Approach):
    name = "hand"

    async def open(self) -> None:
        self.conn = await aiosqlite.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            await self.conn.execute_fetchall(f"PRAGMA {pragma}")

    async def close(self) -> None:
        await self.conn.close()

    async def insert(self, row: AccessToken) -> AccessToken:
        rows = await self.conn.execute_fetchall(SQL_INSERT, encode_access_token_insert(row))
        return decode_access_token(next(iter(rows)))

    async def get_by_id(self, key: str) -> AccessToken | None:
        rows = list(await self.conn.execute_fetchall(SQL_GET_ID, (key,)))
        return decode_access_token(rows[0]) if rows else None

    async def get_by_token(self, token: str) -> AccessToken | None:
        rows = list(await self.conn.execute_fetchall(SQL_GET_TOKEN, (token,)))
        return decode_access_token(rows[0]) if rows else None

    async def update(self, row: AccessToken) -> AccessToken:
        rows = await self.conn.execute_fetchall(SQL_UPDATE, encode_access_token_update(row))
        return decode_access_token(next(iter(rows)))

    async def delete_by_id(self, key: str) -> None:
        await self.conn.execute_fetchall(SQL_DELETE, (key,))

    async def insert_many(self, rows: list[AccessToken]) -> int:
        params = [encode_access_token_insert(r) for r in rows]

        def many() -> int:
            raw = self.conn._conn
            raw.execute("BEGIN IMMEDIATE")
            count = raw.executemany(SQL_INSERT_MANY, params).rowcount
            raw.execute("COMMIT")
            return count

        if not params:
            return 0
        # One hop: aiosqlite's own (untyped) way to run a function on its thread.
        count: int = await self.conn._execute(many)  # type: ignore[no-untyped-call]
        return count


class Sync(Approach):
    name = "sync"

    async def open(self) -> None:
        self.conn = _connect_sync(self.path)

    async def close(self) -> None:
        self.conn.close()

    async def insert(self, row: AccessToken) -> AccessToken:
        found = self.conn.execute(SQL_INSERT, encode_access_token_insert(row)).fetchall()
        return decode_access_token(found[0])

    async def get_by_id(self, key: str) -> AccessToken | None:
        found = self.conn.execute(SQL_GET_ID, (key,)).fetchone()
        return None if found is None else decode_access_token(found)

    async def get_by_token(self, token: str) -> AccessToken | None:
        found = self.conn.execute(SQL_GET_TOKEN, (token,)).fetchone()
        return None if found is None else decode_access_token(found)

    async def update(self, row: AccessToken) -> AccessToken:
        found = self.conn.execute(SQL_UPDATE, encode_access_token_update(row)).fetchall()
        return decode_access_token(found[0])

    async def delete_by_id(self, key: str) -> None:
        self.conn.execute(SQL_DELETE, (key,))

    async def insert_many(self, rows: list[AccessToken]) -> int:
        self.conn.execute("BEGIN IMMEDIATE")
        count = self.conn.executemany(
            SQL_INSERT_MANY, [encode_access_token_insert(r) for r in rows]
        ).rowcount
        self.conn.execute("COMMIT")
        return count


class Seed(Approach):
    """The pattern the generator replaces: connect per call, PyPika per call."""

    name = "seed"

    async def _run(self, query: Any, params: tuple[Any, ...], write: bool) -> list[Any]:
        async with aiosqlite.connect(self.path) as conn:
            await conn.execute("PRAGMA synchronous=FULL")
            cursor = await conn.execute(str(query), params)
            rows = list(await cursor.fetchall())
            if write:
                await conn.commit()
            return rows

    async def insert(self, row: AccessToken) -> AccessToken:
        t = Table(TABLE)
        q = Query.into(t).columns(*COLUMNS).insert(*[Parameter("?")] * len(COLUMNS))
        await self._run(q, encode_access_token_insert(row), True)
        return row

    async def _get(self, column: str, value: str) -> AccessToken | None:
        t = Table(TABLE)
        q = Query.from_(t).select(*COLUMNS).where(t.field(column) == Parameter("?"))
        rows = await self._run(q, (value,), False)
        return AccessToken(**dict(zip(COLUMNS, rows[0]))) if rows else None

    async def get_by_id(self, key: str) -> AccessToken | None:
        return await self._get("id", key)

    async def get_by_token(self, token: str) -> AccessToken | None:
        return await self._get("token", token)

    async def update(self, row: AccessToken) -> AccessToken:
        t = Table(TABLE)
        q = Query.update(t)
        for column in COLUMNS[1:]:
            if column not in ("created_at", "created_by"):
                q = q.set(t.field(column), Parameter("?"))
        q = q.where(t.field("id") == Parameter("?"))
        await self._run(q, encode_access_token_update(row), True)
        return row

    async def delete_by_id(self, key: str) -> None:
        t = Table(TABLE)
        await self._run(Query.from_(t).delete().where(t.id == Parameter("?")), (key,), True)

    async def insert_many(self, rows: list[AccessToken]) -> int:
        for row in rows:  # the seed had no batch: one insert (and connection) per row
            await self.insert(row)
        return len(rows)


def _sqlalchemy_approach() -> type[Approach] | None:
    try:
        from sqlalchemy import Integer, String, event, insert
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
        from sqlalchemy.orm import DeclarativeBase, mapped_column
    except ImportError:
        return None

    class Base(DeclarativeBase):
        pass

    class Token(Base):
        __tablename__ = TABLE
        id = mapped_column(String, primary_key=True)
        token = mapped_column(String, nullable=False)
        client_id = mapped_column(String, nullable=False)
        user_id = mapped_column(String)
        scopes = mapped_column(String)
        expires_at = mapped_column(Integer, nullable=False)
        revoked_at = mapped_column(Integer)
        created_at = mapped_column(Integer, nullable=False)
        created_by = mapped_column(String, nullable=False)
        updated_at = mapped_column(Integer, nullable=False)
        updated_by = mapped_column(String, nullable=False)

    def to_model(t: Token) -> AccessToken:
        return AccessToken(**{c: getattr(t, c) for c in COLUMNS})

    class SqlAlchemy(Approach):
        name = "sqlalchemy"

        async def open(self) -> None:
            self.engine = create_async_engine(f"sqlite+aiosqlite:///{self.path}")

            @event.listens_for(self.engine.sync_engine, "connect")
            def _pragmas(conn: Any, _record: Any) -> None:
                cursor = conn.cursor()
                for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
                    cursor.execute(f"PRAGMA {pragma}")
                cursor.close()

            self.session = async_sessionmaker(self.engine, expire_on_commit=False)

        async def close(self) -> None:
            await self.engine.dispose()

        async def insert(self, row: AccessToken) -> AccessToken:
            async with self.session() as s:
                s.add(Token(**{c: getattr(row, c) for c in COLUMNS}))
                await s.commit()
            return row

        async def get_by_id(self, key: str) -> AccessToken | None:
            async with self.session() as s:
                found = await s.get(Token, key)
                return None if found is None else to_model(found)

        async def get_by_token(self, token: str) -> AccessToken | None:
            from sqlalchemy import select

            async with self.session() as s:
                found = (await s.execute(select(Token).where(Token.token == token))).scalar()
                return None if found is None else to_model(found)

        async def update(self, row: AccessToken) -> AccessToken:
            async with self.session() as s:
                found = await s.get(Token, row.id)
                assert found is not None
                for c in COLUMNS[1:]:
                    if c not in ("created_at", "created_by"):
                        setattr(found, c, getattr(row, c))
                await s.commit()
                return to_model(found)

        async def delete_by_id(self, key: str) -> None:
            async with self.session() as s:
                found = await s.get(Token, key)
                if found is not None:
                    await s.delete(found)
                    await s.commit()

        async def insert_many(self, rows: list[AccessToken]) -> int:
            async with self.session() as s:
                await s.execute(insert(Token), [{c: getattr(r, c) for c in COLUMNS} for r in rows])
                await s.commit()
            return len(rows)

    return SqlAlchemy


CLASSES: dict[str, type[Approach]] = {
    "generated": Generated,
    "gen_hop": GeneratedHop,
    "hand": Hand,
    "sync": Sync,
    "seed": Seed,
}
_SA = _sqlalchemy_approach()
if _SA is not None:
    CLASSES["sqlalchemy"] = _SA


async def _prepare(path: Path) -> None:
    db = SqliteDatabase(path)
    await create_schema(db)
    await db.execute_script(PARENTS)
    await db.close()


async def measure(approach: Approach, op: str, n: int) -> float:
    """ops/s of `op` (n calls, or rows for insert_many)."""
    if op == "insert":
        rows = [token_row() for _ in range(n)]
        start = time.perf_counter()
        for row in rows:
            await approach.insert(row)
        elapsed = time.perf_counter() - start
        approach.rows.extend(rows)
        return n / elapsed
    if op in ("get_by_id", "get_by_token"):
        picks = [random.choice(approach.rows) for _ in range(n)]
        fn = approach.get_by_id if op == "get_by_id" else approach.get_by_token
        keys = [r.id if op == "get_by_id" else r.token for r in picks]
        for key in keys[:READ_WARMUP]:
            await fn(key)
        start = time.perf_counter()
        for key in keys:
            found = await fn(key)
        elapsed = time.perf_counter() - start
        assert found is not None
        return n / elapsed
    if op == "update":
        changed = [
            replace(r, scopes="openid email", updated_at=r.updated_at + 1)
            for r in approach.rows[:n]
        ]
        start = time.perf_counter()
        for row in changed:
            await approach.update(row)
        return len(changed) / (time.perf_counter() - start)
    if op == "delete_by_id":
        half = len(approach.rows) // 2  # keep the other half for the mix
        doomed, approach.rows = approach.rows[:half], approach.rows[half:]
        start = time.perf_counter()
        for row in doomed:
            await approach.delete_by_id(row.id)
        return len(doomed) / (time.perf_counter() - start)
    if op == "mix32":
        return await _mix(approach)
    if op == "insert_many":
        count = MANY_ROWS if approach.name not in ("seed", "sqlalchemy") else MANY_ROWS // 10
        rows = [token_row() for _ in range(count)]
        start = time.perf_counter()
        assert await approach.insert_many(rows) == count
        return count / (time.perf_counter() - start)
    raise ValueError(op)


async def _mix(approach: Approach) -> float:
    """32 tasks, each 20 calls: 70% get_by_id, 10% get_by_token, 10% insert, 10% update."""
    base = list(approach.rows)

    async def task(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(MIX_OPS):
            roll = rnd.random()
            row = rnd.choice(base)
            if roll < 0.7:
                await approach.get_by_id(row.id)
            elif roll < 0.8:
                await approach.get_by_token(row.token)
            elif roll < 0.9:
                approach.rows.append(await approach.insert(token_row()))
            else:
                await approach.update(replace(row, updated_at=row.updated_at + 1))

    start = time.perf_counter()
    await asyncio.gather(*(task(i) for i in range(MIX_TASKS)))
    return MIX_TASKS * MIX_OPS / (time.perf_counter() - start)


async def run(
    rounds: int, n: int, names: tuple[str, ...], ops: tuple[str, ...] = OPS
) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {name: {op: [] for op in ops} for name in names}
    # Reads, update, delete and the mix need rows: insert always runs first.
    steps = tuple(op for op in OPS if op in ops or op == "insert")
    with tempfile.TemporaryDirectory(prefix="storegen-bench-") as tmp:
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            if r % 2:
                order = order[::-1]
            for name in order:
                path = Path(tmp) / f"{name}-{r}.db"
                await _prepare(path)
                approach = CLASSES[name](path)
                await approach.open()
                try:
                    gc.collect()
                    for op in steps:
                        # The seed pattern and the ORM are slow: fewer calls, same ops/s.
                        calls = n if name not in ("seed", "sqlalchemy") else max(50, n // 4)
                        rate = await measure(approach, op, calls)
                        if op in ops:
                            results[name][op].append(rate)
                finally:
                    await approach.close()
    return results


def format_table(results: dict[str, dict[str, list[float]]], title: str) -> str:
    names = list(results)
    lines = [f"### {title}", ""]
    lines.append("| operation | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    for op in next(iter(results.values())):
        base = statistics.median(results["hand"][op]) if "hand" in results else None
        cells = []
        for name in names:
            values = results[name][op]
            med = statistics.median(values)
            ratio = f" **{med / base:.2f}×**" if base else ""
            cells.append(f"{med:,.0f} ({min(values):,.0f}–{max(values):,.0f}){ratio}")
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "ops/s, median (min–max) over the rounds; **ratio** to hand-optimized aiosqlite. "
        f"insert_many counts rows/s ({MANY_ROWS:,} rows per call; seed and sqlalchemy "
        f"{MANY_ROWS // 10:,}). mix32 = {MIX_TASKS} tasks × {MIX_OPS} calls."
    )
    return "\n".join(lines)


def pin_to_one_cpu() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pin", action="store_true", help="pin the process to one CPU")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=400, help="calls per operation and round")
    parser.add_argument(
        "--ops", default=",".join(OPS), help="comma-separated subset of " + ",".join(OPS)
    )
    parser.add_argument(
        "--approaches",
        default=",".join(APPROACHES),
        help="comma-separated subset of " + ",".join(APPROACHES),
    )
    args = parser.parse_args(argv)
    ops = tuple(op for op in OPS if op in args.ops.split(","))
    unknown = set(args.ops.split(",")) - set(OPS)
    if unknown or not ops:
        parser.error(f"--ops: unknown {sorted(unknown)}; choose from {', '.join(OPS)}")
    title = "unpinned"
    if args.pin:
        title = f"pinned to CPU {pin_to_one_cpu()}"
    wanted = args.approaches.split(",")
    names = tuple(name for name in APPROACHES if name in CLASSES and name in wanted)
    if not names:
        parser.error(f"--approaches: choose from {', '.join(CLASSES)}")
    start = time.perf_counter()
    results = asyncio.run(run(args.rounds, args.n, names, ops))
    table = format_table(
        results, f"{title}, {args.rounds} rounds, {time.perf_counter() - start:.0f} s"
    )
    print(table, flush=True)
    return table


if __name__ == "__main__":
    main()
