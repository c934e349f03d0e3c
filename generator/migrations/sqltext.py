"""DDL text as the migration planner needs it: comment-free, split, and comparable.

Two schemas are equal when SQLite stores the same definitions for them, up to
what SQLite itself ignores: comments, whitespace, identifier quoting and case,
`IF NOT EXISTS`, and where `ALTER TABLE ADD COLUMN` puts a column among the
table constraints. `canonical` reduces a statement to exactly that.
"""

from __future__ import annotations

import re

from ..records import record
from ..schema.lex import Token, matching_paren, scan_source

__all__ = ["TableText", "canonical", "quote", "split_table", "strip_comments"]

_COMMENT_OR_TEXT = re.compile(
    r"""(?P<comment>--[^\n]*|/\*.*?\*/)|'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]""",
    re.DOTALL,
)
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Words SQLite would read as keywords in a column list: quote names that clash.
_KEYWORDS = frozenset(
    """ABORT ACTION ADD AFTER ALL ALTER AND AS ASC AUTOINCREMENT BEFORE BEGIN BETWEEN BY
    CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT
    DEFAULT DEFERRABLE DEFERRED DELETE DESC DISTINCT DROP EACH ELSE END ESCAPE EXCEPT EXISTS
    FAIL FILTER FOR FOREIGN FROM FULL GENERATED GLOB GROUP HAVING IF IGNORE IMMEDIATE IN INDEX
    INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LEFT LIKE LIMIT MATCH
    NATURAL NO NOT NOTNULL NULL OF OFFSET ON OR ORDER OUTER PRIMARY RAISE RECURSIVE REFERENCES
    REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RIGHT ROLLBACK ROW ROWID SAVEPOINT SELECT SET
    TABLE TEMP TEMPORARY THEN TO TRANSACTION TRIGGER UNION UNIQUE UPDATE USING VALUES VIEW
    VIRTUAL WHEN WHERE WITH WITHOUT""".split()
)
_TABLE_CONSTRAINT_WORDS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})

Canon = tuple[tuple[str, str], ...]


def quote(name: str) -> str:
    """An identifier as SQL: bare when plain and not a keyword, else double-quoted."""
    if _PLAIN.fullmatch(name) and name.upper() not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def strip_comments(sql: str) -> str:
    """The statement without comments, trailing spaces or blank lines."""
    text = _COMMENT_OR_TEXT.sub(lambda m: "" if m["comment"] else m[0], sql)
    lines = [line.rstrip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line.strip())


def _tokens(sql: str) -> tuple[Token, ...]:
    statements = scan_source("<sql>", sql).statements
    return statements[0].tokens if statements else ()


def _canon_token(token: Token) -> tuple[str, str]:
    if token.kind == "word":
        return ("name", token.text.lower())
    if token.kind == "quoted":
        inner = token.text[1:-1]
        inner = inner.replace(token.text[0] * 2, token.text[0]) if token.text[0] != "[" else inner
        return ("name", inner.lower())
    return (token.kind, token.text)


def _canon(tokens: tuple[Token, ...]) -> Canon:
    items = [_canon_token(t) for t in tokens]
    words = [text for _, text in items[:7]]
    for at in range(1, 6):  # CREATE [UNIQUE] TABLE|INDEX|TRIGGER IF NOT EXISTS
        if words[at : at + 3] == ["if", "not", "exists"]:
            del items[at : at + 3]
            break
    return tuple(items)


@record
class TableText:
    """A CREATE TABLE cut at its column list: columns by name, constraints, options."""

    columns: dict[str, str]  # lower-case name -> definition text (comment-free)
    column_order: tuple[str, ...]
    constraints: tuple[str, ...]
    options: str  # what follows the column list: WITHOUT ROWID, STRICT
    canon: tuple[Canon, tuple[Canon, ...], tuple[Canon, ...], Canon]


def split_table(sql: str) -> TableText:
    """Cut a CREATE TABLE into its parts, each also in canonical form."""
    text = strip_comments(sql)
    tokens = _tokens(text)
    open_at = next(i for i, t in enumerate(tokens) if t.text == "(")
    close_at = matching_paren(tokens, open_at)
    pieces: list[tuple[Token, ...]] = []
    start, depth = open_at + 1, 0
    for i in range(open_at + 1, close_at + 1):
        t = tokens[i].text
        if i < close_at and (depth or t != ","):
            depth += {"(": 1, ")": -1}.get(t, 0)
            continue
        pieces.append(tokens[start:i])
        start = i + 1
    columns: dict[str, str] = {}
    column_canon: list[Canon] = []
    constraints: list[str] = []
    constraint_canon: list[Canon] = []
    for piece in pieces:
        piece_text = text[piece[0].start : piece[-1].end]
        if piece[0].keyword in _TABLE_CONSTRAINT_WORDS:
            constraints.append(piece_text)
            constraint_canon.append(_canon(piece))
        else:
            name = _canon_token(piece[0])[1]
            columns[name] = piece_text
            column_canon.append(_canon(piece))
    tail = tokens[close_at + 1 :]
    header = _canon(tokens[:open_at])[:-1]  # without the table name: renames compare equal
    return TableText(
        columns=columns,
        column_order=tuple(columns),
        constraints=tuple(constraints),
        options=text[tail[0].start : tail[-1].end] if tail else "",
        canon=(header, tuple(column_canon), tuple(constraint_canon), _canon(tail)),
    )


def canonical(sql: str) -> Canon:
    """A statement reduced to what SQLite distinguishes (see the module docstring)."""
    return _canon(_tokens(sql))
