"""SQLite source text without sqlglot: tokens, statements, comments, affinity.

Both `parse.py` and `validate.py` need the statements of a schema file with
exact positions. sqlglot's tokenizer cannot say where an unterminated string
starts, and it does not know that a CREATE TRIGGER body contains semicolons,
so this small lexer does that job. It knows just enough SQLite: strings, the
three identifier quotes, comments, numbers, words and punctuation.

Only ``--`` comments become docstrings; ``/* */`` comments are skipped, so a
licence header in a block comment never turns into documentation.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from ..errors import SchemaError
from .directives import DIRECTIVE, read_directives
from .ir import Affinity, Location

# Each match is one token with the whitespace before it (half the matches of a
# pattern with whitespace as a token of its own); `eof` takes the whitespace after
# the last token. Possessive, so a failed match never retries the whitespace.
_TOKEN = re.compile(
    r"""
    \s*+
    (?:
      (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<string>[xX]?'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<word>[^\W\d][\w$]*)
    | (?P<unterminated>['"`\[]|/\*)
    | (?P<punct>\S)
    | (?P<eof>\Z)
    )
    """,
    re.VERBOSE | re.DOTALL,
)
_UNTERMINATED = {
    "'": "string literal",
    '"': "quoted identifier",
    "`": "quoted identifier",
    "[": "quoted identifier",
    "/*": "block comment",
}
_CREATE_MODIFIERS = {"TEMP", "TEMPORARY", "UNIQUE", "VIRTUAL"}
_TRIGGER_PREFIXES = [["CREATE"], ["CREATE", "TEMP"], ["CREATE", "TEMPORARY"]]
SCHEMA_PHRASES = frozenset({"CREATE TABLE", "CREATE INDEX", "CREATE UNIQUE INDEX"})
_DEPTH = {"(": 1, ")": -1}


# Tokens, comments and statements are NamedTuples, and SourceFile a plain class:
# this module loads on the critical path of a cold generation (the parsing child,
# spare.py), where each dataclass cost ~0.4-0.5 ms to create (its methods are
# compiled from source) against ~0.13 ms for a NamedTuple.


class Token(NamedTuple):
    """One significant token; offsets index the whole file's text."""

    kind: str  # "word" | "quoted" | "string" | "number" | "punct"
    text: str
    start: int
    end: int
    # The upper-cased text of a bare word, or "" for any other token: read ~5 times a
    # token by the parse, so computed once here rather than in a property.
    keyword: str = ""


class Comment(NamedTuple):
    """A ``--`` comment, its text without the dashes and surrounding space."""

    text: str
    start: int
    location: Location
    own_line: bool  # nothing but whitespace before it on its line


class Statement(NamedTuple):
    """One statement: its tokens (no comments, no ';') and its source text."""

    tokens: tuple[Token, ...]
    text: str
    location: Location

    @property
    def phrase(self) -> str:
        """Its leading keywords: "PRAGMA", "CREATE TABLE", "CREATE UNIQUE INDEX", ..."""
        words = [token.keyword for token in self.tokens[:5]]
        if words[0] != "CREATE":
            return words[0]
        phrase = ["CREATE"]
        for word in words[1:]:
            phrase.append("TEMP" if word == "TEMPORARY" else word)
            if word not in _CREATE_MODIFIERS:
                break
        return " ".join(phrase)


class SourceFile:
    """A lexed schema file: statements, comments, and offset → line:col."""

    __slots__ = ("path", "text", "statements", "comments", "claimed", "line_starts")

    def __init__(self, path: str, text: str, line_starts: list[int]) -> None:
        self.path = path
        self.text = text
        self.statements: list[Statement] = []
        self.comments: dict[int, Comment] = {}  # by line
        self.claimed: set[int] = set()  # lines of comments in use
        self.line_starts = line_starts  # the offset where each line starts

    def __repr__(self) -> str:
        return f"SourceFile({self.path!r}, {len(self.statements)} statements)"

    def locate(self, offset: int) -> Location:
        """The 1-based line and column of a character offset."""
        line = bisect.bisect_right(self.line_starts, offset)
        return Location(self.path, line, offset - self.line_starts[line - 1] + 1)

    def line(self, offset: int) -> int:
        """The 1-based line of a character offset (`locate`'s, without making a Location)."""
        return bisect.bisect_right(self.line_starts, offset)

    def comments_above(self, line: int, after: int) -> list[Comment]:
        """The own-line comments directly above ``line``, none before ``after``."""
        block: list[Comment] = []
        while (comment := self.comments.get(line - 1)) and comment.own_line:
            if comment.start < after:
                break
            block.insert(0, comment)
            line -= 1
        return block

    def comments_between(self, start: int, end: int) -> list[Comment]:
        """Comments that follow code on their line, between two offsets."""
        if not self.comments:
            return []
        lines = range(self.line(start), self.line(end) + 1)
        found = [self.comments[line] for line in lines if line in self.comments]
        return [c for c in found if not c.own_line and start <= c.start < end]

    def docstring(self, comments: list[Comment], target: str) -> tuple[str | None, dict[str, str]]:
        """Join comments into a docstring and take out their directives.

        Returns the docstring and the directives by name, each with its
        argument ("" for a flag such as ``@secret``).

        Raises SchemaError for a directive storegen does not know, or one that
        belongs to another kind of object (``@secret`` above a table).
        """
        lines, directives = [], {}
        for comment in comments:
            self.claimed.add(comment.location.line)
            at = self.text.find(comment.text, comment.start) if comment.text else comment.start

            def locate(offset: int, at: int = at) -> Location:
                return self.locate(at + offset)

            text, found = read_directives(comment.text, target, locate)
            directives.update(found)
            if text:
                lines.append(text)
        return "\n".join(lines) or None, directives

    def check_directives_claimed(self) -> None:
        """Fail on a directive in a comment no table or column picked up.

        A stray ``@secret`` would otherwise leave a secret column unprotected.
        """
        for line, comment in sorted(self.comments.items()):
            match = DIRECTIVE.search(comment.text)
            if match and line not in self.claimed:
                raise SchemaError(
                    f"directive '@{match[1]}' is not attached to any table or column: "
                    "put it in a comment directly above the CREATE TABLE or the column, "
                    "or at the end of the column's line",
                    comment.location,
                )


def scan_source(path: str, text: str) -> SourceFile:
    """Lex a schema file and split it into statements.

    Raises SchemaError for an unterminated string, identifier or comment, and
    for a CREATE TRIGGER whose BEGIN has no END.
    """
    source = SourceFile(path, text, line_starts=[0, *(m.end() for m in re.finditer("\n", text))])
    tokens = list(_lex(source))
    for chunk in _split(tokens, source):
        source.statements.append(
            Statement(
                tuple(chunk), text[chunk[0].start : chunk[-1].end], source.locate(chunk[0].start)
            )
        )
    return source


def _lex(source: SourceFile) -> Iterator[Token]:
    for match in _TOKEN.finditer(source.text):
        kind = match.lastgroup or ""
        if kind == "word":  # the most common
            yield Token(kind, match[kind], match.start(kind), match.end(), match[kind].upper())
        elif kind in ("string", "quoted", "number", "punct"):
            yield Token(kind, match[kind], match.start(kind), match.end())
        elif kind == "comment":
            start, text = match.start(kind), match[kind]
            if text.startswith("--"):
                location = source.locate(start)
                before = source.text[start - location.col + 1 : start]
                source.comments[location.line] = Comment(
                    text[2:].strip(), start, location, own_line=not before.strip()
                )
        elif kind == "unterminated":
            start = match.start(kind)
            raise SchemaError(f"unterminated {_UNTERMINATED[match[kind]]}", source.locate(start))


def _split(tokens: list[Token], source: SourceFile) -> Iterator[list[Token]]:
    """Cut at top-level semicolons; a trigger body ends at its own END."""
    current: list[Token] = []
    is_trigger = False
    body_depth: int | None = None  # CASE ... END nesting inside BEGIN ... END
    for token in tokens:
        word = token.keyword
        if body_depth is None:
            if token.text == ";":
                if current:
                    yield current
                current, is_trigger = [], False
                continue
            if is_trigger and word == "BEGIN":
                body_depth = 0
        elif word == "CASE":
            body_depth += 1
        elif word == "END":
            body_depth = body_depth - 1 if body_depth else None
        current.append(token)
        if word == "TRIGGER" and [t.keyword for t in current[:-1]] in _TRIGGER_PREFIXES:
            is_trigger = True
    if body_depth is not None:
        raise SchemaError(
            "CREATE TRIGGER body has no END: its BEGIN is never closed",
            source.locate(current[0].start),
        )
    if current:
        yield current


def check_parentheses(statement: Statement, source: SourceFile) -> None:
    """Raise SchemaError for a ')' without '(' or a '(' never closed.

    sqlglot's message for these ("Expecting )") points at the statement's end;
    pointing at the parenthesis itself is what the user needs.
    """
    opened: list[Token] = []
    for token in statement.tokens:
        if token.text == "(":
            opened.append(token)
        elif token.text == ")":
            if not opened:
                raise SchemaError("unbalanced ')': no '(' before it", source.locate(token.start))
            opened.pop()
    if opened:
        end = source.locate(statement.tokens[-1].end)
        raise SchemaError(
            f"'(' is never closed (the statement ends at line {end.line}; missing ')' or truncated?)",
            source.locate(opened[-1].start),
        )


def matching_paren(tokens: Sequence[Token], open_at: int) -> int:
    """Index of the ')' closing the '(' at ``open_at`` (parentheses are balanced)."""
    depth = 0
    for i in range(open_at, len(tokens)):
        depth += _DEPTH.get(tokens[i].text, 0)
        if depth == 0:
            return i
    raise AssertionError("unbalanced parentheses slipped past check_parentheses")


def affinity_of(declared_type: str) -> Affinity:
    """SQLite's column affinity for a declared type (datatype3.html §3.1)."""
    upper = declared_type.upper()
    if "INT" in upper:
        return Affinity.INTEGER
    if any(part in upper for part in ("CHAR", "CLOB", "TEXT")):
        return Affinity.TEXT
    if "BLOB" in upper or not upper:
        return Affinity.BLOB
    if any(part in upper for part in ("REAL", "FLOA", "DOUB")):
        return Affinity.REAL
    return Affinity.NUMERIC


# SQLite's 147 keywords (sqlite.org/lang_keywords.html). Some may still name a table or a
# column (SQLite falls back to an identifier), but sqlglot may read them otherwise.
SQLITE_KEYWORDS = frozenset("""
    ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE
    BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT
    CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT
    DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT
    EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL
    GENERATED GLOB GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER
    INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH
    MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS
    OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE
    REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW
    ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER
    UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH
    WITHOUT
    """.split())
