"""Named queries over views and FTS5 tables are typed, never Any."""

from __future__ import annotations

from pathlib import Path

import pytest

from storegen.errors import SchemaError
from storegen.queries.parse import parse_queries
from storegen.schema.ir import Query, Schema
from storegen.schema.files import read_schema_files
from storegen.schema.parse import parse_schema
from storegen.schema.validate import validate_schema

GOLDEN = Path(__file__).resolve().parent / "golden"


def schema_of(case: str) -> Schema:
    sources = read_schema_files([GOLDEN / case / "schema.sql"])
    return validate_schema(parse_schema(sources), sources)


def query(case: str, sql: str) -> Query:
    (found,) = parse_queries([("q.sql", sql)], schema_of(case))
    return found


def columns(found: Query) -> list[tuple[str, str | None, str | None, str | None, bool]]:
    return [(c.name, c.table, c.column, c.primitive, c.nullable) for c in found.columns]


def test_a_view_column_keeps_its_table_column_and_a_left_join_makes_it_nullable() -> None:
    found = query("music_store", "-- name: details :many\nSELECT * FROM track_details;")
    assert found.table == "tracks"  # a query over a view belongs to the first table it reads
    assert columns(found) == [
        ("track_id", "tracks", "id", None, False),
        ("track_name", "tracks", "name", None, False),
        ("album_title", "albums", "title", None, False),
        ("artist_name", "artists", "name", None, False),
        ("genre_name", "genres", "name", None, True),
        ("unit_price", "tracks", "unit_price", None, False),
    ]


def test_a_view_over_a_view_and_aggregates_are_typed() -> None:
    found = query(
        "music_store",
        "-- name: spenders :many\n-- table: customers\n"
        "SELECT customer_id, spent FROM big_spenders WHERE spent > :least;",
    )
    assert columns(found) == [
        ("customer_id", "customers", "id", None, False),
        ("spent", None, None, "float", False),
    ]
    assert [(p.name, p.primitive) for p in found.params] == [("least", "float")]


def test_fts_columns_and_functions_are_typed() -> None:
    found = query(
        "notes_search",
        "-- name: s :many\n"
        "SELECT rowid AS id, title, rank, bm25(notes_fts) AS score,\n"
        "  highlight(notes_fts, 0, '<', '>') AS h, snippet(notes_fts, 1, '<', '>', '', 4) AS x\n"
        "FROM notes_fts WHERE notes_fts MATCH :words;",
    )
    assert found.table == "notes"  # an external-content index belongs to its content table
    assert columns(found) == [
        ("id", None, None, "int", False),
        ("title", None, None, "str", True),
        ("rank", None, None, "float", False),
        ("score", None, None, "float", False),
        ("h", None, None, "str", True),
        ("x", None, None, "str", True),
    ]
    assert [(p.name, p.primitive) for p in found.params] == [("words", "str")]


def test_rank_without_match_may_be_null() -> None:
    found = query("notes_search", "-- name: r :many\nSELECT rank FROM notes_fts;")
    assert columns(found) == [("rank", None, None, "float", True)]


def test_star_over_fts_leaves_out_its_hidden_columns() -> None:
    found = query("notes_search", "-- name: r :many\nSELECT * FROM notes_fts;")
    assert [c.name for c in found.columns] == ["title", "body"]


def test_unknown_view_is_still_refused_by_sqlite() -> None:
    with pytest.raises(SchemaError) as caught:
        query("notes_search", "-- name: r :many\nSELECT id FROM recent_note;")
    assert "no such table: recent_note" in caught.value.message


def test_a_query_over_an_index_holding_its_own_text_names_its_table() -> None:
    sql = "-- name: notes :many\nSELECT rowid AS id FROM staff_notes WHERE staff_notes MATCH :q;"
    with pytest.raises(SchemaError) as caught:
        query("music_store", sql)
    assert caught.value.message == (
        "query notes reads staff_notes, which has no table behind it to belong to: "
        "add `-- table: TABLE` above it"
    )
    found = query("music_store", sql.replace(":many\n", ":many\n-- table: employees\n"))
    assert found.table == "employees"
