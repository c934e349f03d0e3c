"""The parse's shortcuts give exactly what the long way gives.

A plain CREATE INDEX is read from storegen's own tokens instead of sqlglot
(`plain_index`); each case here is compared with what sqlglot makes of the
same statement (`sqlglot_index`), and every shape the shortcut does not
vouch for must go the long way. The lexer folds whitespace into the next
token: positions, comments and errors are checked on texts where that could
slip (tabs, form feeds, Unicode spaces, a file ending in spaces).
"""

from __future__ import annotations

import pytest

from storegen.errors import SchemaError
from storegen.schema.lex import SourceFile, Statement, scan_source
from storegen.schema.parse import parse_schema, plain_index, sqlglot_index

TABLE = "CREATE TABLE Items (id INTEGER PRIMARY KEY, Name TEXT, code TEXT, key TEXT, b INT);\n"
COLUMNS = {"id", "name", "code", "key", "b"}

PLAIN = [
    "CREATE INDEX items_name ON Items (Name)",
    "CREATE UNIQUE INDEX items_code ON Items (code)",
    "CREATE INDEX IF NOT EXISTS items_nc ON Items (name, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS i2 ON Items (code DESC, Name ASC, b)",
    "create index lower_case on items (name desc)",
    "CREATE INDEX\n  spread\n  ON Items\n  (\n    code ,\n    b\n  )",
    "CREATE INDEX i ON Items (b)",  # one-letter names are never hidden from sqlglot
    "CREATE INDEX dup ON Items (code, code)",
]

LONG_WAY = [
    "CREATE INDEX items_where ON Items (name) WHERE code IS NOT NULL",
    "CREATE INDEX items_collate ON Items (name COLLATE NOCASE)",
    "CREATE INDEX items_expr ON Items (lower(name))",
    'CREATE INDEX "quoted" ON Items (name)',
    "CREATE INDEX q2 ON Items ([name])",
    "CREATE INDEX main.items_main ON Items (name)",
    "CREATE INDEX items_schema ON main.Items (name)",
    "CREATE INDEX items_unknown ON Items (nope)",
    "CREATE INDEX items_trailing ON Items (name,)",
    "CREATE INDEX items_empty ON Items ()",
    "CREATE INDEX items_nocomma ON Items (name code)",
    "CREATE INDEX items_twice ON Items (name ASC DESC)",
    "CREATE INDEX key ON Items (key)",  # SQLite keywords: sqlglot may read them otherwise
    "CREATE INDEX items_key ON Items (name, KEY)",
    "CREATE INDEX on ON Items (name)",
]


def _statement(sql: str) -> tuple[Statement, SourceFile]:
    source = scan_source("schema.sql", TABLE + sql + ";\n")
    return source.statements[1], source


@pytest.mark.parametrize("sql", PLAIN)
def test_a_plain_index_reads_as_sqlglot_reads_it(sql: str) -> None:
    statement, source = _statement(sql)
    short = plain_index(statement, COLUMNS)
    assert short is not None, "the shortcut should take this statement"
    assert short == sqlglot_index(statement, source, COLUMNS)


@pytest.mark.parametrize("sql", LONG_WAY)
def test_other_indexes_go_the_long_way(sql: str) -> None:
    statement, _ = _statement(sql)
    assert plain_index(statement, COLUMNS) is None


def test_an_index_on_a_table_defined_later_goes_the_long_way() -> None:
    statement, _ = _statement("CREATE INDEX items_name ON Items (name)")
    assert plain_index(statement, set()) is None


def test_plain_indexes_reach_the_schema_whole() -> None:
    sql = TABLE + "".join(f"{s};\n" for s in PLAIN)
    schema = parse_schema([("schema.sql", sql)])
    indexes = schema.tables[0].indexes
    assert [i.name for i in indexes] == [
        "items_name", "items_code", "items_nc", "i2", "lower_case", "spread", "i", "dup"
    ]  # fmt: skip
    assert indexes[3].columns == ("code", "Name", "b") and indexes[3].unique
    assert indexes[5].sql == PLAIN[5]


@pytest.mark.parametrize(
    "text",
    [
        "CREATE TABLE t (a INT);\n\n   \t \n",
        "CREATE\tTABLE\u00a0t\u3000(a\x0cINT)\u2028;",
        "  -- doc\n\x1cCREATE TABLE t (a INT); -- after\n/* block */ ",
        "",
        "   ",
    ],
)
def test_the_lexer_keeps_positions_through_any_whitespace(text: str) -> None:
    source = scan_source("s.sql", text)
    for statement in source.statements:
        for token in statement.tokens:
            assert text[token.start : token.end] == token.text
            assert not token.text.isspace() and token.text.strip() == token.text
            assert token.keyword == (token.text.upper() if token.kind == "word" else "")
    for comment in source.comments.values():
        assert text[comment.start : comment.start + 2] == "--"


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ("CREATE TABLE t (a TEXT DEFAULT 'x);\n", "unterminated string literal", (1, 32)),
        ("\n\n   /* open", "unterminated block comment", (3, 4)),
        ('CREATE TABLE "t (a INT);', "unterminated quoted identifier", (1, 14)),
    ],
)
def test_the_lexer_places_unterminated_tokens(
    text: str, message: str, where: tuple[int, int]
) -> None:
    with pytest.raises(SchemaError) as caught:
        scan_source("s.sql", text)
    assert message in caught.value.message
    assert (caught.value.location.line, caught.value.location.col) == where


def test_an_index_refused_by_sqlite_is_refused_at_its_word() -> None:
    """`on` names the index and the table: SQLite refuses it. The shortcut once took it,
    so the error moved to the statement's start and a later statement's came first."""
    sql = 'CREATE TABLE "on" ("from" TEXT, b INT);\nCREATE INDEX on ON on (from, b);\n'
    sql += "CREATE TABLE u (x INT REFERENCES nowhere(y));\n"
    with pytest.raises(SchemaError) as caught:
        parse_schema([("s.sql", sql)])
    assert str(caught.value).startswith("s.sql:2:28: SQLite rejects this statement")
