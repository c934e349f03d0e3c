"""Sync backends under the (async) conformance suite: one suite, no second copy.

A sync store's unit of ownership is a THREAD (its transaction belongs to the
thread that opened it; other threads wait), where an async store's is a
TASK. So the adapter maps each asyncio task to a thread of its own: every
call a task makes runs, blocking, on that task's thread, and the task awaits
it without blocking the loop. A test that runs two tasks side by side thus
runs two threads against one sync database object, and the suite's
assertions about tasks (another task never runs inside my transaction, it
waits or sees the committed state) test the sync engine's thread model.

`SyncModule` gives the suite what it expects of a backend module: store
classes built from the database object the harness yields, with awaitable
methods. Each wraps the REAL sync store class of the generated module; the
shape tests (test_contracts) look at the real classes (`harness.sync`).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, TypeVar

_T = TypeVar("_T")
_REPLACE = re.compile(r"^\s*REPLACE\s+INTO\b", re.IGNORECASE)
_THREADS: dict[asyncio.Task[Any], ThreadPoolExecutor] = {}


async def in_task_thread(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run `fn` on the current task's own thread (made on first use, ended with the task)."""
    task = asyncio.current_task()
    assert task is not None
    pool = _THREADS.get(task)
    if pool is None:
        pool = _THREADS[task] = ThreadPoolExecutor(1, thread_name_prefix="sync-harness")

        def ended(done: asyncio.Task[Any], pool: ThreadPoolExecutor = pool) -> None:
            _THREADS.pop(done, None)
            pool.shutdown(wait=False)

        task.add_done_callback(ended)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, partial(fn, *args, **kwargs))


class _Block:
    """`async with` over a sync `with` block, entered and left on the task's thread."""

    def __init__(self, block: Any) -> None:
        self._block = block

    async def __aenter__(self) -> None:
        await in_task_thread(self._block.__enter__)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        result: bool | None = await in_task_thread(self._block.__exit__, exc_type, exc, tb)
        return result


class AsyncDb:
    """A sync database object seen through the async Database interface."""

    def __init__(self, sync_db: Any) -> None:
        self.sync_db = sync_db

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.sync_db, name)
        if not callable(value) or name in ("classify_error",):
            return value

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await in_task_thread(value, *args, **kwargs)

        return call

    def transaction(self) -> AbstractAsyncContextManager[None]:
        return _Block(self.sync_db.transaction())

    def migration_transaction(
        self, *, foreign_keys_off: bool = False
    ) -> AbstractAsyncContextManager[None]:
        return _Block(self.sync_db.migration_transaction(foreign_keys_off=foreign_keys_off))


def _async_store(sync_cls: type) -> type:
    """A class with the sync store's public methods, awaitable, on the task's thread."""

    def __init__(self: Any, db: AsyncDb) -> None:
        self._inner = sync_cls(db.sync_db)
        self.db = db

    namespace: dict[str, Any] = {
        "__init__": __init__,
        "model": sync_cls.model,
        "table": sync_cls.table,
        "sync_class": sync_cls,
    }
    for name, member in inspect.getmembers(sync_cls, inspect.isfunction):
        if name.startswith("_"):
            continue

        def method(self: Any, *args: Any, _name: str = name, **kwargs: Any) -> Any:
            return in_task_thread(getattr(self._inner, _name), *args, **kwargs)

        method.__name__ = name
        namespace[name] = method
    return type(sync_cls.__name__, (), namespace)


class SyncModule(ModuleType):
    """A generated sync backend module, its store classes seen as async ones."""

    def __init__(self, real: ModuleType) -> None:
        super().__init__(real.__name__ + ":async-view")
        self.real = real
        self.__all__ = list(real.__all__)
        for name in real.__all__:
            value = getattr(real, name)
            if isinstance(value, type) and name.endswith("Store"):
                setattr(self, name, _async_store(value))


_MODULES: dict[str, SyncModule] = {}


def sync_module(name: str) -> SyncModule:
    view = _MODULES.get(name)
    if view is None:
        view = _MODULES[name] = SyncModule(importlib.import_module(name))
    return view


def sqlite3_opener(module: str) -> Callable[[Any], AbstractAsyncContextManager[AsyncDb]]:
    @asynccontextmanager
    async def open_database(ctx: Any) -> AsyncIterator[AsyncDb]:
        real = importlib.import_module(module)
        # No fsync, as for aiosqlite: durability is not under test here.
        db = AsyncDb(real.SyncSqliteDatabase(str(ctx.tmp_path / "sync.db"), synchronous="OFF"))
        try:
            await in_task_thread(real.create_schema, db.sync_db)
            yield db
        finally:
            await in_task_thread(db.sync_db.close)

    return open_database


@asynccontextmanager
async def reopen_sqlite3(db: AsyncDb) -> AsyncIterator[AsyncDb]:
    other = AsyncDb(type(db.sync_db)(Path(db.sync_db.path)))  # not .shared(): its own connections
    try:
        yield other
    finally:
        await in_task_thread(other.sync_db.close)


async def sqlite3_execute_raw(db: AsyncDb, sql: str) -> object:
    return await in_task_thread(db.sync_db.execute, sql, ())


def postgres_sync_opener(module: str) -> Callable[[Any], AbstractAsyncContextManager[AsyncDb]]:
    """The suite's PostgreSQL server, `public` recreated, then the module's create_schema."""

    @asynccontextmanager
    async def open_database(ctx: Any) -> AsyncIterator[AsyncDb]:
        real = importlib.import_module(module)
        server = ctx.request.getfixturevalue("postgres_server")
        db = AsyncDb(real.SyncPostgresDatabase(server.url, timeout=10.0))  # not .shared()
        try:
            await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
            await in_task_thread(real.create_schema, db.sync_db)
            yield db
        finally:
            await in_task_thread(db.sync_db.close)

    return open_database


@asynccontextmanager
async def reopen_postgres_sync(db: AsyncDb) -> AsyncIterator[AsyncDb]:
    other = AsyncDb(type(db.sync_db)(db.sync_db.url, timeout=10.0))
    try:
        yield other
    finally:
        await in_task_thread(other.sync_db.close)


async def postgres_sync_execute_raw(db: AsyncDb, sql: str) -> object:
    """The suite's SQLite-flavoured statement; REPLACE INTO is a plain INSERT here."""
    return await in_task_thread(db.sync_db.execute, _REPLACE.sub("INSERT INTO", sql), ())


def psycopg_classify(exc: BaseException, table: str) -> Any:
    from generated._runtime.postgres_sync import classify_psycopg_error

    return classify_psycopg_error(exc, table)
