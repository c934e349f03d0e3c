"""Which tables an AFTER trigger rewrites: RETURNING cannot see such writes.

SQLite (and PostgreSQL) evaluate `RETURNING` before AFTER triggers run, so a
table whose AFTER INSERT or AFTER UPDATE trigger writes the same table would
return stale values from insert, update and upsert. The stores read such
rows back; this module finds the tables, from the trigger's tokens alone
(trigger bodies are not parsed with sqlglot).
"""

from __future__ import annotations

from collections.abc import Sequence

from .lex import Statement, Token

# Words that start a write to a table in a trigger body, before the table name.
_WRITES = {"UPDATE", "INTO"}  # UPDATE [OR x] t; INSERT/REPLACE [OR x] INTO t
_UPDATE_OR = {"OR"}


def rewritten_table(statement: Statement) -> tuple[str, str] | None:
    """(table, "INSERT" | "UPDATE") when an AFTER trigger writes its own table, else None.

    Only direct writes count (`UPDATE t`, `INSERT OR REPLACE INTO t`,
    `REPLACE INTO t` in the body); a chain through another table's trigger
    is not followed.
    """
    tokens = statement.tokens
    words = [t.keyword for t in tokens]
    if "BEGIN" not in words:
        return None
    head, body = tokens[: words.index("BEGIN")], tokens[words.index("BEGIN") + 1 :]
    head_words = [t.keyword for t in head]
    if "AFTER" not in head_words or "ON" not in head_words:
        return None
    after = head_words.index("AFTER")
    event = head_words[after + 1] if after + 1 < len(head_words) else ""
    if event not in ("INSERT", "UPDATE"):
        return None
    on = head_words.index("ON", after)
    table = _name(head[on + 1 :])
    if table is None:
        return None
    return (table, event) if table.lower() in _written_tables(body) else None


def _written_tables(body: Sequence[Token]) -> set[str]:
    """Lower-cased names of the tables the trigger body updates or inserts into."""
    written = set()
    for i, token in enumerate(body):
        if token.keyword not in _WRITES:
            continue
        at = i + 1
        if token.keyword == "UPDATE" and at < len(body) and body[at].keyword in _UPDATE_OR:
            at += 2  # UPDATE OR REPLACE t
        if token.keyword == "INTO" and not _replacing(body, i):
            continue  # a plain INSERT adds a row; it does not rewrite one
        name = _name(body[at:])
        if name is not None:
            written.add(name.lower())
    return written


def _replacing(body: Sequence[Token], into: int) -> bool:
    """Whether the INSERT ending at `into` may replace a row (REPLACE, OR REPLACE)."""
    words = [t.keyword for t in body[max(0, into - 3) : into]]
    return "REPLACE" in words


def _name(tokens: Sequence[Token]) -> str | None:
    """The (unquoted) table name at the start of `tokens`, skipping `main.`."""
    if len(tokens) >= 3 and tokens[1].text == ".":
        tokens = tokens[2:]
    if not tokens:
        return None
    token = tokens[0]
    if token.kind == "quoted":
        return token.text[1:-1].replace(token.text[0] * 2, token.text[0])
    return token.text if token.kind == "word" else None
