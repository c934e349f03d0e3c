"""Sync `migrate` and `schema_drift`: the async migration plan, driven without a loop.

`migrate.py` holds the one migration plan (records, checksums, adoption,
foreign keys off for a rebuild, retries while another migrator holds the
lock). Its coroutines only await the database object's calls. Given a sync
database wrapped in `AsyncView`, whose awaitables finish at once, a
coroutine never suspends, and `run_now` drives it to the end on the calling
thread: no event loop (so it works inside a running one too, e.g. a notebook),
and no second copy of the plan.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

from .database import SyncDatabase
from .migrate import Migration, apply_migrations
from .migrate import schema_drift as _schema_drift

__all__ = ["AsyncView", "migrate_sync", "run_now", "schema_drift_sync"]

_T = TypeVar("_T")


def run_now(coro: Awaitable[_T]) -> _T:
    """The result of a coroutine that never suspends; RuntimeError if it does."""
    it = coro.__await__()
    try:
        next(it)
    except StopIteration as done:
        result: _T = done.value
        return result
    if isinstance(coro, Coroutine):
        coro.close()
    raise RuntimeError("a sync call awaited something that does not finish at once")


class _AsyncBlock(AbstractAsyncContextManager[None]):
    """A sync context manager behind `async with` (entered and left on this thread)."""

    def __init__(self, block: AbstractContextManager[None]) -> None:
        self._block = block

    async def __aenter__(self) -> None:
        self._block.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return self._block.__exit__(exc_type, exc, tb)


class AsyncView:
    """A sync database seen through the async MigrationTarget interface."""

    def __init__(self, db: SyncDatabase) -> None:
        self._db = db

    @property
    def sql_dialect(self) -> str:
        return self._db.sql_dialect

    def migration_transaction(
        self, *, foreign_keys_off: bool = False
    ) -> AbstractAsyncContextManager[None]:
        return _AsyncBlock(self._db.migration_transaction(foreign_keys_off=foreign_keys_off))

    def transaction(self) -> AbstractAsyncContextManager[None]:
        return _AsyncBlock(self._db.transaction())

    async def fetch_all(self, sql: str, params: Sequence[Any]) -> Sequence[Sequence[Any]]:
        return self._db.fetch_all(sql, params)

    async def execute(self, sql: str, params: Sequence[Any]) -> int:
        return self._db.execute(sql, params)


async def _blocking_sleep(seconds: float) -> None:
    time.sleep(seconds)  # a sync caller waits on its own thread


def migrate_sync(db: SyncDatabase, migrations: Sequence[Migration]) -> list[str]:
    """`apply_migrations` on a sync database; the names of those applied."""
    return run_now(apply_migrations(AsyncView(db), migrations, sleep=_blocking_sleep))


def schema_drift_sync(db: SyncDatabase, expected_ddl: str) -> list[str]:
    """How the live database differs from `expected_ddl`, one line each."""
    return run_now(_schema_drift(AsyncView(db), expected_ddl))
