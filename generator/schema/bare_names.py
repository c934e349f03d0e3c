"""Find the bare names in a CREATE statement, so sqlglot never reads them as keywords.

SQLite accepts many keywords as bare table and column names (`like`, `any`,
`true`, `current_date`, a table named `for` or `glob`); sqlglot reads them as
the keyword and fails or, worse, drops the column. Every name in a name
position is therefore handed to sqlglot as a same-length placeholder (so
positions in its errors still match the file) and mapped back afterwards.

Name positions are structural: the table, index and constraint names, each
column's first token, the items of key lists and REFERENCES lists, and, in
CHECK, generated-column, index and WHERE expressions, a word that names a
column of the table where an operand can stand (not a function call).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .lex import Token, matching_paren

# After one of these, an operand (a column reference) may follow in an expression.
_OPERAND_AFTER_WORDS = frozenset(
    "AND OR NOT CASE WHEN THEN ELSE BETWEEN IS LIKE GLOB REGEXP MATCH ESCAPE IN WHERE".split()
)
_OPERAND_AFTER_PUNCT = frozenset("( , = < > + - * / % | & ~ !".split())
_EXPRESSION_STARTS = frozenset({"CHECK", "AS"})
# In an expression SQLite reads these as the keyword even when a column has the name.
_ALWAYS_KEYWORDS = frozenset({"CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP"})
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def table_name_tokens(
    tokens: Sequence[Token], elements: Iterable[Sequence[Token]], columns: set[str]
) -> list[Token]:
    """The name tokens of a CREATE TABLE; ``elements`` are its column list items."""
    names = _object_name(tokens, "TABLE")
    for items in elements:
        if items and items[0].keyword not in (
            "CONSTRAINT",
            "PRIMARY",
            "UNIQUE",
            "CHECK",
            "FOREIGN",
        ):
            names.append(items[0])
        names += _names_in(items, columns)
    return [token for token in names if token.kind == "word"]


def index_name_tokens(tokens: Sequence[Token], columns: set[str]) -> list[Token]:
    """The name tokens of a CREATE INDEX; ``columns`` are the indexed table's columns."""
    names = _object_name(tokens, "INDEX")
    on_at = next((i for i, t in enumerate(tokens) if t.keyword == "ON"), None)
    if on_at is not None and on_at + 1 < len(tokens):
        names.append(tokens[on_at + 1])
        if on_at + 2 < len(tokens) and tokens[on_at + 2].text == "(":
            names += _list_items(tokens, on_at + 2)
            names += _operands(tokens[on_at + 2 :], columns)
    return [token for token in names if token.kind == "word"]


def placeholders(names: Sequence[Token], taken: Iterable[str]) -> dict[Token, str]:
    """A placeholder per name token: same length, the same for the same text.

    One-letter names are no keyword and stay as they are; a placeholder never
    matches a word already in the statement (``taken``).
    """
    used = {word.lower() for word in taken}
    chosen: dict[str, str] = {}
    out: dict[Token, str] = {}
    for token in names:
        if len(token.text) < 2:
            continue
        if token.text not in chosen:
            candidate = _next_free(len(token.text), used)
            if candidate is None:
                continue
            used.add(candidate)
            chosen[token.text] = candidate
        out[token] = chosen[token.text]
    return out


def _next_free(length: int, used: set[str]) -> str | None:
    for number in range(len(_ALPHABET) ** min(length - 1, 3)):
        digits = ""
        while True:
            number, rest = divmod(number, len(_ALPHABET))
            digits = _ALPHABET[rest] + digits
            if not number:
                break
        candidate = ("_" + digits).ljust(length, "_")
        if len(candidate) == length and candidate not in used:
            return candidate
    return None


def _object_name(tokens: Sequence[Token], kind: str) -> list[Token]:
    """The name after TABLE or INDEX [IF NOT EXISTS] (not its schema: main is no keyword)."""
    at = next((i for i, t in enumerate(tokens) if t.keyword == kind), None)
    if at is None:
        return []
    at += 1
    if [t.keyword for t in tokens[at : at + 3]] == ["IF", "NOT", "EXISTS"]:
        at += 3
    if at + 2 < len(tokens) and tokens[at + 1].text == ".":
        return [tokens[at + 2]]
    return list(tokens[at : at + 1])


def _names_in(items: Sequence[Token], columns: set[str]) -> list[Token]:
    """Names inside one column definition or table constraint."""
    names: list[Token] = []
    for i, token in enumerate(items[:-1]):
        word, after = token.keyword, items[i + 1]
        if word == "CONSTRAINT":
            names.append(after)
        elif word == "REFERENCES":
            names.append(after)
            if i + 2 < len(items) and items[i + 2].text == "(":
                names += _list_items(items, i + 2)
        elif word in ("KEY", "UNIQUE") and after.text == "(":
            names += _list_items(items, i + 1)
        elif word in _EXPRESSION_STARTS and after.text == "(":
            names += _operands(items[i + 1 : matching_paren(items, i + 1) + 1], columns)
    return names


def _list_items(tokens: Sequence[Token], open_at: int) -> list[Token]:
    """The first token of each item of the list opened at ``open_at``, unless a call."""
    close_at = matching_paren(tokens, open_at)
    names, depth = [], 0
    for i in range(open_at, close_at):
        text = tokens[i].text
        if i == open_at or (depth == 1 and text == ","):
            following = tokens[i + 2].text if i + 2 < len(tokens) else ""
            if following not in ("(", "."):
                names.append(tokens[i + 1])
        depth += {"(": 1, ")": -1}.get(text, 0)
    return names


def _operands(tokens: Sequence[Token], columns: set[str]) -> list[Token]:
    """Words naming a column where an operand may stand (not calls, not qualifiers)."""
    names: list[Token] = []
    for i in range(1, len(tokens) - 1):
        token, before, after = tokens[i], tokens[i - 1], tokens[i + 1]
        if token.kind != "word" or token.text.lower() not in columns:
            continue
        if token.keyword in _ALWAYS_KEYWORDS:
            continue
        if after.text in ("(", ".") or (names and names[-1] is before):
            continue  # a call, a qualifier, or an operator right after an operand
        if before.keyword in _OPERAND_AFTER_WORDS or (
            before.kind == "punct" and before.text in _OPERAND_AFTER_PUNCT
        ):
            names.append(token)
    return names
