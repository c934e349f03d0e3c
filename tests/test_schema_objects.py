"""Views, triggers and FTS5 tables reach every backend's database: nothing is dropped.

The golden case `music_store` (15 tables in the style of the Chinook sample
database, five views, seven triggers, two FTS5 tables, composite keys, an
expression index) is generated, then on a SQLite file, sqld over WebSocket
and HTTP, and an embedded replica:

- `create_schema` makes exactly the objects that running the schema file
  with sqlite3 makes (read back from sqlite_master);
- so does replaying the case's committed migrations through `migrate()`;
- the triggers fire and the views answer.
"""

from __future__ import annotations

import dataclasses
import importlib
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from test_golden import GOLDEN, materialise_golden

CASE = GOLDEN / "music_store"
BACKENDS = ("aiosqlite", "libsql_ws", "libsql_http", "libsql_replica")
_CATALOG = "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite%'"


def sqlite3_objects(sql: str) -> set[tuple[str, str, str]]:
    """What running the schema file with Python's sqlite3 makes (our reference)."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(sql)
        return {(t, n.lower(), tbl.lower()) for t, n, tbl in db.execute(_CATALOG)}
    finally:
        db.close()


def own(rows: Any) -> set[tuple[str, str, str]]:
    """sqlite_master rows, without the bookkeeping of storegen and libSQL."""
    return {
        (t, n.lower(), tbl.lower())
        for t, n, tbl in rows
        if not n.startswith(("libsql_", "_litestream", "storegen_"))
    }


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("music-store")
    materialise_golden(CASE, root / "golden_music_store", tmp_path_factory.mktemp("work"))
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("golden_music_store")
    finally:
        sys.path.remove(str(root))


async def _open(kind: str, package: ModuleType, tmp_path: Path, request: Any) -> Any:
    runtime = f"{package.__name__}._runtime"
    if kind == "aiosqlite":
        sqlite = importlib.import_module(f"{runtime}.sqlite")
        return sqlite.SqliteDatabase(tmp_path / f"{uuid.uuid4().hex[:8]}.db")
    factory = request.getfixturevalue("sqld_factory")
    server = factory()
    if kind == "libsql_replica":
        replica = importlib.import_module(f"{runtime}.libsql_replica")
        return replica.LibsqlReplicaDatabase(
            tmp_path / "replica.db", server.http_url, write_url=server.ws_url, timeout=30.0
        )
    libsql = importlib.import_module(f"{runtime}.libsql")
    url = server.ws_url if kind == "libsql_ws" else server.http_url
    return libsql.LibsqlDatabase(url, timeout=30.0)


@pytest.fixture(params=BACKENDS)
async def db(
    request: pytest.FixtureRequest, package: ModuleType, tmp_path: Path
) -> AsyncIterator[Any]:
    database = await _open(request.param, package, tmp_path, request)
    try:
        yield database
    finally:
        await database.close()


async def catalog(db: Any) -> set[tuple[str, str, str]]:
    if hasattr(db, "sync"):
        await db.sync()
    return own(await db.fetch_all(_CATALOG, ()))


async def test_create_schema_makes_what_sqlite3_makes(db: Any, package: ModuleType) -> None:
    expected = sqlite3_objects((CASE / "schema.sql").read_text())
    kinds = {t for t, _, _ in expected}
    assert kinds == {"table", "index", "view", "trigger"}
    assert {n for t, n, _ in expected if t == "view"} == {
        "album_summaries", "track_details", "invoice_totals", "customer_totals", "big_spenders"
    }  # fmt: skip
    await package.create_schema(db)
    assert await catalog(db) == expected
    await package.create_schema(db)  # idempotent: the second start changes nothing
    assert await catalog(db) == expected


async def test_migrations_make_what_sqlite3_makes(db: Any, package: ModuleType) -> None:
    if getattr(db, "transport", None) == "http":
        pytest.skip("migrate() needs interactive transactions, which libSQL has over ws only")
    assert await package.migrate(db) == ["0001_initial"]
    assert await catalog(db) == sqlite3_objects((CASE / "schema.sql").read_text())
    assert await package.schema_drift(db) == []
    await db.execute("DROP VIEW big_spenders", ())  # drift sees a view that went missing
    assert await package.schema_drift(db) == ["view big_spenders: missing"]


async def test_triggers_fire_and_views_answer(db: Any, package: ModuleType) -> None:
    """The schema's own triggers run on every backend (they were silently absent before)."""
    await package.create_schema(db)
    script = """
        INSERT INTO artists (id, name) VALUES (1, 'Miles Davis');
        INSERT INTO albums (id, title, artist_id) VALUES (1, 'Kind of Blue', 1);
        INSERT INTO media_types (id, name) VALUES (1, 'AAC');
        INSERT INTO tracks (id, name, album_id, media_type_id, composer, milliseconds, unit_price)
        VALUES (1, 'So What', 1, 1, 'Miles Davis', 545000, 0.99),
               (2, 'Blue in Green', 1, 1, 'Bill Evans', 337000, 0.99);
        UPDATE tracks SET unit_price = 1.29 WHERE id = 2;
        UPDATE track_details SET track_name = 'Freddie Freeloader' WHERE track_id = 1;
    """
    await db.execute_script(script)
    if hasattr(db, "sync"):
        await db.sync()
    audit = await db.fetch_all("SELECT track_id, old_price, new_price FROM price_changes", ())
    assert [tuple(r) for r in audit] == [(2, 0.99, 1.29)]
    names = await db.fetch_all("SELECT name FROM tracks ORDER BY id", ())
    assert [r[0] for r in names] == ["Freddie Freeloader", "Blue in Green"]
    summary = await db.fetch_all("SELECT title, artist, track_count FROM album_summaries", ())
    assert [tuple(r) for r in summary] == [("Kind of Blue", "Miles Davis", 2)]
    found = await db.fetch_all(
        "SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ? ORDER BY rank", ("freddie",)
    )
    assert [r[0] for r in found] == [1]


# ---------------------------------------------------------------- PostgreSQL
# Views are transpiled; the triggers and FTS5 tables come from the case's
# postgres_objects.sql (named by [postgres] objects in its storegen.toml).

_PG_CATALOG = """
SELECT 'view', viewname FROM pg_views WHERE schemaname = 'public'
UNION ALL
SELECT 'trigger', t.tgname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND NOT t.tgisinternal
UNION ALL
SELECT 'table', tablename FROM pg_tables WHERE schemaname = 'public'
"""


def expected_on_postgres() -> dict[str, set[str]]:
    """Every view, user trigger and table (FTS5 tables included) of the schema file."""
    found = sqlite3_objects((CASE / "schema.sql").read_text())
    shadow = {
        n for t, n, _ in found if t == "table" and n.startswith(("tracks_fts_", "staff_notes_"))
    }
    return {
        kind: {n for t, n, _ in found if t == kind and n not in shadow}
        for kind in ("view", "trigger", "table")
    }


@pytest.fixture
async def pg(request: pytest.FixtureRequest, package: ModuleType) -> AsyncIterator[Any]:
    from migrate_support import create_pg_database

    server = request.getfixturevalue("postgres_server")
    postgres = importlib.import_module(f"{package.__name__}._runtime.postgres")
    database = postgres.PostgresDatabase(await create_pg_database(server.url), timeout=30.0)
    try:
        yield database
    finally:
        await database.close()


async def pg_catalog(db: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"view": set(), "trigger": set(), "table": set()}
    for kind, name in await db.fetch_all(_PG_CATALOG, ()):
        if not name.startswith("storegen_"):
            found[kind].add(name)
    return found


def _user_objects(found: dict[str, set[str]]) -> dict[str, set[str]]:
    """Leave out storegen's own PostgreSQL triggers (rowid alias, append-only)."""
    triggers = {t for t in found["trigger"] if not t.endswith(("_rowid", "_append_only"))}
    return {**found, "trigger": triggers}


async def test_postgres_create_schema_carries_every_object(pg: Any, package: ModuleType) -> None:
    expected = expected_on_postgres()
    assert len(expected["view"]) == 5 and len(expected["trigger"]) == 6
    create_schema = importlib.import_module(f"{package.__name__}.postgres").create_schema
    await create_schema(pg)
    assert _user_objects(await pg_catalog(pg)) == expected
    await create_schema(pg)  # idempotent
    assert _user_objects(await pg_catalog(pg)) == expected


async def test_postgres_migrations_carry_every_object(pg: Any, package: ModuleType) -> None:
    assert await package.migrate(pg) == ["0001_initial"]
    assert _user_objects(await pg_catalog(pg)) == expected_on_postgres()
    assert await package.schema_drift(pg) == []
    await pg.execute("DROP VIEW big_spenders", ())
    assert await package.schema_drift(pg) == ["view big_spenders: missing"]


async def test_postgres_triggers_fire_and_search_answers(pg: Any, package: ModuleType) -> None:
    await importlib.import_module(f"{package.__name__}.postgres").create_schema(pg)
    await pg.execute_script("""
        INSERT INTO artists (id, "name") VALUES (1, 'Miles Davis');
        INSERT INTO albums (id, title, artist_id) VALUES (1, 'Kind of Blue', 1);
        INSERT INTO media_types (id, "name") VALUES (1, 'AAC');
        INSERT INTO tracks (id, "name", album_id, media_type_id, composer, milliseconds, unit_price)
        VALUES (1, 'So What', 1, 1, 'Miles Davis', 545000, 0.99),
               (2, 'Blue in Green', 1, 1, 'Bill Evans', 337000, 0.99);
        UPDATE tracks SET unit_price = 1.29 WHERE id = 2;
        UPDATE track_details SET track_name = 'Freddie Freeloader' WHERE track_id = 1;
        """)
    audit = await pg.fetch_all("SELECT track_id, old_price, new_price FROM price_changes", ())
    assert [tuple(r) for r in audit] == [(2, 0.99, 1.29)]
    summary = await pg.fetch_all("SELECT title, artist, track_count FROM album_summaries", ())
    assert [tuple(r) for r in summary] == [("Kind of Blue", "Miles Davis", 2)]
    found = await pg.fetch_all(
        "SELECT \"rowid\" FROM tracks_fts WHERE document @@ plainto_tsquery('simple', $1)",
        ("freddie",),
    )
    assert [r[0] for r in found] == [1]


# ---------------------------------------------------------------- view stores

SALES = """
    INSERT INTO artists (id, "name") VALUES (1, 'Miles Davis'), (2, 'Bill Evans');
    INSERT INTO albums (id, title, artist_id) VALUES (1, 'Kind of Blue', 1), (2, 'Sunday', 2);
    INSERT INTO genres (id, "name") VALUES (1, 'Jazz');
    INSERT INTO media_types (id, "name") VALUES (1, 'AAC');
    INSERT INTO tracks (id, "name", album_id, media_type_id, genre_id, milliseconds)
    VALUES (1, 'So What', 1, 1, 1, 545000), (2, 'Blue in Green', 1, 1, NULL, 337000),
           (3, 'Gloria', 2, 1, 1, 300000);
"""


async def check_view_stores(package: ModuleType, module: str, db: Any) -> None:
    stores = importlib.import_module(f"{package.__name__}.{module}")
    albums, details = stores.AlbumSummaryStore(db), stores.TrackDetailStore(db)
    summary = (await albums.get_by_album_id(1, "v")).client_message
    assert summary == package.models.AlbumSummary(
        album_id=1, title="Kind of Blue", artist="Miles Davis", track_count=2, total_ms=882000
    )
    # Exactly the model's types: PostgreSQL's SUM of a BIGINT is a NUMERIC unless cast.
    assert type(summary.total_ms) is int and type(summary.track_count) is int
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.title = "changed"  # type: ignore[misc]
    assert (await albums.get_by_album_id(9, "v")).error_code.value == "NOT_FOUND"
    assert (await details.count_all("v")).client_message == 3
    first = (await details.list_all("v", limit=2)).client_message
    rest = (await details.list_all("v", after=first[-1].track_id)).client_message
    assert [d.track_id for d in first + rest] == [1, 2, 3]
    assert [d.genre_name for d in first + rest] == ["Jazz", None, "Jazz"]  # LEFT JOIN: optional
    spenders = stores.BigSpenderStore(db)
    assert (await spenders.list_all("v", offset=0)).client_message == []
    assert not hasattr(details, "insert") and not hasattr(details, "delete_by_track_id")


async def test_view_stores_read_on_every_backend(db: Any, package: ModuleType) -> None:
    await package.create_schema(db)
    await db.execute_script(SALES)
    if hasattr(db, "sync"):
        await db.sync()
    module = {
        "SqliteDatabase": "aiosqlite",
        "LibsqlDatabase": "libsql",
        "LibsqlReplicaDatabase": "libsql_replica",
    }[type(db).__name__]
    await check_view_stores(package, module, db)


async def test_view_stores_read_on_postgres(pg: Any, package: ModuleType) -> None:
    await importlib.import_module(f"{package.__name__}.postgres").create_schema(pg)
    await pg.execute_script(SALES)
    await check_view_stores(package, "postgres", pg)
