"""What PostgreSQL used to get wrong or drop: expression DEFAULTs, tables
without a primary key, COLLATE. Each runs on a real server, beside SQLite."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from storegen.errors import SchemaError

sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))
from _support import forget_package, generate_from_sql, write_package  # noqa: E402

BACKENDS = ["aiosqlite", "postgres"]

SCHEMA = """\
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    at_epoch INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
    at_text TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    on_day TEXT NOT NULL DEFAULT (date('now')),
    stamp TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    label TEXT NOT NULL DEFAULT ('x' || 'y'),
    blob BLOB DEFAULT x'00ff'
);
CREATE TABLE visits (
    path TEXT NOT NULL,
    n INTEGER NOT NULL,
    note TEXT
);
CREATE INDEX idx_visits_path ON visits (path);
CREATE TABLE handles (
    handle TEXT NOT NULL,
    site TEXT NOT NULL,
    UNIQUE (handle COLLATE NOCASE, site)
);
CREATE TABLE tags (
    label TEXT NOT NULL DEFAULT 'x' COLLATE NOCASE UNIQUE,
    note TEXT DEFAULT 'n' COLLATE NOCASE COLLATE BINARY
);
"""


def load(tmp_path: Path, sql: str, package: str) -> dict[str, Any]:
    generation = generate_from_sql(tmp_path, sql, package, backends=BACKENDS)
    write_package(generation.files, tmp_path / "out", package)
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        return {
            name: importlib.import_module(f"{package}.{name}")
            for name in ("models", "schema", "aiosqlite", "postgres")
        }
    finally:
        sys.path.remove(str(tmp_path / "out"))


async def exercise(mods: dict[str, Any], backend: str, db: Any) -> dict[str, Any]:
    module, models = mods[backend], mods["models"]
    events, visits = module.EventStore(db), module.VisitStore(db)
    handles = module.HandleStore(db)
    got: dict[str, Any] = {}
    inserted = await events.insert(models.Event(name="e"), "r")
    assert inserted.status is True, inserted
    got["event"] = inserted.client_message
    for n in range(7):
        await visits.insert(models.Visit(path=f"/p{n % 3}", n=n, note=None), "r")
    await visits.insert(models.Visit(path="/p0", n=0, note=None), "r")  # a twin row
    pages = [await visits.list_all("r", limit=3, offset=o) for o in (0, 3, 6)]
    got["pages"] = [[(v.path, v.n) for v in page.client_message] for page in pages]
    by_path = await visits.list_by_path("/p0", "r", limit=2, offset=1)
    got["by_path"] = sorted((v.path, v.n) for v in by_path.client_message)
    await handles.insert(models.Handle(handle="Ada", site="gh"), "r")
    found = await handles.get_by_handle_and_site("aDA", "gh", "r")
    got["handle"] = found.client_message
    clash = await handles.insert(models.Handle(handle="ADA", site="gh"), "r")
    got["clash"] = (clash.status, clash.error_code.name if not clash.status else None)
    tags = module.TagStore(db)  # a COLLATE after a DEFAULT is the column's (the last one)
    defaulted = await tags.insert(models.Tag(), "r")
    await tags.insert(models.Tag(label="Ada", note="Nn"), "r")
    found_tag = await tags.get_by_label("aDA", "r")
    tag_clash = await tags.insert(models.Tag(label="ADA"), "r")
    got["tags"] = (
        (defaulted.client_message.label, defaulted.client_message.note),
        found_tag.client_message.label,
        tag_clash.error_code.name if not tag_clash.status else None,
    )
    return got


async def test_defaults_paging_and_nocase_agree_on_sqlite_and_postgres(
    tmp_path: Path, postgres_server: Any
) -> None:
    mods = load(tmp_path, SCHEMA, "pg_gaps")
    try:
        sqlite_db = mods["aiosqlite"].SqliteDatabase(tmp_path / "g.db")
        try:
            await mods["schema"].create_schema(sqlite_db)
            on_sqlite = await exercise(mods, "aiosqlite", sqlite_db)
        finally:
            await sqlite_db.close()
        async with mods["postgres"].PostgresDatabase(postgres_server.url, timeout=10) as db:
            await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
            await mods["postgres"].create_schema(db)
            on_pg = await exercise(mods, "postgres", db)
    finally:
        forget_package("pg_gaps")
    for got in (on_sqlite, on_pg):
        event = got["event"]
        assert isinstance(event.at_epoch, int) and event.at_epoch > 1_700_000_000
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", event.at_text)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", event.on_day)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event.stamp)
        assert (event.label, event.blob) == ("xy", b"\x00\xff")
        rows = [row for page in got["pages"] for row in page]
        assert sorted(rows) == sorted([(f"/p{n % 3}", n) for n in range(7)] + [("/p0", 0)])
        assert len(got["by_path"]) == 2
        assert (got["handle"].handle, got["clash"]) == ("Ada", (False, "ALREADY_EXISTS"))
        assert got["tags"] == (("x", "n"), "Ada", "ALREADY_EXISTS")
    assert abs(on_pg["event"].at_epoch - on_sqlite["event"].at_epoch) < 120


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("v TEXT DEFAULT (lower(hex(randomblob(16))))", "cannot compute exactly on PostgreSQL"),
        ("v INTEGER DEFAULT (random())", "cannot compute exactly on PostgreSQL"),
        ("v TEXT DEFAULT (strftime('%j', 'now'))", "cannot compute exactly on PostgreSQL"),
        ("v TEXT COLLATE RTRIM", "is COLLATE RTRIM, which storegen cannot keep on PostgreSQL"),
    ],
    ids=["randomblob", "random", "strftime-j", "rtrim"],
)
def test_what_postgres_cannot_keep_is_refused_with_a_position(
    tmp_path: Path, column: str, message: str
) -> None:
    sql = f"CREATE TABLE t (\n    id INTEGER PRIMARY KEY,\n    {column}\n);\n"
    generate_from_sql(tmp_path, sql, "pg_refuse")  # SQLite alone keeps it
    with pytest.raises(SchemaError) as caught:
        generate_from_sql(tmp_path, sql, "pg_refuse", backends=BACKENDS)
    assert message in str(caught.value)
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.col) == (3, 5)


def test_a_key_list_collation_postgres_cannot_keep_is_refused(tmp_path: Path) -> None:
    sql = "CREATE TABLE t (\n    a TEXT,\n    UNIQUE (a COLLATE RTRIM)\n);\n"
    generate_from_sql(tmp_path, sql, "pg_refuse_list")
    with pytest.raises(SchemaError, match="COLLATE other than BINARY or NOCASE") as caught:
        generate_from_sql(tmp_path, sql, "pg_refuse_list", backends=BACKENDS)
    assert str(caught.value).startswith("pg_refuse_list.sql:1:1:")
