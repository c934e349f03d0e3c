"""Named queries: type resolution, parameter inference, checks and SQL rewriting.

Table-driven: one helper types a query against a small schema, and each case
is one line of SQL with the columns and parameters it must yield, written as
``name:type`` where type is ``table.column`` or a plain type, with ``?`` for
nullable.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storegen.cli import main
from storegen.errors import SchemaError
from storegen.schema.ir import Query, QueryColumn, QueryParam
from storegen.schema.parse import parse_schema
from storegen.queries.parse import parse_queries, placeholder_sql, transpile_query
from storegen.queries.methods import row_class_name
from storegen.schema.validate import validate_schema

SCHEMA = """
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    nickname TEXT,
    is_admin INTEGER NOT NULL CHECK (is_admin IN (0, 1)),
    born DATE
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id TEXT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    score REAL,
    views INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('draft', 'live'))
);
"""


def typed(query: str, kind: str = "many") -> Query:
    sources = [("schema.sql", SCHEMA)]
    schema = validate_schema(parse_schema(sources), sources)
    text = f"-- name: q :{kind}\n{query};\n"
    (parsed,) = parse_queries([("queries.sql", text)], schema)
    return parsed


def spell(value: QueryColumn | QueryParam) -> str:
    kind = f"{value.table}.{value.column}" if value.column else value.primitive
    return f"{value.name}:{kind}{'?' if value.nullable else ''}"


COLUMN_CASES = [
    ("SELECT id, email FROM users", "id:users.id email:users.email"),
    ("SELECT nickname AS nick FROM users", "nick:users.nickname?"),
    ("SELECT u.born FROM users u", "born:users.born?"),
    ("SELECT COUNT(*) AS n FROM users", "n:int"),
    (
        "SELECT MAX(views) AS top, MIN(title) AS first FROM posts",
        "top:posts.views? first:posts.title?",
    ),
    (
        "SELECT SUM(views) AS v, SUM(score) AS s, AVG(views) AS a FROM posts",
        "v:int? s:float? a:float?",
    ),
    ("SELECT COALESCE(nickname, email) AS shown FROM users", "shown:users.nickname"),
    ("SELECT COALESCE(score, NULL) AS s FROM posts", "s:posts.score?"),
    ("SELECT IFNULL(score, 0) AS s FROM posts", "s:posts.score"),
    ("SELECT CASE WHEN views > 1 THEN 'hot' ELSE 'cold' END AS heat FROM posts", "heat:str"),
    ("SELECT CASE WHEN views > 1 THEN 'hot' END AS heat FROM posts", "heat:str?"),
    ("SELECT CASE WHEN views > 1 THEN views ELSE score END AS x FROM posts", "x:float?"),
    ("SELECT CAST(score AS INTEGER) AS s FROM posts", "s:int?"),
    ("SELECT views + 1 AS v, views * 1.5 AS w FROM posts", "v:int w:float"),
    ("SELECT title || '!' AS t, views > 3 AS popular FROM posts", "t:str popular:bool"),
    ("SELECT score IS NULL AS unscored FROM posts", "unscored:bool"),
    (
        "SELECT p.title, u.email FROM posts p LEFT JOIN users u ON u.id = p.author_id",
        "title:posts.title email:users.email?",
    ),
    (
        "SELECT p.title, u.email FROM posts p JOIN users u ON u.id = p.author_id",
        "title:posts.title email:users.email",
    ),
    (
        "SELECT u.email, p.id FROM users u LEFT OUTER JOIN posts p ON p.author_id = u.id",
        "email:users.email id:posts.id?",
    ),
    ("SELECT (SELECT COUNT(*) FROM posts) AS n FROM users", "n:int?"),
    ("SELECT s.t FROM (SELECT title AS t FROM posts) AS s", "t:posts.title"),
    ("SELECT id FROM users UNION SELECT author_id FROM posts", "id:users.id"),
    ("SELECT LENGTH(title) AS n, LOWER(nickname) AS l FROM posts, users", "n:int l:str?"),
    # WITH: a CTE's columns come from its own select list (or its column list).
    ("WITH t AS (SELECT id, email FROM users) SELECT * FROM t", "id:users.id email:users.email"),
    (
        "WITH t(a, b) AS (SELECT id, nickname FROM users) SELECT t.a, b FROM t",
        "a:users.id b:users.nickname?",
    ),
    (
        "WITH a AS (SELECT id FROM users), b AS (SELECT id AS k FROM a) SELECT k FROM b",
        "k:users.id",
    ),
    (
        "WITH h AS (SELECT author_id, SUM(views) AS v FROM posts GROUP BY author_id) "
        "SELECT u.email, h.v FROM users u LEFT JOIN h ON h.author_id = u.id",
        "email:users.email v:int?",
    ),
    (
        "WITH RECURSIVE c(id, depth) AS (SELECT id, 0 FROM posts UNION ALL "
        "SELECT p.id, c.depth + 1 FROM posts p JOIN c ON p.views = c.id) SELECT id, depth FROM c",
        "id:posts.id depth:int",
    ),
    (
        "WITH posts AS (SELECT email AS title FROM users) SELECT title FROM posts",
        "title:users.email",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), COLUMN_CASES, ids=[c[0] for c in COLUMN_CASES])
def test_result_column_types(sql: str, expected: str) -> None:
    assert " ".join(spell(c) for c in typed(sql).columns) == expected


PARAM_CASES = [
    ("SELECT id FROM users WHERE email = :email", "email:users.email"),
    ("SELECT id FROM users WHERE :email = email", "email:users.email"),
    ("SELECT id FROM users WHERE nickname = :nick", "nick:users.nickname"),
    ("SELECT id FROM posts WHERE state IN (:a, :b)", "a:posts.state b:posts.state"),
    ("SELECT id FROM posts WHERE views BETWEEN :lo AND :hi", "lo:posts.views hi:posts.views"),
    ("SELECT id FROM posts WHERE views > :n + 1", "n:int"),
    ("SELECT id FROM posts LIMIT :limit OFFSET :offset", "limit:int offset:int"),
    ("SELECT id FROM users WHERE is_admin = :admin", "admin:users.is_admin"),
    (
        "SELECT p.id FROM posts p JOIN users u ON u.id = p.author_id WHERE u.born < :d",
        "d:users.born",
    ),
    ("SELECT id FROM posts WHERE COALESCE(score, :fallback) > 1", "fallback:posts.score"),
    (
        "SELECT id FROM posts WHERE author_id IN (SELECT id FROM users WHERE email = :e)",
        "e:users.email",
    ),
    ("WITH t(x) AS (SELECT email FROM users) SELECT x FROM t WHERE x = :e", "e:users.email"),
    (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :top) "
        "SELECT p.id FROM posts p JOIN n ON p.views = n.i",
        "top:int",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), PARAM_CASES, ids=[c[0] for c in PARAM_CASES])
def test_param_types(sql: str, expected: str) -> None:
    assert " ".join(spell(p) for p in typed(sql).params) == expected


WRITE_CASES = [
    (
        "UPDATE users SET nickname = :nick WHERE id = :id",
        "exec",
        "nick:users.nickname? id:users.id",
        "",
    ),
    (
        "UPDATE users SET nickname = :v WHERE nickname = :v",  # compared too: never None
        "exec",
        "v:users.nickname",
        "",
    ),
    (
        "INSERT INTO posts (author_id, title, state, score) VALUES (:a, :t, :s, :score)",
        "exec",
        "a:posts.author_id t:posts.title s:posts.state score:posts.score?",
        "",
    ),
    ("DELETE FROM posts WHERE views < :v RETURNING id, title", "many", "v:posts.views", "id title"),
    (
        "INSERT INTO users (id, email, is_admin) VALUES (:id, :email, 0) "
        "ON CONFLICT (id) DO UPDATE SET email = excluded.email RETURNING *",
        "one",
        "id:users.id email:users.email",
        "id email nickname is_admin born",
    ),
]


@pytest.mark.parametrize(("sql", "kind", "params", "columns"), WRITE_CASES)
def test_writes(sql: str, kind: str, params: str, columns: str) -> None:
    query = typed(sql, kind)
    assert query.writes
    assert " ".join(spell(p) for p in query.params) == params
    assert " ".join(c.name for c in query.columns) == columns


def test_annotated_param_wins() -> None:
    sources = [("schema.sql", SCHEMA)]
    schema = validate_schema(parse_schema(sources), sources)
    text = "-- name: q :many\n-- param: x float | None\nSELECT id FROM posts WHERE :x IS NULL OR views > :x;\n"
    (query,) = parse_queries([("queries.sql", text)], schema)
    assert [spell(p) for p in query.params] == ["x:float?"]


ROW_TABLE_CASES = [
    ("SELECT * FROM users", "users"),
    ("SELECT u.* FROM users u JOIN posts p ON p.author_id = u.id", "users"),
    ("SELECT id, email, nickname, is_admin, born FROM users", "users"),
    ("SELECT id, email, nickname, born, is_admin FROM users", None),  # order differs
    ("SELECT id, email FROM users", None),
    ("SELECT u.* FROM posts p LEFT JOIN users u ON u.id = p.author_id", None),  # nullable side
]


@pytest.mark.parametrize(("sql", "table"), ROW_TABLE_CASES, ids=[c[0] for c in ROW_TABLE_CASES])
def test_row_table(sql: str, table: str | None) -> None:
    assert typed(sql).row_table == table


def test_owner_table() -> None:
    assert (
        typed("SELECT COUNT(*) AS n FROM posts p JOIN users u ON u.id = p.author_id").table
        == "posts"
    )
    assert typed("DELETE FROM users WHERE id = :id", "exec").table == "users"


ERROR_CASES = [
    ("SELECT nope FROM users", "no such column: nope", "2:8"),
    ("SELECT id FROM nowhere", "no such table: nowhere", "2:16"),
    ("SELECT id FROM users WHERE", "incomplete input", "2:1"),
    ("SELECT id FROM users WHERE :flag", "cannot infer the type of :flag", "2:28"),
    ("SELECT id FROM users WHERE id = ?", "write parameters as :name", "2:33"),
    ("SELECT max(views, 1) + :x AS y FROM posts", "", ""),  # :x typed by the other side
    ("SELECT max(id, 1) AS y FROM users", "cannot infer the type of result column 1", ""),
    ("SELECT id, id FROM users", "two result columns are called id", ""),
    ("SELECT * FROM posts p JOIN users u ON u.id = p.author_id", "called id", ""),
    ("SELECT :x AS y FROM users", "cannot be a result column", ""),
    ("SELECT random() AS r FROM users", "cannot infer the type of result column 1", ""),
]


@pytest.mark.parametrize(("sql", "message", "where"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors(sql: str, message: str, where: str) -> None:
    if not message:
        typed(sql)
        return
    with pytest.raises(SchemaError) as raised:
        typed(sql)
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"queries.sql:{where}" if where else "queries.sql:")


def test_kind_errors() -> None:
    with pytest.raises(SchemaError, match=":scalar but returns 2 columns"):
        typed("SELECT id, email FROM users", "scalar")
    with pytest.raises(SchemaError, match=":execrows but does not write"):
        typed("SELECT id FROM users", "execrows")
    with pytest.raises(SchemaError, match=":one but returns no columns"):
        typed("DELETE FROM users", "one")


def test_duplicate_query_names() -> None:
    sources = [("schema.sql", SCHEMA)]
    schema = validate_schema(parse_schema(sources), sources)
    text = "-- name: q :many\nSELECT id FROM users;\n\n-- name: q :many\nSELECT id FROM posts;\n"
    with pytest.raises(SchemaError, match=r"queries.sql:4:1: query q is defined twice"):
        parse_queries([("queries.sql", text)], schema)


def test_placeholders_are_numbered_by_first_appearance() -> None:
    sql = "UPDATE t\n  SET a = :now,   b = ':x'  -- note\n WHERE c = :c AND d > :now"
    assert placeholder_sql(sql, ["now", "c"]) == (
        "UPDATE t SET a = ?1, b = ':x' WHERE c = ?2 AND d > ?1"
    )


def test_transpile_to_postgres() -> None:
    sql = "SELECT id FROM t WHERE a = :a AND b > :b AND c < :a LIMIT :n"
    assert transpile_query(sql, ["a", "b", "n"], "postgres") == (
        "SELECT id FROM t WHERE a = $1 AND b > $2 AND c < $1 LIMIT $3"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [("count_events_by_type", "CountEventsByTypeRow"), ("oauth_grants", "OAuthGrantsRow")],
)
def test_row_class_name(name: str, expected: str) -> None:
    assert row_class_name(name, ("OAuth",)) == expected


def test_cli_queries_flag_inspect_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--queries` adds a query file; inspect shows the typed queries; a bad one exits 2."""
    (tmp_path / "schema.sql").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "q.sql").write_text(
        "-- name: user_emails :many\nSELECT email FROM users WHERE is_admin = :admin;\n",
        encoding="utf-8",
    )
    (tmp_path / "storegen.toml").write_text('schema = ["schema.sql"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = ["--config", "storegen.toml"]
    assert main(["inspect", *config, "--queries", "q.sql"]) == 0
    (query,) = json.loads(capsys.readouterr().out)["queries"]
    assert query["name"] == "user_emails" and query["kind"] == "many"
    assert query["params"][0]["column"] == "is_admin"
    assert main(["generate", *config, "--queries", "q.sql", "--out", "out"]) == 0
    contracts = (tmp_path / "out" / "contracts.py").read_text(encoding="utf-8")
    assert "async def user_emails(self, admin: bool, ray_id: str | None = None) -> Result[list[str]]" in contracts
    (tmp_path / "q.sql").write_text(
        "-- name: broken :many\nSELECT emale FROM users;\n", encoding="utf-8"
    )
    assert main(["generate", *config, "--queries", "q.sql", "--out", "out"]) == 2
    assert "q.sql:2:8: query broken: SQLite rejects it: no such column: emale" in (
        capsys.readouterr().err
    )
