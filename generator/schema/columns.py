"""The column list of a CREATE TABLE at token level, where sqlglot falls short.

sqlglot normalises declared types, rewrites DEFAULT expressions, accepts a
trailing comma and cannot parse some valid SQLite. These helpers read those
parts straight from our tokens (`sqltext`), and say what to hide from sqlglot.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import SchemaError
from ..records import record
from .ir import Location
from .lex import SourceFile, Token, matching_paren

# Each of these words starts a column constraint, so it ends a declared type.
_CONSTRAINT_WORDS = frozenset(
    "CONSTRAINT PRIMARY NOT NULL UNIQUE CHECK DEFAULT COLLATE REFERENCES GENERATED AS ON".split()
)
_TABLE_CONSTRAINT_WORDS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})


@record
class Element:
    """One comma-separated item of a column list: a column or a table constraint."""

    tokens: tuple[Token, ...]
    end: int  # where the next item starts, so trailing comments stay with this one
    location: Location

    @property
    def is_column(self) -> bool:
        return self.tokens[0].keyword not in _TABLE_CONSTRAINT_WORDS


def default_text(element: Element, source: SourceFile) -> str:
    """DEFAULT's operand as written: a literal, a signed number, or ``(expr)``."""
    tokens = element.tokens
    at = next(i for i, t in enumerate(tokens) if t.keyword == "DEFAULT") + 1
    last = at
    if tokens[at].text == "(":
        last = matching_paren(tokens, at)
    elif tokens[at].text in ("+", "-"):
        last = at + 1
    return source.text[tokens[at].start : tokens[last].end]


def declared_type(element: Element, source: SourceFile) -> str:
    """A column's declared type exactly as written, or "" when it has none."""
    tokens = element.tokens
    end = _type_end(tokens)
    return source.text[tokens[1].start : tokens[end - 1].end] if end > 1 else ""


def _type_end(tokens: Sequence[Token]) -> int:
    """Index just past a column's declared type: names, then ``(n)`` or ``(n, m)``."""
    end = 1
    while (
        end < len(tokens)
        and tokens[end].kind in ("word", "quoted", "string")
        and tokens[end].keyword not in _CONSTRAINT_WORDS
    ):
        end += 1
    if 1 < end < len(tokens) and tokens[end].text == "(":
        end = matching_paren(tokens, end) + 1
    return end


def split_elements(
    tokens: Sequence[Token], open_at: int, close_at: int, source: SourceFile
) -> list[Element]:
    """Split a column list at top-level commas, rejecting empty items.

    sqlglot quietly accepts a trailing comma; SQLite does not.
    """
    elements, start, depth = [], open_at + 1, 0
    for i in range(open_at + 1, close_at + 1):
        text = tokens[i].text
        if i < close_at and (depth or text != ","):
            depth += {"(": 1, ")": -1}.get(text, 0)
            continue
        if i == start:
            if i == close_at == open_at + 1:
                problem, at = "CREATE TABLE has an empty column list", tokens[open_at]
            elif i == close_at:
                problem, at = "trailing comma before ')' (SQLite rejects it)", tokens[i - 1]
            else:
                problem, at = "empty item between commas in the column list", tokens[i]
            raise SchemaError(problem, source.locate(at.start))
        end = tokens[i + 1].start if i < close_at else tokens[close_at].start
        elements.append(Element(tuple(tokens[start:i]), end, source.locate(tokens[start].start)))
        start = i + 1
    for element in elements:
        if element.is_column:
            _check_type_on_one_line(element, source)
    return elements


def _check_type_on_one_line(element: Element, source: SourceFile) -> None:
    """Refuse a declared type that runs onto the next line: a comma is missing.

    SQLite reads `body TEXT` newline `status TEXT NOT NULL` as one column
    `body` of type `TEXT status TEXT`; the first sign used to be a CHECK
    naming a column the table lacks, far from the cause.
    """
    tokens = element.tokens
    words = tokens[: _type_end(tokens)]
    for at, (before, after) in enumerate(zip(words, words[1:])):
        if at == 0 and len(words) < 3:
            continue  # `body` newline `TEXT`: odd layout, but one column
        if source.line(after.start) != source.line(before.end):
            kept = source.text[tokens[0].start : before.end]
            declared = source.text[words[1].start : words[-1].end] if len(words) > 1 else ""
            raise SchemaError(
                f"is a comma missing after `{kept}`? Without one, SQLite reads the next "
                f"line as part of this column: `{tokens[0].text}` with the declared type "
                f"`{' '.join(declared.split())}`",
                source.locate(before.end),
            )


def table_options(tokens: Sequence[Token], source: SourceFile) -> tuple[bool, bool]:
    """Read ``WITHOUT ROWID`` and ``STRICT``, the options after the column list."""
    words = " ".join(t.keyword or t.text for t in tokens)
    options = [option.strip() for option in words.split(",")] if tokens else []
    unknown = [option for option in options if option not in ("WITHOUT ROWID", "STRICT")]
    if unknown:
        raise SchemaError(
            f"unknown table option '{unknown[0]}': SQLite allows WITHOUT ROWID and STRICT",
            source.locate(tokens[0].start),
        )
    return "WITHOUT ROWID" in options, "STRICT" in options


def unparsable_spans(
    tokens: Sequence[Token], elements: Sequence[Element]
) -> list[tuple[int, int, str]]:
    """What to hide from sqlglot, as (start, end, placeholder) file offsets.

    All of it is valid SQLite that sqlglot rejects or misreads: declared types
    (``UNSIGNED BIG INT`` fails; a placeholder keeps the column a column),
    ASC/DESC/COLLATE inside table-level PRIMARY KEY and UNIQUE lists, and ON
    CONFLICT clauses, which change nothing the generator emits. A type's
    placeholder is ``INT``, a type token sqlglot takes as is, where it fits in
    the type's first token; else ``T``, which sqlglot reads as a user-defined
    type and parses again (a new tokenizer and parser per column).
    """
    spans = []
    for element in elements:
        items = element.tokens
        if element.is_column:
            end = _type_end(items)
            if end > 1:
                first = items[1].text  # INT over it where it fits on its line, else T
                placeholder = "INT" if len(first) >= 3 and "\n" not in first[:3] else "T"
                spans.append((items[1].start, items[end - 1].end, placeholder))
            continue
        open_at = next((i for i, t in enumerate(items) if t.text == "("), len(items))
        if {"PRIMARY", "UNIQUE"} & {t.keyword for t in items[:open_at]}:
            for i in range(open_at, len(items)):
                if items[i].keyword in ("ASC", "DESC"):
                    spans.append((items[i].start, items[i].end, ""))
                elif items[i].keyword == "COLLATE":
                    spans.append((items[i].start, items[i + 1].end, ""))
    for i in range(len(tokens) - 2):
        if tokens[i].keyword == "ON" and tokens[i + 1].keyword == "CONFLICT":
            spans.append((tokens[i].start, tokens[i + 2].end, ""))
    return spans


def listed_collations(element: Element) -> dict[str, str]:
    """``COLLATE x`` after the names of a table-level key list: lower name -> X.

    sqlglot never sees these (`unparsable_spans` hides them), yet they decide
    whether the key is case-insensitive.
    """
    items = element.tokens
    open_at = next((i for i, t in enumerate(items) if t.text == "("), len(items))
    found: dict[str, str] = {}
    name: str | None = None
    for i in range(open_at + 1, len(items) - 1):
        token = items[i]
        if items[i - 1].text in ("(", ","):
            name = token.text[1:-1] if token.kind == "quoted" else token.text
        elif token.keyword == "COLLATE" and name is not None:
            found[name.lower()] = items[i + 1].text.strip('"`[]').upper()
        elif token.text == ")":
            break
    return found
