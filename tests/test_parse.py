"""Schema files to IR: one helper, many one-line cases, plus the real schema.

Each construct case is ``(sql, what to look at, expected)``; each error case is
``(sql, part of the message, "file:line:col")``. Several SQL strings joined by
``FILES`` become several schema files, a.sql, b.sql, ... in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storegen.errors import SchemaError
from storegen.schema.ir import Affinity, Default, FkAction, ForeignKey, Index, PrimaryKey, Schema
from storegen.schema.ir import Table, UniqueKey
from storegen.schema.files import read_schema_files
from storegen.schema.parse import parse_schema
from storegen.schema.validate import validate_schema

FILES = "\n-- next file --\n"
ROOT = Path(__file__).resolve().parent.parent


def sources(sql: str) -> list[tuple[str, str]]:
    parts = sql.split(FILES)
    names = ["schema.sql"] if len(parts) == 1 else [f"{chr(97 + i)}.sql" for i in range(len(parts))]
    return list(zip(names, parts))


def load(sql: str) -> Schema:
    """Parse and cross-check with SQLite, as `storegen generate` does."""
    return validate_schema(parse_schema(sources(sql)), sources(sql))


def table(schema: Schema) -> Table:
    return schema.tables[-1]


def attr(name: str, field: str) -> Callable[[Schema], Any]:
    return lambda schema: getattr(table(schema).column(name), field)


def tbl(field: str) -> Callable[[Schema], Any]:
    return lambda schema: getattr(table(schema), field)


P = pytest.param
PARENT = "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE);\n"
TRIGGER = """CREATE TRIGGER trg AFTER INSERT ON t BEGIN
  UPDATE t SET a = CASE WHEN new.a > 0 THEN 1 ELSE 0 END WHERE rowid = new.rowid;
  DELETE FROM t WHERE a IS NULL;
END;
"""

# fmt: off
CONSTRUCTS = [
    # names: quoting, keywords, schema prefix
    P('CREATE TABLE "my t" ("a b" TEXT)', lambda s: (table(s).name, table(s).columns[0].name), ("my t", "a b"), id="double-quotes"),
    P("CREATE TABLE [t] ([a] TEXT)", lambda s: (table(s).name, table(s).columns[0].name), ("t", "a"), id="brackets"),
    P("CREATE TABLE `t` (`a` TEXT)", lambda s: (table(s).name, table(s).columns[0].name), ("t", "a"), id="backticks"),
    P('CREATE TABLE t ("a""b" TEXT)', lambda s: table(s).columns[0].name, 'a"b', id="escaped-quote"),
    P('CREATE TABLE t (interval INTEGER, type TEXT, state TEXT, class TEXT, "order" INT, "from" INT)', lambda s: [c.name for c in table(s).columns], ["interval", "type", "state", "class", "order", "from"], id="keyword-columns"),
    P("CREATE TABLE main.t (a)", tbl("name"), "t", id="main-prefix"),
    P("CREATE TABLE IF NOT EXISTS t (a)", tbl("name"), "t", id="if-not-exists"),
    # declared types and affinity (SQLite's rules, not sqlglot's types)
    P("CREATE TABLE t (a NVARCHAR(20))", lambda s: (attr("a", "declared_type")(s), attr("a", "affinity")(s)), ("NVARCHAR(20)", Affinity.TEXT), id="nvarchar"),
    P("CREATE TABLE t (a DECIMAL(10,2))", lambda s: (attr("a", "declared_type")(s), attr("a", "affinity")(s)), ("DECIMAL(10,2)", Affinity.NUMERIC), id="decimal"),
    P("CREATE TABLE t (a DATETIME)", attr("a", "affinity"), Affinity.NUMERIC, id="datetime"),
    P("CREATE TABLE t (a UNSIGNED BIG INT)", lambda s: (attr("a", "declared_type")(s), attr("a", "affinity")(s)), ("UNSIGNED BIG INT", Affinity.INTEGER), id="unsigned-big-int"),
    P("CREATE TABLE t (a)", lambda s: (attr("a", "declared_type")(s), attr("a", "affinity")(s)), ("", Affinity.BLOB), id="no-type"),
    P("CREATE TABLE t (a DOUBLE PRECISION)", attr("a", "affinity"), Affinity.REAL, id="double"),
    P("CREATE TABLE t (a FLOATING POINT)", attr("a", "affinity"), Affinity.INTEGER, id="floating-point-has-INT"),
    P("CREATE TABLE t (a CLOB)", attr("a", "affinity"), Affinity.TEXT, id="clob"),
    P("CREATE TABLE t (a BLOB)", attr("a", "affinity"), Affinity.BLOB, id="blob"),
    P("CREATE TABLE t (a BOOLEAN NOT NULL)", lambda s: (attr("a", "affinity")(s), attr("a", "not_null")(s)), (Affinity.NUMERIC, True), id="boolean-not-null"),
    P("CREATE TABLE t (a INT NULL)", attr("a", "not_null"), False, id="explicit-null"),
    P("CREATE TABLE t (a TEXT COLLATE NOCASE NOT NULL)", attr("a", "not_null"), True, id="collate"),
    # defaults
    P("CREATE TABLE t (a INT DEFAULT 0)", attr("a", "default"), Default("0", True, 0), id="default-int"),
    P("CREATE TABLE t (a INT DEFAULT -5)", attr("a", "default"), Default("-5", True, -5), id="default-negative"),
    P("CREATE TABLE t (a REAL DEFAULT -0.5)", attr("a", "default"), Default("-0.5", True, -0.5), id="default-negative-real"),
    P("CREATE TABLE t (a INT DEFAULT +5)", attr("a", "default"), Default("+5", True, 5), id="default-plus"),
    P("CREATE TABLE t (a TEXT DEFAULT 'it''s;ok')", attr("a", "default"), Default("'it''s;ok'", True, "it's;ok"), id="default-string"),
    P("CREATE TABLE t (a TEXT DEFAULT NULL)", attr("a", "default"), Default("NULL", True, None), id="default-null"),
    P("CREATE TABLE t (a INT DEFAULT TRUE)", attr("a", "default"), Default("TRUE", True, 1), id="default-true"),
    P("CREATE TABLE t (a INT DEFAULT (7))", attr("a", "default"), Default("(7)", True, 7), id="default-parenthesised"),
    P("CREATE TABLE t (a INT DEFAULT (strftime('%s', 'now')))", attr("a", "default"), Default("(strftime('%s', 'now'))", False), id="default-expression"),
    P("CREATE TABLE t (a TEXT DEFAULT CURRENT_TIMESTAMP)", attr("a", "default"), Default("CURRENT_TIMESTAMP", False), id="default-current-timestamp"),
    P("CREATE TABLE t (a BLOB DEFAULT X'00ff')", attr("a", "default"), Default("X'00ff'", False), id="default-blob"),
    # primary keys
    P("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)", tbl("primary_key"), PrimaryKey(("id",), True, True), id="autoincrement"),
    P("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)", attr("id", "autoincrement"), True, id="autoincrement-column"),
    P("CREATE TABLE t (id integer primary key)", tbl("primary_key"), PrimaryKey(("id",), True), id="rowid-alias-lower-case"),
    P("CREATE TABLE t (id INT PRIMARY KEY)", tbl("primary_key"), PrimaryKey(("id",), False), id="int-is-no-rowid-alias"),
    P("CREATE TABLE t (id INTEGER PRIMARY KEY DESC)", tbl("primary_key"), PrimaryKey(("id",), False), id="desc-is-no-rowid-alias"),
    P("CREATE TABLE t (id INTEGER, PRIMARY KEY (id DESC))", tbl("primary_key"), PrimaryKey(("id",), True), id="table-level-desc-is-alias"),
    P("CREATE TABLE t (id INTEGER PRIMARY KEY) WITHOUT ROWID", tbl("primary_key"), PrimaryKey(("id",), False), id="without-rowid-no-alias"),
    P("CREATE TABLE t (a TEXT, b INT, PRIMARY KEY (a, B))", tbl("primary_key"), PrimaryKey(("a", "b")), id="composite-pk"),
    P("CREATE TABLE t (a TEXT, CONSTRAINT pk_t PRIMARY KEY (a))", tbl("primary_key"), PrimaryKey(("a",)), id="named-pk"),
    P("CREATE TABLE t (a TEXT)", tbl("primary_key"), None, id="no-pk"),
    P("CREATE TABLE t (a INT PRIMARY KEY ON CONFLICT REPLACE, b INT NOT NULL ON CONFLICT IGNORE)", attr("b", "not_null"), True, id="on-conflict"),
    # unique keys and indexes
    P("CREATE TABLE t (a TEXT UNIQUE)", tbl("unique_keys"), (UniqueKey(("a",), "column"),), id="unique-column"),
    P("CREATE TABLE t (a TEXT CONSTRAINT u_a UNIQUE)", tbl("unique_keys"), (UniqueKey(("a",), "column", "u_a"),), id="unique-column-named"),
    P("CREATE TABLE t (a TEXT, b TEXT, CONSTRAINT u_ab UNIQUE (a, b))", tbl("unique_keys"), (UniqueKey(("a", "b"), "table", "u_ab"),), id="unique-table-named"),
    P("CREATE TABLE t (a TEXT, UNIQUE (A COLLATE NOCASE DESC))", tbl("unique_keys"), (UniqueKey(("a",), "table", nocase=("a",)),), id="unique-collate-desc"),
    P("CREATE TABLE t (a TEXT); CREATE UNIQUE INDEX ux ON t (A)", tbl("unique_keys"), (UniqueKey(("a",), "index", "ux"),), id="unique-index"),
    P("CREATE TABLE t (a TEXT); CREATE UNIQUE INDEX ux ON t (a)", tbl("indexes"), (Index("ux", ("a",), "CREATE UNIQUE INDEX ux ON t (a)", True),), id="unique-index-listed"),
    P("CREATE TABLE t (a TEXT); CREATE UNIQUE INDEX ux ON t (a) WHERE a IS NOT NULL", tbl("unique_keys"), (), id="partial-unique-is-no-key"),
    P("CREATE TABLE t (a INT, b INT);\nCREATE INDEX IF NOT EXISTS ix ON t (a, b DESC) WHERE a > 0", tbl("indexes"), (Index("ix", ("a", "b"), "CREATE INDEX IF NOT EXISTS ix ON t (a, b DESC) WHERE a > 0", False, "a > 0"),), id="partial-index"),
    P("CREATE TABLE t (a TEXT); CREATE INDEX ix ON t (lower(a))", lambda s: [(i.name, i.columns, i.expression) for i in table(s).indexes], [("ix", (), True)], id="expression-index-kept"),
    # foreign keys
    P(PARENT + "CREATE TABLE t (a INT REFERENCES p(id))", tbl("foreign_keys"), (ForeignKey(("a",), "p", ("id",)),), id="fk-column"),
    P(PARENT + "CREATE TABLE t (a INT REFERENCES p)", tbl("foreign_keys"), (ForeignKey(("a",), "p", ("id",)),), id="fk-resolves-to-parent-pk"),
    P(PARENT + "CREATE TABLE t (a INT REFERENCES P(ID))", tbl("foreign_keys"), (ForeignKey(("a",), "p", ("id",)),), id="fk-canonical-names"),
    P(PARENT + "CREATE TABLE t (a TEXT REFERENCES p(code))", lambda s: table(s).foreign_keys[0].ref_columns, ("code",), id="fk-to-unique"),
    P(PARENT + "CREATE TABLE t (a INT REFERENCES p ON DELETE CASCADE)", lambda s: table(s).foreign_keys[0].on_delete, FkAction.CASCADE, id="fk-cascade"),
    P(PARENT + "CREATE TABLE t (a INT REFERENCES p ON DELETE SET NULL)", lambda s: table(s).foreign_keys[0].on_delete, FkAction.SET_NULL, id="fk-set-null"),
    P(PARENT + "CREATE TABLE t (a INT DEFAULT 0 REFERENCES p ON DELETE SET DEFAULT)", lambda s: table(s).foreign_keys[0].on_delete, FkAction.SET_DEFAULT, id="fk-set-default"),
    P(PARENT + "CREATE TABLE t (a INT REFERENCES p ON DELETE RESTRICT)", lambda s: table(s).foreign_keys[0].on_delete, FkAction.RESTRICT, id="fk-restrict"),
    P(PARENT + "CREATE TABLE t (a INT REFERENCES p ON update no action)", lambda s: table(s).foreign_keys[0].on_update, FkAction.NO_ACTION, id="fk-no-action"),
    P(PARENT + "CREATE TABLE t (a INT REFERENCES p ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED)", lambda s: (table(s).foreign_keys[0].on_update, table(s).foreign_keys[0].on_delete), (FkAction.CASCADE, FkAction.SET_NULL), id="fk-both-actions"),
    P(PARENT + "CREATE TABLE t (a INT, CONSTRAINT fk_a FOREIGN KEY (a) REFERENCES p (id) ON DELETE CASCADE)", tbl("foreign_keys"), (ForeignKey(("a",), "p", ("id",), FkAction.CASCADE, name="fk_a"),), id="fk-table-named"),
    P("CREATE TABLE p (x INT, y INT, PRIMARY KEY (x, y));\nCREATE TABLE t (a INT, b INT, FOREIGN KEY (a, b) REFERENCES p)", lambda s: table(s).foreign_keys[0].ref_columns, ("x", "y"), id="fk-composite-to-pk"),
    P("CREATE TABLE t (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES t(id))", tbl("foreign_keys"), (ForeignKey(("parent_id",), "t", ("id",)),), id="fk-self"),
    P("CREATE TABLE t (a INT REFERENCES p)" + FILES + "CREATE TABLE p (id INTEGER PRIMARY KEY)", lambda s: s.tables[0].foreign_keys[0].ref_columns, ("id",), id="fk-to-later-file"),
    # CHECK enums
    P("CREATE TABLE t (a INT CHECK (a IN (0, 1)))", attr("a", "check_in"), (0, 1), id="check-ints"),
    P("CREATE TABLE t (a INT CHECK (a IN (-1, 0, 1)))", attr("a", "check_in"), (-1, 0, 1), id="check-negative"),
    P("CREATE TABLE t (a TEXT CHECK (a IN ('x', 'y')))", attr("a", "check_in"), ("x", "y"), id="check-strings"),
    P("CREATE TABLE t (a TEXT CHECK (((a) IN ('x'))))", attr("a", "check_in"), ("x",), id="check-parentheses"),
    P("CREATE TABLE t (a TEXT, CHECK (a IN ('x', 'y')))", attr("a", "check_in"), ("x", "y"), id="check-table-level"),
    P("CREATE TABLE t (a TEXT, CONSTRAINT ck_a CHECK (A IN ('x')))", attr("a", "check_in"), ("x",), id="check-table-named"),
    P("CREATE TABLE t (a TEXT CHECK (length(a) > 0))", attr("a", "check_in"), None, id="check-other-shape"),
    P("CREATE TABLE t (a INT CHECK (a NOT IN (1, 2)))", attr("a", "check_in"), None, id="check-not-in"),
    P("CREATE TABLE t (a INT CHECK (a IN (1, 2) OR a IS NULL))", attr("a", "check_in"), None, id="check-in-or"),
    # generated columns, table options
    P("CREATE TABLE t (a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL)", lambda s: (attr("b", "generated")(s), attr("b", "hidden")(s)), (True, True), id="generated-virtual"),
    P("CREATE TABLE t (a INT, b INT AS (a + 1) STORED)", attr("b", "generated"), True, id="generated-stored"),
    P("CREATE TABLE t (a INT, b INT AS (a + 1) STORED)", attr("a", "generated"), False, id="not-generated"),
    P("CREATE TABLE t (a TEXT PRIMARY KEY) WITHOUT ROWID", lambda s: (table(s).without_rowid, table(s).strict), (True, False), id="without-rowid"),
    P('CREATE TABLE t (a "INTEGER" PRIMARY KEY)', lambda s: (attr("a", "declared_type")(s), table(s).primary_key), ("INTEGER", PrimaryKey(("a",), True)), id="sqlite-settles-quoted-type"),
    P("CREATE TABLE t (a TEXT) strict", lambda s: (table(s).without_rowid, table(s).strict), (False, True), id="strict"),
    P("CREATE TABLE t (a TEXT PRIMARY KEY) STRICT, WITHOUT ROWID", lambda s: (table(s).without_rowid, table(s).strict), (True, True), id="strict-without-rowid"),
    # comments and directives
    P("-- Users.\n-- Second line.\nCREATE TABLE t (a)", tbl("comment"), "Users.\nSecond line.", id="table-comment"),
    P("-- Not this one.\n\n-- This one.\nCREATE TABLE t (a)", tbl("comment"), "This one.", id="table-comment-after-gap"),
    P("/* block */\nCREATE TABLE t (a)", tbl("comment"), None, id="block-comment-ignored"),
    P("PRAGMA foreign_keys = ON; -- on\nCREATE TABLE t (a)", tbl("comment"), None, id="trailing-comment-not-table-doc"),
    P("CREATE TABLE t (\n  a INT, -- The a.\n  b INT\n)", attr("a", "comment"), "The a.", id="column-trailing-comment"),
    P("CREATE TABLE t (\n  a INT,\n  --   The b,\n  -- in two lines.\n  b INT -- And more.\n)", attr("b", "comment"), "The b,\nin two lines.\nAnd more.", id="column-comment-above"),
    P("-- The table.\nCREATE TABLE t (a INT)", attr("a", "comment"), None, id="table-comment-not-column"),
    P("-- Audit.\n-- @append-only\nCREATE TABLE t (a)", lambda s: (table(s).append_only, table(s).comment), (True, "Audit."), id="append-only"),
    P("CREATE TABLE t (\n  a TEXT -- @secret The key.\n)", lambda s: (attr("a", "secret")(s), attr("a", "comment")(s)), (True, "The key."), id="secret-trailing"),
    P("CREATE TABLE t (\n  -- @secret\n  a TEXT\n)", lambda s: (attr("a", "secret")(s), attr("a", "comment")(s)), (True, None), id="secret-above"),
    P("CREATE TABLE t (a TEXT, b TEXT) -- email me@example.com", attr("b", "secret"), False, id="at-sign-in-word"),
    P("-- it's; not a string\nCREATE TABLE t (\n  a TEXT /* ; */ -- x; 'y\n)", lambda s: (table(s).comment, attr("a", "comment")(s)), ("it's; not a string", "x; 'y"), id="comment-with-quote-and-semicolon"),
    # statements that are skipped on purpose, and what survives them
    P("PRAGMA foreign_keys = ON;\nCREATE TABLE t (a INT);\n" + TRIGGER + "CREATE VIEW v AS SELECT a FROM t;\nINSERT INTO t VALUES (1);\nCREATE TABLE u (b)", lambda s: [(i.kind, i.location.line, i.summary) for i in s.passed_over], [("pragma", 1, "PRAGMA foreign_keys = ON"), ("insert", 8, "INSERT INTO t VALUES (1)")], id="ignored"),
    P("CREATE TABLE t (a INT);\n" + TRIGGER + "CREATE VIEW v AS SELECT a FROM t;", lambda s: ([(v.name, v.depends_on, [c.name for c in v.columns]) for v in s.views], [(t.name, t.table, t.depends_on, t.location.line) for t in s.triggers]), ([("v", ("t",), ["a"])], [("trg", "t", ("t",), 2)]), id="views-and-triggers-kept"),
    P("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nCREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id');\nCREATE VIRTUAL TABLE own USING fts5(a, b UNINDEXED, tokenize = 'porter')", lambda s: [(v.name, v.module, v.columns, v.content, v.content_rowid, v.depends_on, v.holds_content) for v in s.virtual_tables], [("notes_fts", "fts5", ("body",), "notes", "id", ("notes",), False), ("own", "fts5", ("a", "b"), None, None, (), True)], id="fts5-kept"),
    P("CREATE TABLE t (a INT);\n" + TRIGGER + "CREATE TABLE u (b)", lambda s: [t.name for t in s.tables], ["t", "u"], id="table-after-trigger"),
    P("BEGIN;\nCREATE TABLE t (a);\nUPDATE t SET a = 1;\nDELETE FROM t;\nDROP TABLE IF EXISTS x;\nANALYZE;\nCOMMIT;", lambda s: [i.kind for i in s.passed_over], ["begin", "update", "delete", "drop", "analyze", "commit"], id="ignored-kinds"),
    # text and positions
    P("\n  CREATE TABLE t (\n  a INT\n);\n", lambda s: (str(table(s).location), str(attr("a", "location")(s)), table(s).sql), ("schema.sql:2:3", "schema.sql:3:3", "CREATE TABLE t (\n  a INT\n)"), id="sql-and-locations"),
    P("CREATE TABLE t (a)" + FILES + "CREATE TABLE u (b)", lambda s: (s.files, [str(t.location) for t in s.tables]), (("a.sql", "b.sql"), ["a.sql:1:1", "b.sql:1:1"]), id="files"),
]
# fmt: on


@pytest.mark.parametrize(("sql", "get", "expected"), CONSTRUCTS)
def test_construct(sql: str, get: Callable[[Schema], Any], expected: Any) -> None:
    assert get(load(sql)) == expected


# fmt: off
ERRORS = [
    # syntax
    P("CREATE TABLE t (a INT NOT)", 'near ")": syntax error', "schema.sql:1:23", id="syntax"),
    P("CREATE TABLE t (a INT);\nCREATE TABLE u (\n  a INT,\n  b INT DEFAULT\n)", 'near ")": syntax error', "schema.sql:5:1", id="syntax-later-line"),
    P("CREATE TABLE t (a TEXT DEFAULT 'abc)", "unterminated string literal", "schema.sql:1:32", id="unterminated-string"),
    P('CREATE TABLE t (\n  "a INT)', "unterminated quoted identifier", "schema.sql:2:3", id="unterminated-identifier"),
    P("CREATE TABLE t (a INT); /* open", "unterminated block comment", "schema.sql:1:25", id="unterminated-comment"),
    P("CREATE TABLE t (a INT))", "unbalanced ')'", "schema.sql:1:23", id="extra-paren"),
    P("CREATE TABLE t (\n  a INT,\n  b INT", "'(' is never closed", "schema.sql:1:16", id="truncated"),
    P("CREATE TABLE t (\n  a INT,\n)", "trailing comma before ')'", "schema.sql:2:8", id="trailing-comma"),
    P("CREATE TABLE t (a INT,, b INT)", "empty item between commas", "schema.sql:1:23", id="double-comma"),
    P("CREATE TABLE t ()", "empty column list", "schema.sql:1:16", id="empty-column-list"),
    P("CREATE TABLE t (a INT) WITHOUT ROWIDS", "unknown table option 'WITHOUT ROWIDS'", "schema.sql:1:24", id="table-option"),
    P("CREATE TABLE t (a INT); CREATE INDEX i ON t a", 'near "a": syntax error', "schema.sql:1:25", id="index-syntax"),
    P("CREATE TRIGGER trg AFTER INSERT ON t BEGIN\n  SELECT 1;\n", "CREATE TRIGGER body has no END", "schema.sql:1:1", id="trigger-without-end"),
    # duplicates
    P("CREATE TABLE t (\n  a INT,\n  A TEXT\n)", "duplicate column 'A' in table t (first declared at schema.sql:2:3)", "schema.sql:3:3", id="duplicate-column"),
    P("CREATE TABLE t (a INT);\nCREATE TABLE T (b INT)", "table T is defined twice (first at schema.sql:1:1)", "schema.sql:2:1", id="duplicate-table"),
    P("CREATE TABLE t (a INT)" + FILES + "\nCREATE TABLE IF NOT EXISTS t (a INT)", "table t is defined twice (first at a.sql:1:1)", "b.sql:2:1", id="duplicate-table-across-files"),
    P("CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)", "table t has more than one PRIMARY KEY (the first is at schema.sql:1:17)", "schema.sql:1:36", id="two-primary-keys"),
    P("CREATE TABLE t (a INT); CREATE INDEX i ON t (a); CREATE INDEX I ON t (a)", "index I is defined twice (first at schema.sql:1:25)", "schema.sql:1:50", id="duplicate-index"),
    # foreign keys
    P("CREATE TABLE t (\n  a INT REFERENCES oauth_client(id)\n)", "foreign key t(a) references table 'oauth_client', which no schema file defines", "schema.sql:2:3", id="fk-unknown-table"),
    P(PARENT + "CREATE TABLE t (a INT REFERENCES p(nope))", "foreign key t(a) names column 'nope', which table p does not have", "schema.sql:2:17", id="fk-unknown-column"),
    P("CREATE TABLE p (id INT);\nCREATE TABLE t (a INT REFERENCES p)", "names no columns of p, and p has no PRIMARY KEY", "schema.sql:2:17", id="fk-no-parent-pk"),
    P("CREATE TABLE p (x INT, y INT, PRIMARY KEY (x, y));\nCREATE TABLE t (a INT REFERENCES p)", "foreign key t(a) has 1 column(s) but references 2 in p", "schema.sql:2:17", id="fk-arity"),
    P("CREATE TABLE p (id INT PRIMARY KEY, x INT);\nCREATE TABLE t (a INT REFERENCES p(x))", "references p(x), which is neither its PRIMARY KEY nor UNIQUE", "schema.sql:2:17", id="fk-not-a-key"),
    P("CREATE TABLE t (a INT,\n  FOREIGN KEY (b) REFERENCES t(a))", "table t has no column 'b'", "schema.sql:2:3", id="fk-unknown-child-column"),
    # CHECK enums that cannot be honoured
    P("CREATE TABLE t (a INT CHECK (a IN (SELECT 1)))", "CHECK (a IN (...)) with a subquery cannot become an enum", "schema.sql:1:17", id="check-subquery"),
    P("CREATE TABLE t (a INT CHECK (a IN ()))", "CHECK (a IN ()) allows no value at all", "schema.sql:1:17", id="check-empty"),
    P("CREATE TABLE t (a INT,\n  CHECK (a IN (1, 'x')))", "list only integer literals or only string literals", "schema.sql:2:3", id="check-mixed"),
    P("CREATE TABLE t (a REAL CHECK (a IN (1.5, 2.5)))", "list only integer literals or only string literals", "schema.sql:1:17", id="check-floats"),
    P("CREATE TABLE t (a INT CHECK (a IN (1, 1 + 1)))", "list only integer literals or only string literals", "schema.sql:1:17", id="check-expression-item"),
    P("CREATE TABLE t (a INT CHECK (a IN (1)), CHECK (a IN (2)))", "column t.a has two CHECK (... IN (...)) lists", "schema.sql:1:41", id="check-twice"),
    P("CREATE TABLE t (a INT CHECK (b IN (1)))", "CHECK names column 'b', which table t lacks", "schema.sql:1:17", id="check-unknown-column"),
    # statements storegen cannot honour
    P("CREATE TABLE t AS SELECT 1", "CREATE TABLE ... AS SELECT is not supported", "schema.sql:1:1", id="create-as-select"),
    P("CREATE TABLE t;", "CREATE TABLE without a column list is not supported", "schema.sql:1:1", id="no-column-list"),
    P("CREATE TABLE t (a);\n  CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1)", "virtual table boxes uses module 'rtree', which storegen does not support (only fts5)", "schema.sql:2:3", id="virtual-table-rtree"),
    P("CREATE TEMP VIEW v AS SELECT 1", "temporary views are not supported", "schema.sql:1:1", id="temp-view"),
    P("CREATE TEMPORARY TRIGGER trg AFTER INSERT ON t BEGIN SELECT 1; END", "temporary triggers are not supported", "schema.sql:1:1", id="temp-trigger"),
    P("CREATE TABLE t (a);\nCREATE TRIGGER trg AFTER INSERT ON nope BEGIN SELECT 1; END", "trigger trg fires on 'nope', which no schema file defines as a table or view", "schema.sql:2:1", id="trigger-unknown-table"),
    P("CREATE TABLE t (a);\nCREATE VIEW t AS SELECT 1", "view t: a table of that name exists already", "schema.sql:2:1", id="view-named-like-table"),
    P("CREATE TEMP TABLE t (a)", "temporary tables are not supported", "schema.sql:1:1", id="temp-table"),
    P("CREATE TABLE t (a);\nALTER TABLE t ADD COLUMN b", "ALTER TABLE is not supported", "schema.sql:2:1", id="alter-table"),
    P("CREATE TABLE other.t (a INT)", "tables in attached schema 'other' are not supported", "schema.sql:1:1", id="attached-schema"),
    P("CREATE TABLE t (a);\nDROP TABLE IF EXISTS t", "this DROP removes t, which the schema files define before it", "schema.sql:2:1", id="drop-after-create"),
    P("CREATE TABLE t (a);\nCREATE VIEW v AS SELECT a FROM t;\nDROP VIEW main.v", "this DROP removes v", "schema.sql:3:1", id="drop-view-after-create"),
    P("DROP TABLE old;\nCREATE TABLE t (a)", "DROP without IF EXISTS is not schema", "schema.sql:1:1", id="drop-without-if-exists"),
    P("CREATE TABLE t (a);\n  FROBNICATE t", "unrecognised statement 'FROBNICATE'", "schema.sql:2:3", id="unknown-statement"),
    # indexes
    P("CREATE INDEX i ON nope (a)", "index i is on table 'nope', which no schema file defines", "schema.sql:1:1", id="index-unknown-table"),
    P("CREATE TABLE t (a INT);\nCREATE INDEX i ON t (b)", "index i names column 'b', which table t does not have", "schema.sql:2:1", id="index-unknown-column"),
    # directives
    P("-- @secrte\nCREATE TABLE t (a INT)", "unknown directive '@secrte'", "schema.sql:1:4", id="unknown-directive"),
    P("-- @secret\nCREATE TABLE t (a INT)", "directive '@secret' belongs in a column comment, not a table comment", "schema.sql:1:4", id="secret-on-table"),
    P("CREATE TABLE t (\n  a INT -- @append-only\n)", "directive '@append-only' belongs in a table comment", "schema.sql:2:12", id="append-only-on-column"),
    P("CREATE TABLE t (\n  a INT,\n  -- @secret\n\n  b INT\n)", "directive '@secret' is not attached to any table or column", "schema.sql:3:3", id="stray-directive"),
]
# fmt: on


@pytest.mark.parametrize(("sql", "message", "location"), ERRORS)
def test_error(sql: str, message: str, location: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_schema(sources(sql))
    assert message in caught.value.message
    assert str(caught.value.location) == location


# fmt: off
SQLITE_REJECTS = [
    P("CREATE TABLE t (a TEXT PRIMARY KEY AUTOINCREMENT)", "AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY", "schema.sql:1:1", id="autoincrement-text"),
    P("CREATE TABLE t (a FOO) STRICT", 'unknown datatype for t.a: "FOO"', "schema.sql:1:1", id="strict-unknown-type"),
    P("CREATE TABLE t (a INT) WITHOUT ROWID", "PRIMARY KEY missing on table t", "schema.sql:1:1", id="without-rowid-no-pk"),
    P("CREATE TABLE t (a INT);\nCREATE INDEX i ON t (a,)", 'near ")": syntax error', "schema.sql:2:1", id="index-trailing-comma"),
    P("CREATE INDEX i ON t (a);\nCREATE TABLE t (a INT)", "no such table: main.t", "schema.sql:1:1", id="index-before-table"),
]
# SQLite mis-reads a child table named [c], `c`, 'c' or "c... when it enforces
# RESTRICT (found by tests/reliability/test_property_schemas.py).
RESTRICT_ON_QUOTED_NAME = [
    P('CREATE TABLE p (k TEXT PRIMARY KEY);\nCREATE TABLE "[c]" (f TEXT REFERENCES p (k) ON UPDATE RESTRICT)', "[c]", id="brackets"),
    P('CREATE TABLE p (k TEXT PRIMARY KEY);\nCREATE TABLE "`c`" (f TEXT REFERENCES p (k) ON DELETE RESTRICT)', "`c`", id="backquotes"),
    P("CREATE TABLE p (k TEXT PRIMARY KEY);\nCREATE TABLE \"'c\" (f TEXT REFERENCES p (k) ON DELETE RESTRICT)", "'c", id="single-quote"),
    P('CREATE TABLE "[s]" (k TEXT PRIMARY KEY, d TEXT UNIQUE,\n  f TEXT REFERENCES "[s]" (d) ON UPDATE RESTRICT) WITHOUT ROWID', "[s]", id="self-reference"),
]
# fmt: on


@pytest.mark.parametrize(("sql", "table_name"), RESTRICT_ON_QUOTED_NAME)
def test_restrict_on_a_table_named_like_a_quoted_name_is_refused(sql: str, table_name: str) -> None:
    schema = parse_schema(sources(sql))
    with pytest.raises(SchemaError) as caught:
        validate_schema(schema, sources(sql))
    assert f"table {table_name} cannot have a foreign key with ON UPDATE or ON DELETE RESTRICT" in (
        caught.value.message
    )
    assert str(caught.value.location) == ("schema.sql:1:1" if "[s]" in sql else "schema.sql:2:1")


def test_the_same_names_without_restrict_are_kept() -> None:
    sql = 'CREATE TABLE p (k TEXT PRIMARY KEY);\nCREATE TABLE "[c]" (f TEXT REFERENCES p (k) ON DELETE CASCADE);\nCREATE TABLE "c]" (f TEXT REFERENCES p (k) ON DELETE RESTRICT)'
    schema = validate_schema(parse_schema(sources(sql)), sources(sql))
    assert [t.name for t in schema.tables] == ["p", "[c]", "c]"]


# fmt: off
# A name written quoted that equals the placeholder a bare name of the same statement
# would get (_0, _1, ... padded with _): it was given back as that bare name (found by
# tests/reliability/test_property_schemas.py).
PLACEHOLDER_LOOKALIKES = [
    P('CREATE TABLE [_0] (k INT UNIQUE);\nCREATE TABLE c (A0 BLOB, f INT REFERENCES [_0] (k))', ["_0", "c"], {"c": ["A0", "f"]}, id="fk-target"),
    P('CREATE TABLE [_0] (ab INT, [_1] INT)', ["_0"], {"_0": ["ab", "_1"]}, id="own-name"),
    P('CREATE TABLE "_0" (ab INT);\nCREATE TABLE \'_1\' (ab INT, cd INT)', ["_0", "_1"], {"_1": ["ab", "cd"]}, id="double-and-single-quoted"),
]
# fmt: on


@pytest.mark.parametrize(("sql", "tables", "columns"), PLACEHOLDER_LOOKALIKES)
def test_a_quoted_name_like_a_placeholder_keeps_its_name(
    sql: str, tables: list[str], columns: dict[str, list[str]]
) -> None:
    schema = validate_schema(parse_schema(sources(sql)), sources(sql))
    assert [t.name for t in schema.tables] == tables
    for table in schema.tables:
        if table.name in columns:
            assert [c.name for c in table.columns] == columns[table.name]
        for key in table.foreign_keys:
            assert key.ref_table == "_0"


@pytest.mark.parametrize(("sql", "message", "location"), SQLITE_REJECTS)
def test_sqlite_rejects(sql: str, message: str, location: str) -> None:
    schema = parse_schema(sources(sql))
    with pytest.raises(SchemaError) as caught:
        validate_schema(schema, sources(sql))
    assert f"SQLite rejects this statement: {message}" in caught.value.message
    assert str(caught.value.location) == location


@pytest.mark.parametrize(
    ("data", "message", "location"),
    [
        P(
            b"CREATE TABLE t (a);\nCREATE TABLE \xc3\xa9\xff (b);",
            "not valid UTF-8 (byte 0xff)",
            "bad.sql:2:15",
            id="non-utf8",
        ),
        P(b"SQLite format 3\x00\x10\x00", "binary data (a NUL byte)", "bad.sql:1:16", id="binary"),
    ],
)
def test_unreadable_file(tmp_path: Path, data: bytes, message: str, location: str) -> None:
    (tmp_path / "bad.sql").write_bytes(data)
    with pytest.raises(SchemaError) as caught:
        read_schema_files([tmp_path / "bad.sql"], display=lambda path: path.name)
    assert message in caught.value.message
    assert str(caught.value.location) == location


def test_read_schema_files_keeps_path_as_given(tmp_path: Path) -> None:
    path = tmp_path / "s.sql"
    path.write_bytes("\ufeff-- café\nCREATE TABLE t (a);".encode())
    assert read_schema_files([path]) == [(str(path), "-- café\nCREATE TABLE t (a);")]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="cannot read schema file"):
        read_schema_files([tmp_path / "nope.sql"])


def test_real_schema() -> None:
    paths = [ROOT / "schema" / "oauth.sql", ROOT / "schema" / "logs.sql"]
    found = read_schema_files(paths)
    schema = validate_schema(parse_schema(found), found)
    tables = {t.name: t for t in schema.tables}
    assert list(tables) == [
        "oauth_clients",
        "oauth_client_configs",
        "oauth_users",
        "oauth_authorization_codes",
        "oauth_access_tokens",
        "oauth_refresh_tokens",
        "oauth_device_codes",
        "oauth_audit_logs",
    ]
    audit = ("created_at", "created_by", "updated_at", "updated_by")
    for t in schema.tables:
        assert t.primary_key == PrimaryKey((t.columns[0].name,)), t.name
        assert tuple(c.name for c in t.columns[-4:]) == audit, t.name
        assert all(c.not_null for c in t.columns[-4:]), t.name
        assert t.comment, t.name
        assert all(i.name == f"idx_{t.name}_{i.columns[0]}" for i in t.indexes), t.name
    secrets = {(t.name, c.name) for t in schema.tables for c in t.columns if c.secret}
    assert secrets == {
        ("oauth_clients", "client_secret"),
        ("oauth_authorization_codes", "code"),
        ("oauth_access_tokens", "token"),
        ("oauth_refresh_tokens", "token"),
        ("oauth_device_codes", "device_code"),
    }
    assert [t.name for t in schema.tables if t.append_only] == ["oauth_audit_logs"]
    fks = {
        (t.name, fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete)
        for t in schema.tables
        for fk in t.foreign_keys
    }
    cascade, set_null = FkAction.CASCADE, FkAction.SET_NULL
    assert fks == {
        ("oauth_client_configs", ("client_id",), "oauth_clients", ("id",), cascade),
        ("oauth_authorization_codes", ("client_id",), "oauth_clients", ("id",), cascade),
        ("oauth_authorization_codes", ("user_id",), "oauth_users", ("id",), cascade),
        ("oauth_access_tokens", ("client_id",), "oauth_clients", ("id",), cascade),
        ("oauth_access_tokens", ("user_id",), "oauth_users", ("id",), cascade),
        ("oauth_refresh_tokens", ("client_id",), "oauth_clients", ("id",), cascade),
        ("oauth_refresh_tokens", ("user_id",), "oauth_users", ("id",), cascade),
        ("oauth_device_codes", ("client_id",), "oauth_clients", ("id",), cascade),
        ("oauth_device_codes", ("user_id",), "oauth_users", ("id",), set_null),
    }
    indexed = {t.name: [i.columns for i in t.indexes] for t in schema.tables}
    assert indexed == {
        "oauth_clients": [("is_enabled",)],
        "oauth_client_configs": [],
        "oauth_users": [],
        "oauth_authorization_codes": [("client_id",), ("expires_at",)],
        "oauth_access_tokens": [("client_id",), ("user_id",), ("expires_at",), ("created_at",)],
        "oauth_refresh_tokens": [("client_id",), ("user_id",), ("created_at",)],
        "oauth_device_codes": [("state",), ("expires_at",)],
        "oauth_audit_logs": [("created_at",), ("event_type",)],
    }
    unique = {(t.name, u.columns) for t in schema.tables for u in t.unique_keys}
    assert unique == {
        ("oauth_clients", ("client_identifier",)),
        ("oauth_users", ("external_id",)),
        ("oauth_authorization_codes", ("code",)),
        ("oauth_access_tokens", ("token",)),
        ("oauth_refresh_tokens", ("token",)),
        ("oauth_device_codes", ("device_code",)),
        ("oauth_device_codes", ("user_code",)),
    }
    device = tables["oauth_device_codes"]
    assert device.column("state").check_in == (
        "pending",
        "approved",
        "denied",
        "consumed",
        "expired",
    )
    assert device.column("interval").not_null
    assert tables["oauth_clients"].column("is_enabled").check_in == (0, 1)
    assert tables["oauth_access_tokens"].column("user_id").not_null is False
    assert [(i.kind, str(i.location)) for i in schema.passed_over] == [
        ("pragma", f"{paths[0]}:5:1"),
        ("pragma", f"{paths[1]}:5:1"),
    ]


def test_validate_refuses_a_view_over_a_missing_table() -> None:
    """SQLite accepts such a view at CREATE and fails only on reading it: storegen fails at once."""
    sql = "CREATE TABLE t (a INT);\n\nCREATE VIEW v AS SELECT b FROM gone"
    with pytest.raises(SchemaError) as caught:
        load(sql)
    assert caught.value.message == "SQLite rejects view v: no such table: main.gone"
    assert str(caught.value.location) == "schema.sql:3:1"


@pytest.mark.parametrize(
    ("fts", "problem"),
    [
        ("fts5(body, content='note', content_rowid='id')", "no such table: note"),
        ("fts5(text, content='notes', content_rowid='id')", "no such column: text"),
        ("fts5(body, content='notes', content_rowid='ident')", "no such column: ident"),
    ],
)
def test_validate_refuses_an_fts_table_that_does_not_fit_its_content(
    fts: str, problem: str
) -> None:
    """FTS5 reads its content table only at query time: storegen checks it at once."""
    sql = f"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nCREATE VIRTUAL TABLE f USING {fts}"
    with pytest.raises(SchemaError) as caught:
        load(sql)
    assert problem in caught.value.message and "content_rowid and every indexed column" in (
        caught.value.message
    )
    assert str(caught.value.location) == "schema.sql:2:1"


def test_validate_checks_foreign_key_targets() -> None:
    """validate_schema re-checks what SQLite only checks on writes."""
    schema = parse_schema(sources(PARENT + "CREATE TABLE t (a INT REFERENCES p)"))
    only_child = Schema(schema.tables[1:], schema.files)
    with pytest.raises(SchemaError) as caught:
        validate_schema(only_child, sources("CREATE TABLE t (a INT REFERENCES p)"))
    assert caught.value.message == (
        "foreign key t.a references table 'p', which no schema file defines"
    )
    assert str(caught.value.location) == "schema.sql:2:1"


def test_table_lookup_follows_the_schema_asked() -> None:
    """`Schema.table` keeps an index of the last schema searched; another schema
    (a copy with other tables, or one searched in between) gets its own answer."""
    from storegen.records import replace

    first = load("CREATE TABLE Users (id INTEGER PRIMARY KEY);\nCREATE TABLE teams (id TEXT);")
    assert first.table("users").name == "Users" and first.table("TEAMS").name == "teams"
    second = replace(first, tables=load("CREATE TABLE users (k BLOB);").tables)
    assert second.table("USERS").columns[0].name == "k"
    with pytest.raises(KeyError):
        second.table("teams")
    assert first.table("Users").columns[0].name == "id"  # searched again after the other
    with pytest.raises(KeyError):
        first.table("nobody")


@pytest.mark.parametrize(
    "declared", ["A", "AB", "INT", "TEXT", "VARCHAR(20)", "UNSIGNED BIG INT", "DECIMAL(10, 5)"]
)
def test_declared_types_of_any_length_keep_the_constraints_after_them(declared: str) -> None:
    """sqlglot sees a declared type as a placeholder of at most its length; what
    follows it must still read as the same constraints."""
    schema = load(
        f"CREATE TABLE t (k {declared} PRIMARY KEY NOT NULL, v {declared} DEFAULT 'x' "
        f"COLLATE NOCASE UNIQUE CHECK (v <> ''), g {declared} AS (k || v) STORED);"
    )
    k, v, g = table(schema).columns
    assert [c.declared_type for c in (k, v, g)] == [declared] * 3
    assert table(schema).primary_key is not None and table(schema).primary_key.columns == ("k",)
    assert v.default is not None and v.default.value == "x" and v.collation == "NOCASE"
    assert [(u.columns, u.nocase) for u in table(schema).unique_keys] == [(("v",), ("v",))]
    assert g.generated and not k.generated


@pytest.mark.parametrize(
    "constraints, default, collation",
    [
        ("DEFAULT 'x' COLLATE NOCASE", "x", "NOCASE"),
        ("DEFAULT -1 COLLATE NOCASE", -1, "NOCASE"),
        ("DEFAULT ('x') COLLATE RTRIM", "x", "RTRIM"),
        ("COLLATE NOCASE DEFAULT 'x' COLLATE BINARY", "x", "BINARY"),  # the last one, as SQLite
        ("DEFAULT 'x' COLLATE NOCASE COLLATE BINARY", "x", "BINARY"),
        ("DEFAULT 'x' COLLATE BINARY COLLATE NOCASE", "x", "NOCASE"),
        ("DEFAULT ('x' COLLATE NOCASE)", None, None),  # inside the default: not the column's
    ],
)
def test_a_collation_after_a_default_is_the_columns(
    constraints: str, default: object, collation: str | None
) -> None:
    """SQLite reads `DEFAULT 'x' COLLATE NOCASE` as a default and a collation; sqlglot
    reads one expression, which lost the collation (and the literal default)."""
    v = table(load(f"CREATE TABLE t (v TEXT {constraints});")).columns[0]
    assert v.default is not None and v.default.value == default
    assert v.collation == collation


def test_an_error_after_a_quoted_type_across_lines_keeps_its_position() -> None:
    """The type's placeholder must not overwrite a newline: positions after it
    would move up a line (4:4 instead of 4:19 once)."""
    sql = 'CREATE TABLE t (\n v "a\nb" NOT NULL,\n w TEXT CHECK (w >),\n x TEXT);'
    with pytest.raises(SchemaError) as caught:
        load(sql)
    assert str(caught.value).startswith("schema.sql:4:19: ")


@pytest.mark.parametrize(
    "generated, collation",
    [
        ("AS (upper(k)) COLLATE NOCASE", "NOCASE"),  # the short form ends at its parenthesis
        ("GENERATED ALWAYS AS (upper(k)) COLLATE NOCASE", "NOCASE"),
        ("AS (upper(k) COLLATE NOCASE)", None),  # inside the expression: not the column's
    ],
)
def test_a_collation_after_a_generated_column_is_the_columns(
    generated: str, collation: str | None
) -> None:
    v = table(load(f"CREATE TABLE t (k TEXT, v TEXT {generated});")).columns[1]
    assert (v.generated, v.collation) == (True, collation)
