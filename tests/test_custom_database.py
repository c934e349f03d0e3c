"""A database object of the user's, written against the `Database` protocol, still serves every store.

`fetch_one_now` (SQLite's read without an await) is optional, outside the
protocol: a wrapper that does not offer it must get its point reads and
counts through `await fetch_one`, not a FailedResult.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from generated import OAuthUser
from generated.aiosqlite import OAuthUserStore, SqliteDatabase
from generated.schema import create_schema
from generated.results import SuccessResult


class LoggingDatabase:
    """What a user writes to log every read: the protocol's methods, nothing more."""

    def __init__(self, inner: SqliteDatabase) -> None:
        self._inner = inner
        self.reads: list[str] = []

    async def fetch_one(self, sql: str, params: Any) -> Any:
        self.reads.append(sql)
        return await self._inner.fetch_one(sql, params)

    def __getattr__(self, name: str) -> Any:
        if name == "fetch_one_now":
            raise AttributeError(name)  # the point of the test: this wrapper has none
        return getattr(self._inner, name)


def user(key: str) -> OAuthUser:
    return OAuthUser(
        id=key,
        external_id=f"ext-{key}",
        is_active=True,
        created_at=1,
        created_by="test",
        updated_at=1,
        updated_by="test",
    )


def test_point_reads_and_counts_work_without_fetch_one_now(tmp_path: Path) -> None:
    async def scenario() -> None:
        inner = SqliteDatabase(tmp_path / "custom.db")
        await create_schema(inner)
        db = LoggingDatabase(inner)
        assert not hasattr(db, "fetch_one_now")
        store = OAuthUserStore(db)  # type: ignore[arg-type]  # a duck-typed database
        assert isinstance(await store.insert(user("u1")), SuccessResult)

        found = await store.get_by_id("u1")
        assert isinstance(found, SuccessResult), found
        assert found.client_message == user("u1")
        missing = await store.get_by_id("nobody")
        assert missing.status is False and missing.error_code == "NOT_FOUND"
        counted = await store.count_all()
        assert isinstance(counted, SuccessResult) and counted.client_message == 1
        assert len(db.reads) == 3  # every read went through the wrapper's fetch_one
        await inner.close()

    asyncio.run(scenario())
