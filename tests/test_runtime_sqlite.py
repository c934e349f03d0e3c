"""The runtime copied into generated packages: real SQLite files, no mocks."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import sqlite3
import subprocess
import sys
import shutil
import textwrap
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parent.parent / "generator" / "runtime"


def load_runtime(name: str) -> None:
    """Import the runtime standalone, as generated packages get it (a copy)."""
    spec = importlib.util.spec_from_file_location(
        name, RUNTIME / "__init__.py", submodule_search_locations=[str(RUNTIME)]
    )
    assert spec is not None and spec.loader is not None
    sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules[name])


load_runtime("storegen_runtime_under_test")

from storegen_runtime_under_test.errors import (  # noqa: E402
    DecodeError,
    ErrorCode,
    Failure,
    classify_message,
    classify_sqlite_error,
    log_failure,
)
from storegen_runtime_under_test.sqlite import SqliteDatabase  # noqa: E402

SECRET = "s3cr3t-value"

SCHEMA = """
CREATE TABLE parents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    flag INTEGER NOT NULL DEFAULT 0 CHECK (flag IN (0, 1)),
    score INTEGER NOT NULL DEFAULT 1 CONSTRAINT score_positive CHECK (score > 0)
);
CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER NOT NULL REFERENCES parents (id),
    note TEXT
);
CREATE TABLE codes (code TEXT PRIMARY KEY);
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'append-only: audit'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'append-only: audit'); END;
"""


def worker_threads() -> set[threading.Thread]:
    """aiosqlite worker threads alive now (earlier tests' may still be exiting)."""
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "test.db")
    await database.execute_script(SCHEMA)
    yield database
    await database.close()


async def pragmas(db: SqliteDatabase) -> tuple[object, ...]:
    names = ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
    values = []
    for name in names:
        row = await db.fetch_one(f"PRAGMA {name}", [])
        assert row is not None
        values.append(row[0])
    return tuple(values)


async def test_pragmas_on_fresh_and_reopened_connection(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "a.db")
    assert await pragmas(db) == (1, "wal", 5000, 2)  # 2 = FULL
    await db.close()
    await db.close()  # idempotent
    assert await pragmas(db) == (1, "wal", 5000, 2)  # reopened on use
    await db.close()

    tuned = SqliteDatabase(tmp_path / "b.db", busy_timeout_ms=1234, synchronous="normal")
    assert await pragmas(tuned) == (1, "wal", 1234, 1)
    await tuned.close()
    assert await pragmas(tuned) == (1, "wal", 1234, 1)
    await tuned.close()


async def test_memory_database_is_private_and_has_foreign_keys() -> None:
    first = SqliteDatabase.shared(":memory:")
    second = SqliteDatabase.shared("sqlite:///:memory:")
    assert first is not second
    assert first.path == ":memory:"
    assert await first.fetch_one("PRAGMA foreign_keys", []) == (1,)
    await first.execute("CREATE TABLE t (x)", [])
    with pytest.raises(sqlite3.OperationalError):
        await second.fetch_all("SELECT x FROM t", [])
    await first.close()
    await second.close()


async def test_shared_one_instance_for_every_spelling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    absolute = str(tmp_path / "shared.db")
    spellings = [
        absolute,
        tmp_path / "shared.db",
        "shared.db",
        "sqlite:///shared.db",
        f"sqlite:///{absolute}",  # sqlite:////abs/path
        "file:shared.db",
        f"file://{absolute}",
    ]
    instances = [SqliteDatabase.shared(spelling) for spelling in spellings]
    assert all(instance is instances[0] for instance in instances)
    assert instances[0].path == os.path.realpath(absolute)

    await instances[1].execute("CREATE TABLE t (x)", [])
    await instances[3].execute("INSERT INTO t VALUES (1)", [])
    assert await instances[5].fetch_all("SELECT x FROM t", []) == [(1,)]
    assert instances[0]._conn is instances[6]._conn  # one connection
    await instances[0].close()

    with pytest.raises(ValueError):
        SqliteDatabase.shared(absolute, synchronous="OFF")
    with pytest.raises(ValueError):
        SqliteDatabase("file:shared.db?mode=ro")


async def test_concurrent_first_use_opens_once(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "a.db")
    before = worker_threads()
    results = await asyncio.gather(*(db.fetch_one("SELECT 1", []) for _ in range(20)))
    assert results == [(1,)] * 20
    assert len(worker_threads() - before) == 1
    await db.close()


def test_works_across_sequential_event_loops(tmp_path: Path) -> None:
    db = SqliteDatabase.shared(tmp_path / "loops.db")

    async def first() -> None:
        # Contended first use: the open lock is exercised in this loop.
        await asyncio.gather(
            db.execute("CREATE TABLE IF NOT EXISTS t (x)", []),
            db.fetch_one("SELECT 1", []),
        )
        await db.execute("INSERT INTO t VALUES (1)", [])

    async def second() -> list[tuple[object, ...]]:
        await db.execute("INSERT INTO t VALUES (2)", [])
        rows = await db.fetch_all("SELECT x FROM t ORDER BY x", [])
        await db.close()
        # Reopen under contention in this loop too.
        await asyncio.gather(*(db.fetch_one("SELECT 1", []) for _ in range(5)))
        return rows

    async def third() -> int:
        row = await db.fetch_one("SELECT count(*) FROM t", [])
        await db.close()
        assert row is not None
        return int(row[0])

    asyncio.run(first())
    assert asyncio.run(second()) == [(1,), (2,)]
    assert asyncio.run(third()) == 2


@pytest.mark.usefixtures("file_watch")
async def test_deleted_file_is_recreated_empty(tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    db = SqliteDatabase(path)
    await db.execute_script("CREATE TABLE t (x); INSERT INTO t VALUES ('old');")
    assert await db.fetch_all("SELECT x FROM t", []) == [("old",)]

    os.remove(path)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.fetch_all("SELECT x FROM t", [])
    assert path.exists()
    assert await db.fetch_all("SELECT name FROM sqlite_master", []) == []
    assert await pragmas(db) == (1, "wal", 5000, 2)
    await db.execute("CREATE TABLE u (y)", [])
    await db.close()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT name FROM sqlite_master").fetchall() == [("u",)]
    check.close()


@pytest.mark.usefixtures("file_watch")
async def test_replaced_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    db = SqliteDatabase(path)
    await db.execute_script("CREATE TABLE t (x); INSERT INTO t VALUES ('old');")

    other = tmp_path / "other.db"
    fresh = sqlite3.connect(other)
    fresh.executescript("CREATE TABLE t (x); INSERT INTO t VALUES ('new');")
    fresh.close()
    os.replace(other, path)

    assert await db.fetch_all("SELECT x FROM t", []) == [("new",)]
    assert await db.fetch_one("PRAGMA foreign_keys", []) == (1,)
    await db.execute("INSERT INTO t VALUES ('newer')", [])
    await db.close()
    check = sqlite3.connect(path)
    assert check.execute("SELECT x FROM t ORDER BY rowid").fetchall() == [
        ("new",),
        ("newer",),
    ]
    check.close()


async def test_execute_variants(db: SqliteDatabase) -> None:
    assert await db.execute("INSERT INTO parents (name) VALUES (?)", ["a"]) == 1
    row = await db.execute_returning(
        "INSERT INTO parents (name) VALUES (:name) RETURNING id, name", {"name": "b"}
    )
    assert row == (2, "b")
    assert await db.execute_returning("DELETE FROM parents WHERE id = ? RETURNING id", [99]) is None
    assert await db.execute("UPDATE parents SET flag = 1", []) == 2
    assert await db.fetch_one("SELECT name FROM parents WHERE id = ?", [42]) is None
    # RETURNING ran to completion: another connection sees the committed row.
    other = sqlite3.connect(db.path)
    assert other.execute("SELECT count(*) FROM parents").fetchone() == (2,)
    other.close()


async def test_execute_many_is_atomic(db: SqliteDatabase) -> None:
    sql = "INSERT INTO codes (code) VALUES (?)"
    assert await db.execute_many(sql, ([c] for c in ("a", "b", "c"))) == 3
    assert await db.execute_many(sql, []) == 0
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute_many(sql, [["d"], ["e"], ["a"]])  # "a" already exists
    rows = await db.fetch_all("SELECT code FROM codes ORDER BY code", [])
    assert rows == [("a",), ("b",), ("c",)]
    # No transaction was left open: another connection can write at once.
    other = sqlite3.connect(db.path, timeout=0)
    other.execute("INSERT INTO codes VALUES ('z')")
    other.commit()
    other.close()
    assert await db.execute_many(sql, [["d"]]) == 1


async def test_execute_script_is_atomic(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "s.db")
    with pytest.raises(sqlite3.OperationalError):
        await db.execute_script("CREATE TABLE ok (x); CREATE TABLE broken (;")
    assert await db.fetch_all("SELECT name FROM sqlite_master", []) == []
    with pytest.raises(sqlite3.OperationalError):
        await db.execute_script("CREATE TABLE ok (x); /* unterminated")
    assert await db.fetch_all("SELECT name FROM sqlite_master", []) == []
    await db.execute_script("CREATE TABLE ok (x) -- trailing comment")
    assert await db.fetch_all("SELECT name FROM sqlite_master", []) == [("ok",)]
    await db.close()


async def failure_of(
    db: SqliteDatabase, sql: str, params: list[object], operation: str = "insert"
) -> tuple[Failure, BaseException]:
    with pytest.raises(sqlite3.Error) as info:
        await db.execute(sql, params)
    table = sql.split()[2] if sql.startswith(("INSERT", "DELETE")) else sql.split()[1]
    failure = classify_sqlite_error(info.value, table, operation=operation)
    assert SECRET not in failure.message
    return failure, info.value


async def test_classify_integrity_errors(db: SqliteDatabase) -> None:
    await db.execute("INSERT INTO parents (id, name) VALUES (1, ?)", [SECRET])
    await db.execute("INSERT INTO children (parent_id) VALUES (1)", [])
    await db.execute("INSERT INTO codes VALUES (?)", [SECRET])
    await db.execute("INSERT INTO audit (what) VALUES (?)", [SECRET])

    cases: list[tuple[str, list[object], str, ErrorCode, str]] = [
        (
            "INSERT INTO parents (name) VALUES (?)",
            [SECRET],
            "insert",
            ErrorCode.ALREADY_EXISTS,
            "parents.name already exists",
        ),
        (
            "INSERT INTO parents (id, name) VALUES (1, ?)",
            [SECRET + "2"],
            "insert",
            ErrorCode.ALREADY_EXISTS,
            "parents.id already exists",
        ),
        (
            "INSERT INTO codes VALUES (?)",
            [SECRET],
            "insert",
            ErrorCode.ALREADY_EXISTS,
            "codes.code already exists",
        ),
        (
            "INSERT INTO parents (name) VALUES (?)",
            [None],
            "insert",
            ErrorCode.NOT_NULL_VIOLATION,
            "parents.name is required",
        ),
        (
            "INSERT INTO parents (name, flag) VALUES (?, 7)",
            [SECRET + "3"],
            "insert",
            ErrorCode.CHECK_VIOLATION,
            "a value in parents violates CHECK flag",
        ),
        (
            "INSERT INTO parents (name, score) VALUES (?, -1)",
            [SECRET + "4"],
            "insert",
            ErrorCode.CHECK_VIOLATION,
            "a value in parents violates CHECK score_positive",
        ),
        (
            "INSERT INTO children (parent_id, note) VALUES (99, ?)",
            [SECRET],
            "insert",
            ErrorCode.FOREIGN_KEY_VIOLATION,
            "children refers to a row that does not exist",
        ),
        (
            "DELETE FROM parents WHERE name = ?",
            [SECRET],
            "delete",
            ErrorCode.FOREIGN_KEY_VIOLATION,
            "a row in parents is still referred to by another row",
        ),
        (
            "UPDATE audit SET what = ?",
            [SECRET + "5"],
            "update",
            ErrorCode.APPEND_ONLY,
            "audit is append-only",
        ),
        (
            "DELETE FROM audit WHERE what = ?",
            [SECRET],
            "delete",
            ErrorCode.APPEND_ONLY,
            "audit is append-only",
        ),
    ]
    for sql, params, operation, code, message in cases:
        failure, _ = await failure_of(db, sql, params, operation)
        assert failure == Failure(code, message), sql


async def test_classify_composite_unique_and_without_rowid(
    db: SqliteDatabase,
) -> None:
    await db.execute_script(
        "CREATE TABLE pairs (a TEXT, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;"
    )
    await db.execute("INSERT INTO pairs VALUES (?, 'x')", [SECRET])
    failure, exc = await failure_of(db, "INSERT INTO pairs VALUES (?, 'x')", [SECRET])
    assert failure == Failure(ErrorCode.ALREADY_EXISTS, "pairs.(a, b) already exists")


def test_classify_message_generic_constraint_code() -> None:
    """A libSQL server only says SQLITE_CONSTRAINT; the text decides."""
    cases = {
        "UNIQUE constraint failed: t.c": (
            ErrorCode.ALREADY_EXISTS,
            "t.c already exists",
        ),
        "SQLite error: NOT NULL constraint failed: t.c": (
            ErrorCode.NOT_NULL_VIOLATION,
            "t.c is required",
        ),
        "CHECK constraint failed: length(c) > 0": (
            ErrorCode.CHECK_VIOLATION,
            "a value in t violates a CHECK constraint",
        ),
        "CHECK constraint failed: is_confidential IN (0,1)": (
            ErrorCode.CHECK_VIOLATION,
            "a value in t violates CHECK is_confidential",
        ),
        "FOREIGN KEY constraint failed": (
            ErrorCode.FOREIGN_KEY_VIOLATION,
            "t refers to a row that does not exist",
        ),
        "append-only: audit": (ErrorCode.APPEND_ONLY, "audit is append-only"),
        "something else": (
            ErrorCode.CONSTRAINT_VIOLATION,
            "a change to t violates a constraint",
        ),
    }
    for text, (code, message) in cases.items():
        assert classify_message("SQLITE_CONSTRAINT", text, "t") == Failure(code, message)
    assert classify_message("SQLITE_BUSY", "database is locked", "t").code == (
        ErrorCode.UNAVAILABLE
    )
    assert classify_message("SQLITE_ERROR", 'near "x": syntax error', "t") == Failure(
        ErrorCode.DB_ERROR, "database error"
    )
    # A database behind the code (issue 12): the table only, never the column.
    for text in ("no such table: t", "no such column: secret_col", "table t has no column named c"):
        assert classify_message("SQLITE_ERROR", text, "t") == Failure(
            ErrorCode.SCHEMA_MISMATCH, "the database schema of t is out of date"
        )


async def test_classify_busy_and_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    db = SqliteDatabase(path, busy_timeout_ms=50)
    await db.execute("CREATE TABLE t (x)", [])
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError) as info:
            await db.execute("INSERT INTO t VALUES (?)", [SECRET])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert info.value.sqlite_errorname.startswith("SQLITE_BUSY")
    assert classify_sqlite_error(info.value, "t") == Failure(
        ErrorCode.UNAVAILABLE, "the database is unavailable, try again"
    )
    await db.execute("INSERT INTO t VALUES (1)", [])  # usable again
    await db.close()

    missing_dir = SqliteDatabase(tmp_path / "no" / "such" / "dir.db")
    with pytest.raises(sqlite3.OperationalError) as info:
        await missing_dir.fetch_one("SELECT 1", [])
    assert classify_sqlite_error(info.value, "t").code is ErrorCode.UNAVAILABLE


def test_classify_other_errors() -> None:
    failure = classify_sqlite_error(DecodeError("tokens", "expires_at"), "tokens")
    assert failure == Failure(
        ErrorCode.INVALID_DATA, "a stored value in tokens.expires_at cannot be read"
    )
    assert classify_sqlite_error(RuntimeError(SECRET), "t") == Failure(
        ErrorCode.DB_ERROR, "database error"
    )
    assert classify_sqlite_error(ConnectionRefusedError(), "t").code is (ErrorCode.UNAVAILABLE)
    assert str(ErrorCode.APPEND_ONLY) == "APPEND_ONLY"


async def test_log_failure_levels_and_no_values(
    db: SqliteDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("test.storage")
    await db.execute("INSERT INTO codes VALUES (?)", [SECRET])
    failure, exc = await failure_of(db, "INSERT INTO codes VALUES (?)", [SECRET])
    with caplog.at_level(logging.DEBUG, logger="test.storage"):
        log_failure(logger, failure, exc, ray_id="ray-1", table="codes", operation="create")
        broken = DecodeError("codes", "code")
        log_failure(
            logger,
            classify_sqlite_error(broken, "codes"),
            broken,
            ray_id="ray-2",
            table="codes",
            operation="get",
        )
    info, error = caplog.records
    assert info.levelno == logging.INFO and info.exc_info is None
    assert info.ray_id == "ray-1"  # type: ignore[attr-defined]
    for part in ("ray-1", "codes", "create", "ALREADY_EXISTS", "IntegrityError"):
        assert part in info.getMessage()
    assert "SQLITE_CONSTRAINT_PRIMARYKEY" in info.getMessage()
    assert error.levelno == logging.ERROR and error.exc_info is not None
    assert "INVALID_DATA" in error.getMessage()
    assert SECRET not in caplog.text


def test_unclosed_store_does_not_block_exit(tmp_path: Path) -> None:
    path = tmp_path / "exit.db"
    package = tmp_path / "pkg" / "_runtime"
    shutil.copytree(RUNTIME, package, ignore=shutil.ignore_patterns("__pycache__"))
    script = textwrap.dedent(f"""
        import asyncio
        from _runtime.sqlite import SqliteDatabase

        async def main():
            db = SqliteDatabase.shared({str(path)!r})
            await db.execute("CREATE TABLE t (x)", [])
            await db.execute("INSERT INTO t VALUES (?)", ["kept"])

        asyncio.run(main())
        print("done")
        """)
    result = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-c", script],
        cwd=package.parent,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
    assert "Traceback" not in result.stderr
    # The exit hook closed the connection: WAL checkpointed and removed.
    assert not Path(f"{path}-wal").exists()
    check = sqlite3.connect(path)
    assert check.execute("SELECT x FROM t").fetchall() == [("kept",)]
    check.close()
