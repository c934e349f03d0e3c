"""Apply the package's embedded migrations to a database, once each, safely.

The generated package carries its migrations as text, so an application
brings its database forward at start-up without storegen installed:

* each migration runs in its own transaction and is recorded in
  `storegen_migrations` (name, sha256 checksum, applied_at) in that same
  transaction, so a crash leaves it wholly applied or not at all;
* a migration marked `foreign_keys_off` (SQLite's table rebuild) runs with
  foreign keys off from before BEGIN to after COMMIT, and
  `PRAGMA foreign_key_check` must come back empty before COMMIT;
* concurrent migrators (tasks or processes) serialise on BEGIN IMMEDIATE
  (SQLite, sqld) or an advisory lock (PostgreSQL), and each re-reads the
  records under the lock, so every migration runs exactly once;
* it refuses (MigrationError) when an applied migration's text changed, or
  the database holds migrations this code does not know (it is newer);
* a database made by `create_schema` (no records table) is adopted: its
  schema is compared with the schema after each migration step, the last
  matching step is recorded as applied, and the rest run.

The database objects of every backend offer `migration_transaction()`,
`fetch_all()`, `execute()` and `sql_dialect`; nothing here imports a driver.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .libsql_urls import split_script
from .schema_info import (
    Description,
    describe_postgres,
    describe_sqlite,
    differences,
    replay_sqlite,
)

__all__ = [
    "RECORDS_TABLE",
    "Migration",
    "MigrationError",
    "MigrationTarget",
    "apply_migrations",
    "schema_drift",
]

_T = TypeVar("_T")
RECORDS_TABLE = "storegen_migrations"
_CREATE_RECORDS = (
    f"CREATE TABLE IF NOT EXISTS {RECORDS_TABLE} (name TEXT PRIMARY KEY, "
    "checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """One numbered migration file, embedded as text."""

    name: str
    sql: str
    foreign_keys_off: bool = False

    @property
    def checksum(self) -> str:
        """sha256 of the text as embedded: an edit after release is detected."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


class MigrationError(Exception):
    """The database cannot be migrated safely; the message says why and names names."""


class MigrationTarget(Protocol):
    """What `apply_migrations` needs of a database object (every backend has it)."""

    @property
    def sql_dialect(self) -> str:
        """ "sqlite" (SQLite files and libSQL servers) or "postgres"."""

    def migration_transaction(
        self, *, foreign_keys_off: bool = False
    ) -> AbstractAsyncContextManager[None]:
        """A locked transaction: BEGIN IMMEDIATE, or PostgreSQL's advisory lock."""

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """The store-level transaction (used for a rolled-back savepoint on PostgreSQL)."""

    async def fetch_all(self, sql: str, params: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """Every row of a query."""

    async def execute(self, sql: str, params: Sequence[Any]) -> int:
        """Run one statement."""


class _Rollback(Exception):
    """Leaves a transaction block so that everything it did is rolled back."""


async def apply_migrations(
    db: MigrationTarget,
    migrations: Sequence[Migration],
    *,
    lock_timeout: float = 600.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[str]:
    """Apply the pending migrations in order; the names of those this call ran.

    Safe to call at every start and from several processes at once. While
    another migrator holds the lock longer than the driver waits (SQLite's
    busy timeout, sqld's SQLITE_BUSY), the step is retried for up to
    `lock_timeout` seconds: a step is one transaction, so a retry repeats nothing.
    `sleep` waits between retries (the sync `migrate` passes a blocking one:
    runtime/sync_bridge.py drives this same coroutine without an event loop).
    """
    _check_sequence(migrations)
    deadline = time.monotonic() + lock_timeout
    records = await _retry_locked(deadline, sleep, lambda: _prepare(db, migrations))
    ran: list[str] = []
    for migration in migrations:
        if migration.name not in records:
            if await _retry_locked(deadline, sleep, lambda: _apply_one(db, migrations, migration)):
                _log.info("applied migration %s", migration.name)
                ran.append(migration.name)
    return ran


async def _prepare(db: MigrationTarget, migrations: Sequence[Migration]) -> dict[str, str]:
    """Create the records table (adopting a create_schema database); check the records."""
    dialect = db.sql_dialect
    async with db.migration_transaction():
        records = await _read_records(db, dialect)
        if records is None:
            adopted = await _adopt(db, dialect, migrations)
            await db.execute(_CREATE_RECORDS, ())
            for migration in adopted:
                await _record(db, dialect, migration)
            records = {m.name: m.checksum for m in adopted}
        _verify(records, migrations)
    return records


async def _apply_one(
    db: MigrationTarget, migrations: Sequence[Migration], migration: Migration
) -> bool:
    """Run and record one migration in one locked transaction; False if already applied."""
    dialect = db.sql_dialect
    async with db.migration_transaction(foreign_keys_off=migration.foreign_keys_off):
        records = await _read_records(db, dialect) or {}
        _verify(records, migrations)
        if migration.name in records:  # another migrator ran it while we waited
            return False
        await _run(db, dialect, migration)
        await _record(db, dialect, migration)
    return True


async def _retry_locked(
    deadline: float, sleep: Callable[[float], Awaitable[None]], step: Callable[[], Awaitable[_T]]
) -> _T:
    """Run `step` again while the database is locked by another migrator."""
    pause = 0.01
    while True:
        try:
            return await step()
        except Exception as exc:
            if not _is_locked(exc) or time.monotonic() + pause > deadline:
                raise
        await sleep(pause)
        pause = min(pause * 2, 0.5)


def _is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" / SQLITE_BUSY, from any driver, also as a cause."""
    while exc is not None:
        text = f"{getattr(exc, 'code', '')} {exc}".upper()
        if "SQLITE_BUSY" in text or "DATABASE IS LOCKED" in text:
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


async def schema_drift(db: MigrationTarget, expected_ddl: str) -> list[str]:
    """How the live database differs from `expected_ddl`, one line each; [] when in sync."""
    if db.sql_dialect == "postgres":
        live = await describe_postgres(db.fetch_all)
        (expected,) = await _replay_postgres(db, [expected_ddl])
    else:
        live = await describe_sqlite(db.fetch_all)
        (expected,) = replay_sqlite([expected_ddl])
    return differences(live, expected)


def _check_sequence(migrations: Sequence[Migration]) -> None:
    names = [m.name for m in migrations]
    if len(set(names)) != len(names):
        raise MigrationError(f"duplicate migration names: {', '.join(sorted(names))}")
    if names != sorted(names):
        raise MigrationError(f"migrations are not in name order: {', '.join(names)}")


def _verify(records: dict[str, str], migrations: Sequence[Migration]) -> None:
    """Refuse a database whose records this code cannot continue from."""
    known = {m.name: m for m in migrations}
    unknown = sorted(name for name in records if name not in known)
    if unknown:
        raise MigrationError(
            "the database is newer than this code: it has migrations this package does "
            f"not know: {', '.join(unknown)}. Deploy the newer code."
        )
    changed = sorted(n for n, checksum in records.items() if known[n].checksum != checksum)
    if changed:
        raise MigrationError(
            f"applied migrations were edited afterwards (checksum differs): {', '.join(changed)}. "
            "Restore their text and put the change in a new migration."
        )
    seen_gap = None
    for migration in migrations:
        if migration.name not in records:
            seen_gap = seen_gap or migration.name
        elif seen_gap is not None:
            raise MigrationError(
                f"migration {migration.name} is applied but the earlier {seen_gap} is not"
            )


async def _read_records(db: MigrationTarget, dialect: str) -> dict[str, str] | None:
    """name -> checksum of the applied migrations; None when the table is missing."""
    if dialect == "postgres":
        exists = await db.fetch_all(f"SELECT to_regclass('{RECORDS_TABLE}') IS NOT NULL", ())
        present = bool(exists[0][0])
    else:
        exists = await db.fetch_all(
            f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{RECORDS_TABLE}'", ()
        )
        present = bool(exists)
    if not present:
        return None
    rows = await db.fetch_all(f"SELECT name, checksum FROM {RECORDS_TABLE}", ())
    return {str(name): str(checksum) for name, checksum in rows}


async def _record(db: MigrationTarget, dialect: str, migration: Migration) -> None:
    marks = "$1, $2, $3" if dialect == "postgres" else "?, ?, ?"
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    await db.execute(
        f"INSERT INTO {RECORDS_TABLE} (name, checksum, applied_at) VALUES ({marks})",
        (migration.name, migration.checksum, now),
    )


async def _run(db: MigrationTarget, dialect: str, migration: Migration) -> None:
    """Run one migration's statements inside the open transaction."""
    if not split_script(migration.sql):
        return  # comments only (e.g. a catch-up file of a backend added later)
    try:
        if dialect == "postgres":
            await db.execute(migration.sql, ())  # simple protocol: many statements at once
            return
        for statement in split_script(migration.sql):
            await db.execute(statement, ())
        if migration.foreign_keys_off:
            broken = await db.fetch_all("PRAGMA foreign_key_check", ())
            if broken:
                tables = sorted({str(row[0]) for row in broken})
                raise MigrationError(
                    f"migration {migration.name} leaves rows whose foreign keys point "
                    f"nowhere in: {', '.join(tables)}; nothing was changed"
                )
    except MigrationError:
        raise
    except Exception as exc:
        _log.error("migration %s failed; rolled back", migration.name, exc_info=True)
        raise MigrationError(
            f"migration {migration.name} failed and was rolled back: {type(exc).__name__}"
        ) from exc


async def _adopt(
    db: MigrationTarget, dialect: str, migrations: Sequence[Migration]
) -> list[Migration]:
    """The migrations a database without records already reflects.

    An empty database reflects none. Otherwise the last step whose resulting
    schema equals the live one wins; no match is a MigrationError listing how
    the live schema differs from the closest step.
    """
    if dialect == "postgres":
        live = await describe_postgres(db.fetch_all)
    else:
        live = await describe_sqlite(db.fetch_all)
    if not live:
        return []
    scripts = [m.sql for m in migrations]
    if dialect == "postgres":
        steps = await _replay_postgres(db, scripts)
    else:
        steps = replay_sqlite(scripts)
    for count in range(len(steps), 0, -1):
        if not differences(live, steps[count - 1]):
            _log.info("adopted a database at migration %s", migrations[count - 1].name)
            return list(migrations[:count])
    if not steps:
        raise MigrationError("the database has tables but there are no migrations to adopt it")
    closest = min(range(len(steps)), key=lambda i: (len(differences(live, steps[i])), -i))
    lines = differences(live, steps[closest])
    raise MigrationError(
        "the database was not made by these migrations (no storegen_migrations table, and "
        f"its schema matches no migration step); closest is {migrations[closest].name}, "
        "which differs in:\n  " + "\n  ".join(lines)
    )


async def _replay_postgres(db: MigrationTarget, scripts: Sequence[str]) -> list[Description]:
    """Run scripts in a scratch schema inside a rolled-back savepoint; the schema after each."""
    scratch = f"storegen_replay_{uuid.uuid4().hex[:12]}"
    steps: list[Description] = []
    try:
        async with db.transaction():
            await db.execute(f'CREATE SCHEMA "{scratch}"', ())
            await db.execute(f'SET LOCAL search_path TO "{scratch}"', ())
            for script in scripts:
                await db.execute(script, ())
                steps.append(await describe_postgres(db.fetch_all))
            raise _Rollback
    except _Rollback:
        pass
    return steps
