"""Hand one CREATE statement to sqlglot, and explain its failures with positions.

sqlglot reports an error at the end of the token it stumbled on, relative to
the text it was given, and in its own words; users need the file position of
that token and, when SQLite rejects the statement too, SQLite's words.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..errors import SchemaError
from .ir import Location
from .bare_names import placeholders
from .lex import SourceFile, Statement, Token


def parse_create(
    statement: Statement,
    source: SourceFile,
    blanks: Sequence[tuple[int, int, str]],
    names: Sequence[Token] = (),
) -> exp.Create:
    """Parse a CREATE statement with sqlglot, ``blanks`` and ``names`` hidden first.

    Each blank is ``(start, end, placeholder)`` in file offsets; it is replaced
    by spaces (newlines kept) so sqlglot's positions still match the file.
    Each name token is replaced by a same-length placeholder that sqlglot
    cannot take for a keyword, and its identifiers are given the name back.
    Raises SchemaError at the offending token.
    """
    base = statement.tokens[0].start
    chars = list(statement.text)
    # Quoted names and strings too ([_0], "_0", '_0'): a placeholder equal to one would
    # give that name back as the word it stands for (a table [_0] read as column A0's name).
    taken = (
        t.text if t.kind == "word" else t.text[1:-1]
        for t in statement.tokens
        if t.kind in ("word", "quoted", "string")
    )
    hidden = placeholders(names, taken)
    restore = {placeholder: token.text for token, placeholder in hidden.items()}
    blanks = [*blanks, *((t.start, t.end, p) for t, p in hidden.items())]
    for start, end, placeholder in blanks:
        for k in range(start - base, end - base):
            chars[k] = "\n" if chars[k] == "\n" else " "
        chars[start - base : start - base + len(placeholder)] = placeholder
    try:
        node = sqlglot.parse_one("".join(chars), read="sqlite")
    except ParseError as error:
        detail = error.errors[0] if error.errors else {}
        location = _error_location(detail, statement, source)
        raise _unparsable(statement, location, detail.get("description", str(error))) from None
    except TokenError as error:
        raise _unparsable(statement, statement.location, str(error)) from None
    if not isinstance(node, exp.Create):
        raise _unparsable(statement, statement.location, "it fell back to an opaque command")
    restore_names(node, restore)
    split_column_collations(node)
    return node


def split_column_collations(tree: exp.Expr) -> None:
    """`DEFAULT 'x' COLLATE NOCASE` and `AS (expr) COLLATE NOCASE` as SQLite reads them.

    A DEFAULT is a literal or a parenthesized expression, and the short form of
    a generated column ends at its parenthesis, so SQLite reads a COLLATE after
    either as the column's collation; sqlglot folds it into the expression.
    Each becomes a COLLATE constraint after it, in the order written (the last
    one is the column's, as in SQLite).
    """
    body = tree.this if isinstance(tree, exp.Create) else None
    columns = body.expressions if isinstance(body, exp.Schema) else ()  # a table's list
    for column in columns:
        if not isinstance(column, exp.ColumnDef):
            continue  # a table constraint
        constraints = column.args.get("constraints") or []
        split: list[exp.Expr] = []
        for constraint in constraints:
            split.append(constraint)
            kind = constraint.args.get("kind")
            if not isinstance(kind, (exp.DefaultColumnConstraint, exp.ComputedColumnConstraint)):
                continue
            collations = []
            while isinstance(kind.this, exp.Collate):
                collations.append(kind.this.expression)
                kind.set("this", kind.this.this)
            split += (
                exp.ColumnConstraint(kind=exp.CollateColumnConstraint(this=name))
                for name in reversed(collations)
            )
        if len(split) != len(constraints):
            column.set("constraints", split)


def restore_names(tree: exp.Expr, restore: dict[str, str]) -> None:
    """Give every placeholder identifier its name back."""
    if not restore:
        return
    for identifier in tree.find_all(exp.Identifier):
        name = restore.get(identifier.this)
        if name is not None:
            identifier.set("this", name)


def _error_location(detail: dict[str, Any], statement: Statement, source: SourceFile) -> Location:
    """The start of the token sqlglot stumbled on (it reports the token's end)."""
    if not (detail.get("line") and detail.get("col")):
        return statement.location
    lines = statement.text.split("\n")
    relative = sum(len(line) + 1 for line in lines[: detail["line"] - 1]) + detail["col"] - 1
    offset = statement.tokens[0].start + relative
    return source.locate([t.start for t in statement.tokens if t.start <= offset][-1])


def _unparsable(statement: Statement, location: Location, reason: str) -> SchemaError:
    """Explain a statement sqlglot cannot parse, in SQLite's words if SQLite rejects it too.

    SQLite checks syntax before it resolves names, so an empty database tells
    a syntax error apart from a missing table.
    """
    with closing(sqlite3.connect(":memory:")) as db:
        try:
            db.execute(statement.text)
        except sqlite3.Error as rejected:
            if not str(rejected).startswith("no such table"):
                return SchemaError(f"SQLite rejects this statement: {rejected}", location)
    return SchemaError(
        f"storegen cannot parse this valid {statement.phrase} (sqlglot: {reason}); please report it",
        location,
    )
