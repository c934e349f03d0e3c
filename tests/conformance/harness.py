"""Backend harnesses: how the conformance suite opens a database per backend.

The tests in this package never name a backend. Each test gets a fresh,
EMPTY database with the schema created (fixture `db`) and the store classes
of one backend module bound to it (fixture `stores`), once per harness in
`HARNESSES`.

Adding a backend
================
Write an async context manager that yields a fresh database object with the
schema created, and a raw-SQL runner; then append ONE record at the bottom of
this file, e.g. for libSQL over WebSocket:

    HARNESSES.append(
        BackendHarness(
            name="libsql-ws", module="generated.libsql", open_database=_open_libsql_ws,
            execute_raw=_libsql_execute_raw, classify=_libsql_classify,
        )
    )

`open_database(ctx)` gets a `BackendContext`: `ctx.tmp_path` for file
backends, and `ctx.request.getfixturevalue("sqld")` for a server fixture
(see tests/conftest.py). The object it yields is what the backend's store
constructors accept: stores are built as `getattr(module, "OAuthClientStore")(db)`.
Pass `reopen=` when a second, independent connection to the same database
can be opened (that enables the cross-connection tests).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from generated._runtime.errors import Failure, classify_sqlite_error
from generated.contracts import (
    AccessTokenTable,
    AuditLogTable,
    AuthorizationCodeTable,
    ClientConfigTable,
    ClientTable,
    DeviceCodeTable,
    RefreshTokenTable,
    UserTable,
)
from generated.schema import create_schema

Database = Any
"""Whatever a backend's store constructors accept (SqliteDatabase, a client, ...)."""

OpenDatabase = Callable[["BackendContext"], AbstractAsyncContextManager[Database]]
ReopenDatabase = Callable[[Database], AbstractAsyncContextManager[Database]]


@dataclass(frozen=True)
class BackendContext:
    """What a harness may use to open a database for one test."""

    tmp_path: Path
    request: pytest.FixtureRequest


@dataclass(frozen=True)
class BackendHarness:
    """One backend under test.

    Attributes:
        name: test id, e.g. "aiosqlite" or "libsql-http".
        module: the generated module holding the store classes.
        open_database: yields a fresh, empty database with the schema created.
        execute_raw: runs one SQL statement outside the stores (raises on error).
        classify: maps what `execute_raw` raised to the runtime's `Failure`.
        reopen: opens a second, independent connection to the same database.
    """

    name: str
    module: str
    open_database: OpenDatabase
    execute_raw: Callable[[Database, str], Awaitable[object]]
    classify: Callable[[BaseException, str], Failure]
    reopen: ReopenDatabase | None = None

    @property
    def supports_cross_process(self) -> bool:
        """Whether a second connection (or process) can open the same database."""
        return self.reopen is not None

    def load_module(self) -> ModuleType:
        return importlib.import_module(self.module)


@dataclass(frozen=True)
class Stores:
    """Every store of one backend, bound to one database, typed by its contract."""

    clients: ClientTable
    client_configs: ClientConfigTable
    users: UserTable
    authorization_codes: AuthorizationCodeTable
    access_tokens: AccessTokenTable
    refresh_tokens: RefreshTokenTable
    device_codes: DeviceCodeTable
    audit_logs: AuditLogTable

    @classmethod
    def bind(cls, module: ModuleType, db: Database) -> Stores:
        built = {attr: getattr(module, store)(db) for attr, store in STORE_CLASS_NAMES.items()}
        return cls(**built)

    def by_name(self, store: str) -> Any:
        """The store instance for a class name such as "AccessTokenStore"."""
        return getattr(self, _ATTR_BY_STORE[store])


STORE_CLASS_NAMES: dict[str, str] = {
    "clients": "OAuthClientStore",
    "client_configs": "OAuthClientConfigStore",
    "users": "OAuthUserStore",
    "authorization_codes": "AuthorizationCodeStore",
    "access_tokens": "AccessTokenStore",
    "refresh_tokens": "RefreshTokenStore",
    "device_codes": "DeviceCodeStore",
    "audit_logs": "AuditLogStore",
}
_ATTR_BY_STORE = {store: attr for attr, store in STORE_CLASS_NAMES.items()}
assert set(STORE_CLASS_NAMES) == {f.name for f in fields(Stores)}


# ------------------------------------------------------------------ aiosqlite


@asynccontextmanager
async def _open_aiosqlite(ctx: BackendContext) -> AsyncIterator[Database]:
    from generated.aiosqlite import SqliteDatabase

    # No fsync: durability is not under test here, and under load fsyncs would
    # dominate the suite's run time (tests/test_aiosqlite_store.py keeps FULL).
    db = SqliteDatabase(str(ctx.tmp_path / "conformance.db"), synchronous="OFF")
    try:
        await create_schema(db)
        yield db
    finally:
        await db.close()


@asynccontextmanager
async def _reopen_aiosqlite(db: Database) -> AsyncIterator[Database]:
    from generated.aiosqlite import SqliteDatabase

    other = SqliteDatabase(db.path)  # not .shared(): its own connection
    try:
        yield other
    finally:
        await other.close()


async def _aiosqlite_execute_raw(db: Database, sql: str) -> object:
    return await db.execute(sql, ())


def _classify_sqlite(exc: BaseException, table: str) -> Failure:
    return classify_sqlite_error(exc, table)


HARNESSES: list[BackendHarness] = [
    BackendHarness(
        name="aiosqlite",
        module="generated.aiosqlite",
        open_database=_open_aiosqlite,
        execute_raw=_aiosqlite_execute_raw,
        classify=_classify_sqlite,
        reopen=_reopen_aiosqlite,
    ),
]


# ------------------------------------------------------------------ libSQL (a real sqld)

from .harness_libsql import (  # noqa: E402
    libsql_classify,
    libsql_execute_raw,
    open_libsql_http,
    open_libsql_ws,
    reopen_libsql,
)

HARNESSES += [
    BackendHarness(
        name="libsql-ws",
        module="generated.libsql",
        open_database=open_libsql_ws,
        execute_raw=libsql_execute_raw,
        classify=libsql_classify,
        reopen=reopen_libsql,
    ),
    BackendHarness(
        name="libsql-http",
        module="generated.libsql",
        open_database=open_libsql_http,
        execute_raw=libsql_execute_raw,
        classify=libsql_classify,
        reopen=reopen_libsql,
    ),
]
