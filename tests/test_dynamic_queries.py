"""The dynamic_queries golden package runs on every backend (issue 22): aiosqlite,
libSQL over ws and http, the embedded replica, and PostgreSQL.

`:execlastid`, `:batchexec`, IN / NOT IN lists (empty included), `@optional`
with an optional IN-list, `@order-by` with keyset pages, `IS :x` (None is
compared as NULL, not left out), `embed` on an outer join, and `patch_by_id`
reading back what an AFTER UPDATE trigger wrote (create_schema installs it
on every backend; PostgreSQL runs the golden's PL/pgSQL version). Then EXPLAIN QUERY PLAN on
the shipped OAuth queries: a given filter uses its index, an omitted one
leaves no predicate behind.
"""

from __future__ import annotations

import datetime
import importlib
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import pytest_asyncio
from conformance.harness_libsql import conformance_server
from test_golden import GOLDEN, materialise_golden

from generated import _sql_sqlite_qmark as oauth_sql
from generated.schema import SCHEMA_SQL

CASE = GOLDEN / "dynamic_queries"


@pytest.fixture
def package(tmp_path: Path) -> Iterator[ModuleType]:
    materialise_golden(CASE, tmp_path / "dq_golden", tmp_path / "generation")
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("dq_golden")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "dq_golden" or m.startswith("dq_golden.")]:
            del sys.modules[name]


@pytest_asyncio.fixture(params=["aiosqlite", "libsql-ws", "libsql-http", "replica", "postgres"])
async def backend(
    request: pytest.FixtureRequest, package: ModuleType, tmp_path: Path
) -> AsyncIterator[tuple[ModuleType, Any]]:
    name = {"libsql-ws": "libsql", "libsql-http": "libsql", "replica": "libsql_replica"}
    module = importlib.import_module(f"dq_golden.{name.get(request.param, request.param)}")
    if request.param == "aiosqlite":
        db = module.SqliteDatabase(str(tmp_path / "dq.db"))
        await package.create_schema(db)
    elif request.param != "postgres":  # the conformance suite's sqld, emptied first
        server = conformance_server(request)
        url = {
            "libsql-ws": f"libsql://127.0.0.1:{server.hrana_port}?tls=0",
            "libsql-http": server.http_url,
            "replica": f"libsql://127.0.0.1:{server.http_port}?tls=0"
            f"&replica={server.base_dir / 'dq-replica.db'}",
        }[request.param]
        db = await package.connect(url, timeout=10)
        tables = await db.fetch_all(  # newest first: children before their parents
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' "
            "ORDER BY rowid DESC",
            (),
        )
        drops = [f'DROP TABLE IF EXISTS "{t}"' for (t,) in tables]
        await db.execute_script(";\n".join(["PRAGMA defer_foreign_keys = ON", *drops]))
        await package.create_schema(db)
    else:
        server = request.getfixturevalue("postgres_server")
        db = module.PostgresDatabase(server.url, timeout=10)
        await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        await module.create_schema(db)
    try:
        yield module, db
    finally:
        await db.close()


def ok(result: Any) -> Any:
    assert result.status is True, result
    return result.client_message


def code(result: Any) -> str:
    assert result.status is False, result
    return str(result.error_code.value)


async def test_every_kind_runs(backend: tuple[ModuleType, Any], package: ModuleType) -> None:
    module, db = backend
    authors, posts = module.AuthorStore(db), module.PostStore(db)
    ann = ok(await authors.add_author_once("ann", "ann@example.org", "r"))
    assert code(await authors.add_author_once("ann", None, "r")) == "NOT_FOUND"
    bob = ok(await authors.add_author_once("bob", None, "r"))
    assert ann != bob and isinstance(ann, int)
    ids = [
        ok(await posts.add_post(ann, "b-title", "draft", 10, "r")),
        ok(await posts.add_post(bob, "a-title", "draft", 10, "r")),
        ok(await posts.add_post(None, "c-title", "published", 5, "r")),
        ok(await posts.add_post(ann, "d-title", "draft", 20, "r")),
    ]
    day = datetime.date(2024, 5, 1)
    assert ok(await posts.publish_posts([(day, ids[0]), (day, ids[2]), (day, ids[3])], "r")) == 2
    assert ok(await posts.get_by_id(ids[3], "r")).published_on == day

    assert [p.id for p in ok(await posts.posts_by_ids([ids[1], ids[1], 999], "r"))] == [ids[1]]
    assert ok(await posts.posts_by_ids([], "r")) == []
    assert ok(await posts.posts_except([], "r")) == ids
    assert ok(await posts.posts_except((ids[0], ids[2]), "r")) == [ids[1], ids[3]]
    assert code(await posts.posts_by_ids("12", "r")) == "INVALID_ARGUMENT"

    everything = ok(await posts.list_posts("r"))
    assert [p.id for p in everything] == [ids[2], ids[0], ids[1], ids[3]]  # created_at, id
    assert [p.id for p in ok(await posts.list_posts("r", author_id=ann))] == [ids[0], ids[3]]
    got = ok(await posts.list_posts("r", status="published", ids=[ids[3], ids[2]]))
    assert [p.id for p in got] == [ids[2], ids[3]]
    assert ok(await posts.list_posts("r", ids=[])) == []
    pages, after = [], None
    while page := ok(await posts.list_posts("r", order_by="-title", limit=3, after=after)):
        pages += page
        after = page[-1]
    assert [p.title for p in pages] == ["d-title", "c-title", "b-title", "a-title"]
    assert code(await posts.list_posts("r", order_by="edits")) == "INVALID_ARGUMENT"

    titles, after_row = [], None
    while page := ok(await posts.list_post_titles("r", status="draft", limit=1, after=after_row)):
        titles += [(p.title, p.created_at) for p in page]
        after_row = page[-1]
    assert titles == [("a-title", 10)]  # the others were published above
    newest = ok(await posts.list_post_titles("r", order_by="-created_at", limit=2))
    assert [p.id for p in newest] == [ids[3], ids[1]]  # created_at 20, then 10 (higher id)
    assert isinstance(newest[0], package.ListPostTitlesRow)

    assert ok(await posts.posts_with_author(None, "r")) == [ids[2]]
    assert ok(await posts.posts_with_author(bob, "r")) == [ids[1]]

    rows = ok(await posts.posts_with_authors("r"))
    assert [(r.post.id, r.author.name if r.author else None) for r in rows] == [
        (ids[0], "ann"),
        (ids[1], "bob"),
        (ids[2], None),
        (ids[3], "ann"),
    ]
    assert isinstance(rows[0].post, package.Post) and isinstance(rows[0].author, package.Author)


async def test_patch_reads_back_the_trigger(backend: tuple[ModuleType, Any]) -> None:
    module, db = backend
    posts = module.PostStore(db)
    post_id = ok(await posts.add_post(None, "draft one", "draft", 1, "r"))
    patched = ok(await posts.patch_by_id(post_id, "r", title="final", published_on=None))
    assert (patched.title, patched.status, patched.published_on) == ("final", "draft", None)
    assert patched.edits == 1  # written by the AFTER UPDATE trigger, read back
    day = datetime.date(2025, 1, 2)
    patched = ok(await posts.patch_by_id(post_id, "r", published_on=day))
    assert (patched.title, patched.published_on) == ("final", day)
    assert code(await posts.patch_by_id(post_id + 100, "r", title="x")) == "NOT_FOUND"


# ------------------------------------------------------------------ query plans


def _plan(sql: str, params: list[object]) -> list[str]:
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA_SQL)
    return [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_a_given_filter_uses_its_index() -> None:
    variants = oauth_sql._AccessTokenSql.SEARCH_ACCESS_TOKENS
    for mask, index in ((1, "idx_oauth_access_tokens_client_id"), (2, "user_id")):
        sql, picks = variants[(mask, "expires_at", False)]
        plan = _plan(sql, [None] * len(picks))
        assert any(index in step and step.startswith("SEARCH") for step in plan), plan
    sql, _ = oauth_sql._AuditLogSql.SEARCH_AUDIT_LOGS[(1, "created_at", False)]
    plan = _plan(sql, ['["token.issued"]', 10])
    assert any("idx_oauth_audit_logs_event_type" in s for s in plan), plan


def test_an_omitted_filter_leaves_no_predicate() -> None:
    variants = oauth_sql._AccessTokenSql.SEARCH_ACCESS_TOKENS
    sql, picks = variants[(0, "created_at", False)]
    assert " WHERE " not in sql and picks == (3,)
    plan = _plan(sql, [10])
    assert plan[0] == "SCAN oauth_access_tokens USING INDEX idx_oauth_access_tokens_created_at"
    sql, _ = variants[(1, "created_at", False)]
    assert "user_id" not in sql.split("FROM", 1)[1] and "expires_at >" not in sql
    for (mask, _order, _after), (text, _) in variants.items():
        assert " IS NULL OR " not in text
        assert ("client_id =" in text) == bool(mask & 1)
