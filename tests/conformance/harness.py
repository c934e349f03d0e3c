"""Backend harnesses: how the conformance suite opens a database per backend.

The tests in this package never name a backend. Each test gets a fresh,
EMPTY database with the schema created (fixture `db`) and the store classes
of one backend module bound to it (fixture `stores`), once per harness in
`HARNESSES`.

Adding a backend
================
Nothing to write when its driver is known: harnesses are built from the
backends configured in pyproject.toml ([tool.storegen] backends) and the
driver each manifest names (`DRIVER_HARNESSES` at the bottom of this file:
aiosqlite, libsql-client over WS and HTTP, a libsql-experimental
embedded replica, asyncpg). A backend scaffolded
with `storegen new-backend mine --from aiosqlite` runs every test here, as
`mine`, once it is configured and generated.

A new driver needs one `DriverHarness`: an opener factory (given the
generated module name, returns an async context manager yielding a fresh,
EMPTY database with the schema created), a raw-SQL runner and a classifier.
`open_database(ctx)` gets a `BackendContext`: `ctx.tmp_path` for file
backends, and `ctx.request.getfixturevalue("sqld")` (or "postgres_server")
for a server fixture (see tests/conftest.py). The object it yields is what
the backend's store constructors accept: stores are built as
`getattr(module, "OAuthClientStore")(db)`. Pass `reopen=` when a second,
independent connection to the same database can be opened (that enables
the cross-connection tests). A configured backend whose driver has no
entry gets harnesses that FAIL, naming the driver, never a silent skip.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from generated._runtime.errors import Failure, classify_sqlite_error
from storegen.backends.manifest import Backend, load_backend
from storegen.config import load_options
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

REPO = Path(__file__).resolve().parents[2]

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
        sync: the module's stores are sync; `load_module()` gives them awaitable
            methods, each task on a thread of its own (harness_sync.py).
    """

    name: str
    module: str
    open_database: OpenDatabase
    execute_raw: Callable[[Database, str], Awaitable[object]]
    classify: Callable[[BaseException, str], Failure]
    reopen: ReopenDatabase | None = None
    sync: bool = False

    @property
    def supports_cross_process(self) -> bool:
        """Whether a second connection (or process) can open the same database."""
        return self.reopen is not None

    def load_module(self) -> ModuleType:
        """The store classes the tests bind (a sync module's, seen as async)."""
        if self.sync:
            return sync_module(self.module)
        return importlib.import_module(self.module)

    def real_module(self) -> ModuleType:
        """The generated module itself, for tests of the classes' shape."""
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
async def _open_aiosqlite_migrated(ctx: BackendContext) -> AsyncIterator[Database]:
    """A database built by the committed migrations (0001, 0002, ...), not by
    create_schema: the current stores must pass the suite on what `migrate()`
    makes of an empty file, as on a user's database brought along."""
    from generated.aiosqlite import SqliteDatabase
    from generated.migrations import migrate

    db = SqliteDatabase(str(ctx.tmp_path / "migrated.db"), synchronous="OFF")
    try:
        assert await migrate(db), "no migration applied"
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


# ------------------------------------------------------------------ the registry
#
# Harnesses are built from the CONFIGURED backends ([tool.storegen] backends in
# pyproject.toml): each backend's manifest names its driver, and each driver
# has one or more "database openers" below. A backend added as a template
# folder (e.g. scaffolded with `storegen new-backend mine --from aiosqlite`)
# runs the whole suite as soon as it is configured and generated, with no
# test written; a new driver needs one DriverHarness entry here.


@dataclass(frozen=True)
class DriverHarness:
    """How to open, poke and classify a database of one driver.

    `make_opener(module)` gets the generated module (e.g. "generated.postgres")
    and returns the `open_database` of the harness, so openers can use the
    module's own `create_schema` when its DDL differs from the common one.
    """

    suffix: str
    make_opener: Callable[[str], OpenDatabase]
    execute_raw: Callable[[Database, str], Awaitable[object]]
    classify: Callable[[BaseException, str], Failure]
    reopen: ReopenDatabase | None = None
    sync: bool = False


from .harness_libsql import (  # noqa: E402
    libsql_classify,
    libsql_execute_raw,
    open_libsql_http,
    open_libsql_ws,
    reopen_libsql,
)
from .harness_replica import open_replica, reopen_replica  # noqa: E402
from .harness_sync import (  # noqa: E402
    postgres_sync_execute_raw,
    postgres_sync_opener,
    psycopg_classify,
    reopen_postgres_sync,
    reopen_sqlite3,
    sqlite3_execute_raw,
    sqlite3_opener,
    sync_module,
)
from .harness_postgres import (  # noqa: E402
    postgres_classify,
    postgres_execute_raw,
    postgres_opener,
    reopen_postgres,
)

DRIVER_HARNESSES: dict[str, list[DriverHarness]] = {
    "aiosqlite": [
        DriverHarness(
            "", lambda module: _open_aiosqlite, _aiosqlite_execute_raw, _classify_sqlite,
            _reopen_aiosqlite,
        ),
    ],
    "libsql-client": [
        DriverHarness(
            "-ws", lambda module: open_libsql_ws, libsql_execute_raw, libsql_classify,
            reopen_libsql,
        ),
        DriverHarness(
            "-http", lambda module: open_libsql_http, libsql_execute_raw, libsql_classify,
            reopen_libsql,
        ),
    ],
    "libsql-experimental": [
        DriverHarness(
            "", lambda module: open_replica, libsql_execute_raw, libsql_classify, reopen_replica
        ),
    ],
    "asyncpg": [
        DriverHarness(
            "", postgres_opener, postgres_execute_raw, postgres_classify, reopen_postgres
        ),
    ],
    "sqlite3": [
        DriverHarness(
            "", sqlite3_opener, sqlite3_execute_raw, _classify_sqlite, reopen_sqlite3, sync=True
        ),
    ],
    "psycopg": [
        DriverHarness(
            "", postgres_sync_opener, postgres_sync_execute_raw, psycopg_classify,
            reopen_postgres_sync, sync=True,
        ),
    ],
}  # fmt: skip


def _no_opener(driver: str, backend: str) -> OpenDatabase:
    def open_database(ctx: BackendContext) -> AbstractAsyncContextManager[Database]:
        pytest.fail(
            f"backend {backend!r} uses driver {driver!r}, which has no database opener: "
            "add a DriverHarness for it to DRIVER_HARNESSES in tests/conformance/harness.py",
            pytrace=False,
        )

    return open_database


async def _raw_unsupported(db: Database, sql: str) -> object:
    raise NotImplementedError


def harnesses_for(backends: Iterable[Backend], package: str) -> list[BackendHarness]:
    """One harness per (backend, driver opener); an unknown driver gets a failing one."""
    harnesses: list[BackendHarness] = []
    for backend in backends:
        module = f"{package}.{backend.module}"
        variants = DRIVER_HARNESSES.get(backend.driver)
        if not variants:
            harnesses.append(
                BackendHarness(
                    name=backend.name,
                    module=module,
                    open_database=_no_opener(backend.driver, backend.name),
                    execute_raw=_raw_unsupported,
                    classify=_classify_sqlite,
                )
            )
            continue
        for variant in variants:
            harnesses.append(
                BackendHarness(
                    name=f"{backend.name}{variant.suffix}",
                    module=module,
                    open_database=variant.make_opener(module),
                    execute_raw=variant.execute_raw,
                    classify=variant.classify,
                    reopen=variant.reopen,
                    sync=variant.sync,
                )
            )
    return harnesses


def configured_harnesses(config: Path = REPO / "pyproject.toml") -> list[BackendHarness]:
    """The harnesses of every backend configured in `config` ([tool.storegen] backends)."""
    options = load_options(config, config.parent)
    backends = [load_backend(name, options.templates) for name in options.backends]
    return harnesses_for(backends, options.package)


HARNESSES: list[BackendHarness] = [
    *configured_harnesses(),
    # The repo's aiosqlite stores once more, on a database the migrations built.
    BackendHarness(
        name="aiosqlite-migrated",
        module="generated.aiosqlite",
        open_database=_open_aiosqlite_migrated,
        execute_raw=_aiosqlite_execute_raw,
        classify=_classify_sqlite,
        reopen=_reopen_aiosqlite,
    ),
]
