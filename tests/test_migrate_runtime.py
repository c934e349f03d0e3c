"""`apply_migrations` and `schema_drift` on real databases: SQLite file, sqld (ws), PostgreSQL.

Each test gets an empty database (migrate_support.fresh_database) and
Migration lists built directly, as the generated `migrations.py` embeds them.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from migrate_support import KINDS, ddl_after, fresh_database, migrations, other_handle
from storegen.runtime.migrate import Migration, MigrationError, apply_migrations, schema_drift

pytestmark = pytest.mark.parametrize("kind", KINDS)


@pytest.fixture
async def db(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    async with fresh_database(kind, request, tmp_path) as database:
        yield database


async def _count(db: Any, table: str) -> int:
    rows = await db.fetch_all(f"SELECT count(*) FROM {table}", ())
    return int(rows[0][0])


async def _records(db: Any) -> dict[str, str]:
    rows = await db.fetch_all("SELECT name, checksum FROM storegen_migrations", ())
    return {str(name): str(checksum) for name, checksum in rows}


async def _fill(db: Any) -> None:
    marks = "$1, $2" if db.sql_dialect == "postgres" else "?, ?"
    await db.execute(f"INSERT INTO parent (id, name) VALUES ({marks})", (1, "a"))
    for child in (1, 2, 3):
        await db.execute(f"INSERT INTO child (id, parent_id) VALUES ({marks})", (child, 1))


async def test_applies_in_order_records_and_is_idempotent(db: Any) -> None:
    steps = migrations(db, "initial", "rebuild", "add_column")
    assert await apply_migrations(db, steps[:1]) == ["0001_initial"]
    await _fill(db)
    assert await apply_migrations(db, steps) == ["0002_rebuild", "0003_add_column"]
    assert await apply_migrations(db, steps) == []
    records = await _records(db)
    assert records == {m.name: hashlib.sha256(m.sql.encode()).hexdigest() for m in steps}
    rows = await db.fetch_all("SELECT applied_at FROM storegen_migrations", ())
    assert all(str(at).endswith("+00:00") for (at,) in rows)
    assert await schema_drift(db, ddl_after(db, "initial", "rebuild", "add_column")) == []


async def test_rebuilding_a_parent_keeps_its_cascading_children(db: Any) -> None:
    """The trap: FKs left on during DROP TABLE parent delete every child."""
    steps = migrations(db, "initial", "rebuild")
    await apply_migrations(db, steps[:1])
    await _fill(db)
    await apply_migrations(db, steps)
    assert await _count(db, "child") == 3
    assert await _count(db, "parent") == 1
    if db.sql_dialect == "sqlite":
        assert (await db.fetch_all("PRAGMA foreign_keys", ()))[0][0] == 1
        assert await db.fetch_all("PRAGMA foreign_key_check", ()) == []
        # FKs are back on: a dangling child is refused again.
        with pytest.raises(Exception, match="FOREIGN KEY"):
            await db.execute("INSERT INTO child (id, parent_id) VALUES (9, 99)", ())


async def test_foreign_key_check_failure_rolls_back(db: Any, kind: str) -> None:
    if db.sql_dialect == "postgres":
        pytest.skip("PostgreSQL checks foreign keys on every statement; no FK-off rebuild")
    steps = migrations(db, "initial")
    await apply_migrations(db, steps)
    await _fill(db)
    orphaning = Migration(
        "0002_orphans",
        "CREATE TABLE new_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
        "DROP TABLE parent;\nALTER TABLE new_parent RENAME TO parent;\n",
        foreign_keys_off=True,
    )
    with pytest.raises(MigrationError, match=r"0002_orphans .*point nowhere in: child"):
        await apply_migrations(db, [*steps, orphaning])
    assert await _count(db, "parent") == 1
    assert await _count(db, "child") == 3
    assert set(await _records(db)) == {"0001_initial"}
    assert (await db.fetch_all("PRAGMA foreign_keys", ()))[0][0] == 1


async def test_failing_migration_rolls_back_alone(db: Any) -> None:
    steps = migrations(db, "initial")
    broken = Migration(
        "0002_broken",
        "CREATE TABLE half (id INTEGER PRIMARY KEY);\nINSERT INTO nowhere VALUES (1);",
    )
    with pytest.raises(MigrationError, match="0002_broken failed and was rolled back"):
        await apply_migrations(db, [*steps, broken])
    assert set(await _records(db)) == {"0001_initial"}
    assert await _count(db, "parent") == 0
    where = "current_schema()" if db.sql_dialect == "postgres" else None
    if where:
        rows = await db.fetch_all("SELECT to_regclass('half') IS NULL", ())
        assert rows[0][0] is True
    else:
        rows = await db.fetch_all("SELECT name FROM sqlite_master WHERE name = 'half'", ())
        assert rows == []


async def test_refuses_edited_and_unknown_migrations(db: Any) -> None:
    steps = migrations(db, "initial", "add_column")
    await apply_migrations(db, steps)
    edited = [Migration(steps[0].name, steps[0].sql + "-- edited\n"), steps[1]]
    with pytest.raises(MigrationError, match=r"edited afterwards .*: 0001_initial\."):
        await apply_migrations(db, edited)
    with pytest.raises(MigrationError, match=r"newer than this code.*: 0002_add_column\."):
        await apply_migrations(db, steps[:1])
    assert set(await _records(db)) == {"0001_initial", "0002_add_column"}


async def test_concurrent_tasks_apply_each_migration_once(db: Any) -> None:
    steps = migrations(db, "initial", "rebuild", "add_column")
    others = [other_handle(db) for _ in range(3)]
    try:
        results = await asyncio.gather(
            apply_migrations(db, steps), *(apply_migrations(o, steps) for o in others)
        )
    finally:
        for other in others:
            await other.close()
    applied = sorted(name for names in results for name in names)
    assert applied == [m.name for m in steps]
    assert set(await _records(db)) == {m.name for m in steps}


async def test_adopts_a_database_made_by_create_schema(db: Any) -> None:
    steps = migrations(db, "initial", "rebuild", "add_column")
    await db.execute_script(ddl_after(db, "initial"))  # as create_schema did, before migrations
    await _fill(db)
    assert await apply_migrations(db, steps) == ["0002_rebuild", "0003_add_column"]
    assert set(await _records(db)) == {m.name for m in steps}
    assert await _count(db, "child") == 3


async def test_adopts_at_the_last_matching_step(db: Any) -> None:
    steps = migrations(db, "initial", "rebuild", "add_column")
    await db.execute_script(ddl_after(db, "initial", "rebuild"))
    assert await apply_migrations(db, steps) == ["0003_add_column"]
    assert set(await _records(db)) == {m.name for m in steps}


async def test_adoption_without_a_matching_step_lists_differences(db: Any) -> None:
    steps = migrations(db, "initial", "add_column")
    await db.execute_script(ddl_after(db, "initial") + "CREATE TABLE stray (id BIGINT);\n")
    with pytest.raises(MigrationError) as error:
        await apply_migrations(db, steps)
    message = str(error.value)
    assert "matches no migration step" in message
    assert "table stray: not expected" in message
    rows = await db.fetch_all("SELECT count(*) FROM parent", ())
    assert rows[0][0] == 0  # nothing was changed, no records table either
    with pytest.raises(Exception):
        await db.fetch_all("SELECT * FROM storegen_migrations", ())


async def test_schema_drift_lists_each_difference(db: Any) -> None:
    steps = migrations(db, "initial")
    await apply_migrations(db, steps)
    assert await schema_drift(db, ddl_after(db, "initial")) == []
    expected = ddl_after(db, "initial", "add_column") + "CREATE TABLE extra (id BIGINT);\n"
    await db.execute("DROP INDEX idx_child_parent", ())
    drift = await schema_drift(db, expected)
    assert "table extra: missing" in drift
    assert "index idx_child_parent: missing" in drift
    assert any(line.startswith("column child.rank: missing") for line in drift)
    assert not any("storegen_migrations" in line for line in drift)
    assert len(drift) == 3, drift


async def test_waits_out_another_writer_holding_the_lock(db: Any, kind: str) -> None:
    """A lock held longer than SQLite's busy timeout is retried until `lock_timeout`."""
    if kind != "sqlite":
        pytest.skip("the busy timeout is a property of the local SQLite connection")
    steps = migrations(db, "initial")
    impatient = type(db)(db.path, busy_timeout_ms=50)
    holder = sqlite3.connect(db.path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await apply_migrations(impatient, steps, lock_timeout=0.3)
        asyncio.get_running_loop().call_later(0.5, holder.execute, "COMMIT")
        assert await apply_migrations(impatient, steps, lock_timeout=30) == ["0001_initial"]
    finally:
        holder.close()
        await impatient.close()


async def test_libsql_over_http_is_refused(kind: str, request: pytest.FixtureRequest) -> None:
    """HTTP has no interactive transaction, so no lock: refused before anything runs."""
    if kind != "sqld":
        pytest.skip("a libSQL transport")
    from storegen.runtime.errors import TransactionUnsupported
    from storegen.runtime.libsql import LibsqlDatabase

    server = request.getfixturevalue("sqld_factory")()
    http = LibsqlDatabase(server.http_url)
    try:
        with pytest.raises(TransactionUnsupported, match="ws://"):
            await apply_migrations(http, migrations(http, "initial"))
        assert await http.fetch_all("SELECT name FROM sqlite_master", ()) == []
    finally:
        await http.close()
