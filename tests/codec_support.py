"""Value codecs on every backend: generate a small package, open each backend's database.

The codec tests (datetimes, JSON) generate their own schema with every
backend, then run the same calls against aiosqlite (a file), libSQL over
WebSocket and HTTP (the session's sqld), an embedded replica of that sqld,
and PostgreSQL (the session's server). Each database starts empty of the
test's tables.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))
from _support import forget_package, options_for, write_package  # noqa: E402

from conformance.harness_sync import AsyncDb, SyncModule, in_task_thread  # noqa: E402
from storegen import generate  # noqa: E402

BACKENDS = (
    "aiosqlite", "libsql-ws", "libsql-http", "libsql_replica", "postgres", "sqlite3",
    "postgres_sync",
)  # fmt: skip
SYNC_BACKENDS = ("sqlite3", "postgres_sync")  # seen as async (conformance/harness_sync.py)
TIMEOUT_S = 15.0


def build_package(
    tmp_path: Path, package: str, schema: str, queries: str = "", **config: Any
) -> ModuleType:
    """Generate `schema` (+ named `queries`) with every backend, write it, import it."""
    schema_file = tmp_path / f"{package}.sql"
    schema_file.write_text(schema, encoding="utf-8")
    extra: dict[str, Any] = {
        "backends": [
            "aiosqlite",
            "libsql",
            "libsql_replica",
            "postgres",
            "sqlite3",
            "postgres_sync",
        ]
    }
    if queries:
        (tmp_path / f"{package}_queries.sql").write_text(queries, encoding="utf-8")
        extra["queries"] = [f"{package}_queries.sql"]
    generation = generate(options_for(tmp_path, [schema_file], package, **extra, **config))
    out = tmp_path / "out"
    write_package(generation.files, out, package)
    forget_package(package)
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(out))


def module(package: ModuleType, backend: str) -> ModuleType:
    """The backend module holding the stores (`libsql-ws` and `libsql-http` share one)."""
    name = "libsql" if backend.startswith("libsql-") else backend
    real = importlib.import_module(f"{package.__name__}.{name}")
    return SyncModule(real) if backend in SYNC_BACKENDS else real


@asynccontextmanager
async def open_backend(
    package: ModuleType, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Any]:
    """A database of `backend` with the package's schema created and its tables empty."""
    tables = [t for t in package.SCHEMA_STATEMENTS if t.lstrip().upper().startswith("CREATE TABLE")]
    names = [t.split("(")[0].split()[-1] for t in tables]
    if backend in SYNC_BACKENDS:
        real = importlib.import_module(f"{package.__name__}.{backend}")
        if backend == "sqlite3":
            db = AsyncDb(real.SyncSqliteDatabase(str(tmp_path / f"{backend}.db")))
        else:
            server = request.getfixturevalue("postgres_server")
            db = AsyncDb(real.SyncPostgresDatabase(server.url, timeout=TIMEOUT_S))
            await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        await in_task_thread(real.create_schema, db.sync_db)
    elif backend == "aiosqlite":
        db = module(package, backend).SqliteDatabase(str(tmp_path / f"{backend}.db"))
        await package.create_schema(db)
    elif backend == "postgres":
        server = request.getfixturevalue("postgres_server")
        db = await package.connect(server.url, timeout=TIMEOUT_S)
        await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        await module(package, backend).create_schema(db)
    else:
        sqld = request.getfixturevalue("sqld")
        url = {
            "libsql-ws": f"libsql://127.0.0.1:{sqld.hrana_port}?tls=0",
            "libsql-http": sqld.http_url,
            "libsql_replica": f"libsql://127.0.0.1:{sqld.http_port}?tls=0"
            f"&replica={tmp_path / 'replica.db'}",
        }[backend]
        db = await package.connect(url, timeout=TIMEOUT_S)
        drops = [f"DROP TABLE IF EXISTS {name}" for name in reversed(names)]
        await db.execute_script(";\n".join(drops))
        await package.create_schema(db)
    try:
        yield db
    finally:
        await db.close()
