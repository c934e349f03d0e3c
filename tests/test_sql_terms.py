"""Each table's SQL from its own PyPika terms, built once per table (backends/sql_terms.py).

A table's column lists are one `Columns` term each, printed once per set of
options and shared by its statements. These tests check that the sharing never
crosses tables (two tables with the same columns, on a real SQLite file), that a
shared list prints what PyPika prints for its columns one by one whatever the
quote character, and that PyPika still refuses a RETURNING column of another table.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from pypika import MySQLQuery, Parameter, PostgreSQLQuery, Query
from pypika.terms import Field
from pypika.utils import QueryException

sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))
from _support import forget_package, import_package, options_for, write_package  # noqa: E402

from conformance.support import new_ray_id  # noqa: E402
from storegen import generate, load_schema  # noqa: E402
from storegen.backends.manifest import load_backend  # noqa: E402
from storegen.backends.sql_terms import Columns, TableTerms  # noqa: E402
from storegen.render.context import attach_sql, build_package_view  # noqa: E402

# Same columns, different names; a REAL first column (the RETURNING workaround)
# and a NOCASE unique key, so every kind of list and key is built.
TABLE = """\
CREATE TABLE {name} (
    score REAL NOT NULL,
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE COLLATE NOCASE,
    label TEXT NOT NULL
);
CREATE INDEX {name}_label ON {name} (label);
"""
SCHEMA = TABLE.format(name="alpha") + TABLE.format(name="beta")
COLUMNS = ["score", "id", "code", "label"]


def _statements(tmp_path: Path, backend: str) -> dict[str, dict[str, object]]:
    schema_file = tmp_path / "twins.sql"
    schema_file.write_text(SCHEMA, encoding="utf-8")
    options = options_for(tmp_path, [schema_file], "twins", backends=[backend])
    view = build_package_view(load_schema(options), options, ("twins.sql",))
    return attach_sql(view, load_backend(backend, ()))


@pytest.mark.parametrize("backend", ["aiosqlite", "postgres"])
def test_two_tables_with_the_same_columns_get_their_own_sql(tmp_path: Path, backend: str) -> None:
    sql = _statements(tmp_path, backend)
    alpha, beta = sql["alpha"], sql["beta"]
    assert alpha.keys() == beta.keys() and len(alpha) > 10
    for name, text in alpha.items():
        assert '"alpha"' in str(text) and '"beta"' not in str(text), name
        assert '"alpha"' not in str(beta[name]), name
        assert str(beta[name]) == str(text).replace('"alpha"', '"beta"'), name


async def test_each_store_writes_and_reads_its_own_table(tmp_path: Path) -> None:
    schema_file = tmp_path / "twins.sql"
    schema_file.write_text(SCHEMA, encoding="utf-8")
    generation = generate(options_for(tmp_path, [schema_file], "twins", backends=["aiosqlite"]))
    write_package(generation.files, tmp_path / "out", "twins")
    forget_package("twins")
    modules = import_package(tmp_path / "out", "twins")
    stores, models = modules["aiosqlite"], modules["models"]

    def expect_success(result: Any, ray_id: str) -> Any:
        assert isinstance(result, modules["results"].SuccessResult), result
        assert result.ray_id == ray_id
        return result.client_message

    path = tmp_path / "twins.db"
    async with stores.SqliteDatabase(path) as db:
        await modules["schema"].create_schema(db)
    alpha_store, beta_store = stores.AlphaStore(path), stores.BetaStore(path)
    try:
        first = models.Alpha(score=1.5, id="k", code="Code", label="a")
        second = models.Beta(score=2.5, id="k", code="CODE", label="b")
        ray = new_ray_id()
        assert expect_success(await alpha_store.insert(first, ray), ray) == first
        ray = new_ray_id()
        missing = await beta_store.get_by_id("k", ray)
        assert missing.error_code == modules["results"].ErrorCode.NOT_FOUND
        assert missing.client_message == "beta: no such row"
        ray = new_ray_id()
        assert expect_success(await beta_store.insert(second, ray), ray) == second
        changed = models.Beta(score=3.5, id="k", code="code", label="c")
        ray = new_ray_id()
        assert expect_success(await beta_store.update(changed, ray), ray) == changed
        ray = new_ray_id()
        assert expect_success(await alpha_store.get_by_code("CODE", ray), ray) == first
        ray = new_ray_id()
        assert expect_success(await beta_store.count_all(ray), ray) == 1
    finally:
        await stores.SqliteDatabase.shared(path).close()
        forget_package("twins")
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT * FROM alpha").fetchall() == [(1.5, "k", "Code", "a")]
        assert check.execute("SELECT * FROM beta").fetchall() == [(3.5, "k", "code", "c")]
    check.close()


@pytest.mark.parametrize("query", [PostgreSQLQuery, MySQLQuery, Query])
def test_a_shared_list_prints_what_pypika_prints_column_by_column(query: type[Query]) -> None:
    # One TableTerms for every dialect in turn: a list printed with `"` must not
    # come back where the dialect quotes with a backtick (MySQL) or not at all.
    terms = TableTerms("t")
    for q in (PostgreSQLQuery, MySQLQuery, Query, query):
        fields = [terms.column(c) for c in COLUMNS]
        shared = q.from_(terms.table).select(terms.columns(COLUMNS))
        one_by_one = q.from_(terms.table).select(*fields)
        assert str(shared) == str(one_by_one)
        bare = [Field(c, table=terms.table) for c in COLUMNS]
        insert = q.into(terms.table).columns(terms.columns(COLUMNS, bare=True))
        assert str(insert.insert(*[Parameter("?")] * 4)) == str(
            q.into(terms.table).columns(*bare).insert(*[Parameter("?")] * 4)
        )
    # An UPDATE's RETURNING passes with_namespace as a bound method (keyed by its truth).
    write = PostgreSQLQuery.update(terms.table).set(terms.bare("label"), Parameter("?"))
    assert str(write.returning(terms.columns(COLUMNS))) == str(
        write.returning(*[terms.column(c) for c in COLUMNS])
    )


def test_pypika_still_refuses_a_returning_column_of_another_table() -> None:
    mine, other = TableTerms("mine"), TableTerms("other")
    insert = PostgreSQLQuery.into(mine.table).columns(mine.columns(["x"], bare=True))
    insert = insert.insert(Parameter("?"))
    with pytest.raises(QueryException, match="other tables"):
        insert.returning(Columns([mine.column("x"), other.column("x")]))
    assert str(insert.returning(mine.columns(["x"]))).endswith(' RETURNING "mine"."x"')


def test_a_list_refuses_an_aliased_term() -> None:
    with pytest.raises(TypeError, match="without an alias"):
        Columns([Field("x").as_("y")])
