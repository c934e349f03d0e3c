"""Bugs the reliability work found: fixed ones stay fixed, open ones are pinned.

Open bugs are `xfail(strict=True)`: when the fix lands the test passes, the
strict xfail turns that into a failure, and the marker has to go.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
from pathlib import Path

import pytest

from storegen.errors import SchemaError

from ._support import (
    forget_package,
    generate_from_sql,
    import_package,
    run_mypy,
    write_package,
)


def build(tmp_path: Path, sql: str, package: str) -> dict[str, object]:
    generation = generate_from_sql(tmp_path, sql, package)
    write_package(generation.files, tmp_path / "out", package)
    return import_package(tmp_path / "out", package)


# ------------------------------------------------------------------ open bugs
def test_insert_and_update_return_exact_integers_when_the_first_column_is_real(
    tmp_path: Path,
) -> None:
    sql = (
        "CREATE TABLE readings (\n    value REAL,\n    id INTEGER PRIMARY KEY,\n    n INTEGER\n);\n"
    )
    mods = build(tmp_path, sql, "bug_returning")
    big = 2**53 + 1

    async def scenario() -> tuple[object, object, object]:
        db = mods["aiosqlite"].SqliteDatabase(tmp_path / "r.db")  # type: ignore[attr-defined]
        try:
            await mods["schema"].create_schema(db)  # type: ignore[attr-defined]
            store = mods["aiosqlite"].ReadingStore(db)  # type: ignore[attr-defined]
            model = mods["models"].Reading  # type: ignore[attr-defined]
            inserted = (await store.insert(model(value=2.0, id=1, n=big), "ray")).client_message
            updated = (await store.update(model(value=2.0, id=1, n=big + 2), "ray")).client_message
            got = (await store.get_by_id(1, "ray")).client_message
            return inserted, updated, got
        finally:
            await db.close()

    try:
        inserted, updated, got = asyncio.run(scenario())
    finally:
        forget_package("bug_returning")
    assert (got.n, type(got.n), type(got.value)) == (big + 2, int, float)  # type: ignore[attr-defined]
    assert (inserted.n, type(inserted.n)) == (big, int)  # type: ignore[attr-defined]
    assert (updated.n, type(updated.id)) == (big + 2, int)  # type: ignore[attr-defined]
    assert type(inserted.value) is float  # type: ignore[attr-defined]


def test_nan_is_refused_rather_than_stored_as_null(tmp_path: Path) -> None:
    sql = "CREATE TABLE points (\n    id INTEGER PRIMARY KEY,\n    x REAL\n);\n"
    mods = build(tmp_path, sql, "bug_nan")

    async def scenario() -> object:
        db = mods["aiosqlite"].SqliteDatabase(tmp_path / "n.db")  # type: ignore[attr-defined]
        try:
            await mods["schema"].create_schema(db)  # type: ignore[attr-defined]
            store = mods["aiosqlite"].PointStore(db)  # type: ignore[attr-defined]
            return await store.insert(mods["models"].Point(id=1, x=math.nan), "ray")  # type: ignore[attr-defined]
        finally:
            await db.close()

    try:
        result = asyncio.run(scenario())
    finally:
        forget_package("bug_nan")
    assert result.status is False, f"NaN silently became {result.client_message!r}"  # type: ignore[attr-defined]


# ------------------------------------------------------- fixed, keep them fixed
# Keywords SQLite takes as bare names but sqlglot read as keywords (measured
# over SQLite's keyword list: these failed, or silently lost the column).
BARE_COLUMNS = ["any", "true", "false", "like", "current_date", "current_time",
                "current_timestamp", "exclude", "glob", "regexp", "for", "with"]  # fmt: skip
BARE_TABLES = ["for", "glob", "with", "cross", "inner", "outer", "like", "regexp",
               "rollback", "true", "exclude", "current_date"]  # fmt: skip


@pytest.mark.parametrize("name", BARE_COLUMNS)
def test_bare_keyword_columns_parse_as_sqlite_reads_them(tmp_path: Path, name: str) -> None:
    """Used to exit 2 with 'please report it' (or drop the column); every position now."""
    # In expressions SQLite reads CURRENT_DATE & co as the keyword: the column needs quotes.
    ref = f'"{name}"' if name.startswith("current_") else name
    sql = (
        f"CREATE TABLE t1 (id INTEGER PRIMARY KEY, {name} TEXT NOT NULL UNIQUE "
        f"CHECK ({ref} IN ('a', 'b')), other TEXT, g TEXT AS (upper({ref})), "
        f"UNIQUE ({ref}, other));\n"
        f"CREATE TABLE t2 (id INTEGER PRIMARY KEY, {name} TEXT REFERENCES t1 ({name}));\n"
        f"CREATE INDEX i1 ON t2 ({ref}) WHERE {ref} IS NOT NULL;\n"
    )
    sqlite3.connect(":memory:").executescript(sql)  # SQLite itself is fine with it
    table, child = generate_from_sql(tmp_path, sql, "bare_col").schema.tables
    assert [c.name for c in table.columns] == ["id", name, "other", "g"]
    assert table.column(name).check_in == ("a", "b")
    assert [k.columns for k in table.unique_keys] == [(name,), (name, "other")]
    assert (child.foreign_keys[0].columns, child.foreign_keys[0].ref_columns) == ((name,), (name,))
    assert (child.indexes[0].columns, child.indexes[0].where) == ((name,), f"{ref} IS NOT NULL")


def test_a_bare_keyword_column_beside_the_same_keyword_as_an_operator(tmp_path: Path) -> None:
    """`like LIKE 'a%'`: the column is hidden from sqlglot, the operator is not."""
    sql = (
        "CREATE TABLE for (\n    id INTEGER PRIMARY KEY,\n"
        "    like TEXT NOT NULL UNIQUE CHECK (like LIKE 'a%'),\n"
        "    glob TEXT CHECK (length(glob) < 4 AND glob GLOB 'b*')\n);\n"
    )
    mods = build(tmp_path, sql, "bare_ops")

    async def scenario() -> list[object]:
        db = mods["aiosqlite"].SqliteDatabase(tmp_path / "k.db")  # type: ignore[attr-defined]
        try:
            await mods["schema"].create_schema(db)  # type: ignore[attr-defined]
            store = mods["aiosqlite"].ForStore(db)  # type: ignore[attr-defined]
            model = mods["models"].For  # type: ignore[attr-defined]
            return [
                await store.insert(model(id=1, like="abc", glob="bx"), "r"),
                await store.insert(model(id=2, like="zzz", glob=None), "r"),
                await store.insert(model(id=3, like="ayy", glob="bxxxx"), "r"),
                await store.get_by_like("abc", "r"),
            ]
        finally:
            await db.close()

    try:
        ok, bad_like, bad_glob, found = asyncio.run(scenario())
    finally:
        forget_package("bare_ops")
    assert ok.status is True and found.client_message == ok.client_message  # type: ignore[attr-defined]
    for refused in (bad_like, bad_glob):
        assert refused.error_code.name == "CHECK_VIOLATION"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", BARE_TABLES)
def test_bare_keyword_tables_parse_as_sqlite_reads_them(tmp_path: Path, name: str) -> None:
    sql = (
        f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, v TEXT);\n"
        f"CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES {name} (id));\n"
        f"CREATE UNIQUE INDEX main.i_{name} ON {name} (v);\n"
    )
    sqlite3.connect(":memory:").executescript(sql)
    table, child = generate_from_sql(tmp_path, sql, "bare_table").schema.tables
    assert table.name == name and table.primary_key is not None
    assert child.foreign_keys[0].ref_table == name
    assert table.indexes[0].columns == ("v",)


@pytest.mark.parametrize("name", ["None", "True", "False"])
def test_tables_named_like_capitalised_keywords_import(tmp_path: Path, name: str) -> None:
    """class_name("None") was `None`: `class None:` is a SyntaxError at import."""
    package = f"fixed_kw_{name.lower()}"
    mods = build(tmp_path, f'CREATE TABLE "{name}" (id INTEGER PRIMARY KEY);\n', package)
    try:
        assert hasattr(mods["models"], f"{name}_")
    finally:
        forget_package(package)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "CREATE TABLE results (id INTEGER PRIMARY KEY);",
            "model class 'Result', a name the generated",
        ),
        ("CREATE TABLE sequences (id INTEGER PRIMARY KEY);", "model class 'Sequence'"),
        ("CREATE TABLE SqliteDatabases (id INTEGER PRIMARY KEY);", "model class 'SqliteDatabase'"),
        ("CREATE TABLE bases (id INTEGER PRIMARY KEY);", "contract class 'BaseTable'"),
        (
            "CREATE TABLE x_y (id INTEGER PRIMARY KEY);\nCREATE TABLE xy (id INTEGER PRIMARY KEY);",
            "both become the decoder function 'decode_xy'",
        ),
        (
            "CREATE TABLE t2 (a TEXT, b TEXT, a_and_b TEXT UNIQUE, UNIQUE (a, b));",
            "two methods named 'get_by_a_and_b'",
        ),
    ],
    ids=["Result", "Sequence", "SqliteDatabase", "BaseTable", "decoder", "method"],
)
def test_generated_name_collisions_are_refused_with_a_position(
    tmp_path: Path, sql: str, message: str
) -> None:
    """These used to generate code that shadowed its own imports or methods."""
    with pytest.raises(SchemaError) as caught:
        generate_from_sql(tmp_path, sql + "\n", "fixed_collide")
    assert caught.value.location is not None
    assert message in str(caught.value)


def test_column_names_of_method_locals_and_builtins_type_check(tmp_path: Path) -> None:
    """`value`, `found` ... as key parameters shadowed method locals (mypy errors);
    `field` before a secret broke `field(repr=False)` at import."""
    sql = (
        "CREATE TABLE settings (\n"
        "    id INTEGER PRIMARY KEY,\n"
        "    value TEXT UNIQUE,\n"
        "    found TEXT UNIQUE,\n"
        "    stored INTEGER,\n"
        "    deleted INTEGER,\n"
        "    values_ TEXT,\n"
        "    exc TEXT,\n"
        "    field TEXT,\n"
        "    token TEXT, -- @secret\n"
        "    datetime DATETIME,\n"
        "    int INTEGER\n"
        ");\n"
        "CREATE INDEX settings_stored ON settings (stored);\n"
        "CREATE INDEX settings_int ON settings (int);\n"
    )
    mods = build(tmp_path, sql, "fixed_locals")
    try:
        store_cls = mods["aiosqlite"].SettingStore  # type: ignore[attr-defined]
        for method in ("get_by_value", "get_by_found", "list_by_stored", "count_by_int"):
            assert hasattr(store_cls, method), method
    finally:
        forget_package("fixed_locals")
    done = run_mypy(tmp_path / "out", ["fixed_locals"], tmp_path / "mypy-cache")
    assert done.returncode == 0, done.stdout + done.stderr


def test_http_404_while_sqld_starts_is_unavailable() -> None:
    import libsql_client

    from generated._runtime.libsql import classify_libsql_error
    from generated.results import ErrorCode

    error = libsql_client.LibsqlError("Server returned HTTP status 404", "SERVER_ERROR")
    assert classify_libsql_error(error, "t").code == ErrorCode.UNAVAILABLE
