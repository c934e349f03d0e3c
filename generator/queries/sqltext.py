"""A named query's text in a backend's dialect and placeholder style.

SQLite and libSQL get the statement as written, ``:name`` turned into
``?N``; PostgreSQL gets it transpiled by sqlglot with ``$N``. An IN-list
parameter (``IN (:ids)``) binds one value either way: a JSON array read by
``json_each(?N)`` on SQLite, an array compared with ``= ANY($N)`` on PostgreSQL,
so any length (none, or 100,000) is one statement with one variable.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

from ..schema.lex import Token, scan_source

# sqlglot is imported by `transpile_query` alone: the SQLite path (and so a
# generation for SQLite backends) renders without it (generator/background.py).

# The parameters storegen adds to a dynamic query (queries/dynamic.py): the page
# size, and the keyset cursor (`__after_<column>`).
LIMIT = "__limit"
AFTER = "__after_"

# What an IN-list parameter becomes on SQLite: every value of one JSON array.
JSON_LIST = "SELECT value FROM json_each(?{})"


def placeholder_sql(sql: str, params: Sequence[str], sequences: Collection[str] = ()) -> str:
    """SQLite text with each ``:name`` turned into ``?N`` (N = its place in ``params``).

    Whitespace and comments between tokens collapse to one space, so the
    statement prints on one line; string literals are kept as written. A
    name in ``sequences`` (the whole list of an ``IN (...)``) reads its
    values from one JSON-array parameter.
    """
    tokens = _tokens(sql)
    numbers = {name: i + 1 for i, name in enumerate(params)}
    out: list[str] = []
    previous: Token | None = None
    skip = False
    for i, token in enumerate(tokens):
        if skip:
            skip = False
            previous = token
            continue
        if previous is not None and token.start > previous.end:
            out.append(" ")
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.text == ":" and following is not None and following.start == token.end:
            number = numbers[following.text]
            out.append(JSON_LIST.format(number) if following.text in sequences else f"?{number}")
            skip = True
        else:
            out.append(token.text)
        previous = token
    return "".join(out)


def transpile_query(
    sql: str,
    params: Sequence[str],
    dialect: str,
    sequences: Collection[str] = (),
    not_null_order: bool = False,
) -> str:
    """The query in another dialect, ``:name`` turned into ``$N`` (N = its place in ``params``).

    ``x IN (:name)`` for a name in ``sequences`` becomes ``x = ANY($N)``.
    ``not_null_order``: the top-level ORDER BY sorts NOT NULL columns (an
    `@order-by`), so it needs no NULLS FIRST/LAST, which would keep an index
    from serving the order.
    """
    import sqlglot
    from sqlglot import exp

    from .json_paths import json_operators

    tree = sqlglot.parse_one(sql, read=_dialect("sqlite"))
    order = tree.args.get("order")
    if not_null_order and isinstance(order, exp.Order):
        for ordered in order.expressions:
            ordered.set("nulls_first", bool(ordered.args.get("desc")))
    numbers = {name: i + 1 for i, name in enumerate(params)}
    for node in list(tree.find_all(exp.In)):
        items = node.expressions
        if len(items) == 1 and isinstance(items[0], exp.Placeholder):
            if items[0].name in sequences:
                array = exp.Paren(this=items[0].copy())
                node.replace(exp.EQ(this=node.this.copy(), expression=exp.Any(this=array)))
    for placeholder in list(tree.find_all(exp.Placeholder)):
        placeholder.replace(exp.Parameter(this=exp.Literal.number(numbers[placeholder.name])))
    json_operators(tree)
    # The tree is this call's own: printed in place, as sqlglot.transpile does (no deep copy).
    return tree.sql(dialect=_dialect(dialect), copy=False)


@lru_cache(maxsize=None)
def _dialect(name: str) -> Any:
    """sqlglot's dialect `name`, made once: by name, sqlglot makes one per parse and per print."""
    from sqlglot.dialects.dialect import Dialect

    return Dialect.get_or_raise(name)


def param_names(sql: str) -> list[str]:
    """The ``:name`` parameters of SQLite text, in order of first appearance."""
    tokens = _tokens(sql)
    names: list[str] = []
    for i, token in enumerate(tokens[:-1]):
        following = tokens[i + 1]
        if token.text == ":" and following.start == token.end and following.kind == "word":
            if following.text not in names:
                names.append(following.text)
    return names


@lru_cache(maxsize=4096)
def _tokens(sql: str) -> tuple[Token, ...]:
    """The significant tokens of a query's text, lexed once per text.

    A variant of a dynamic query is read for its parameter names when it is
    built, then again for them and for its placeholders once per SQL style;
    the tokens (immutable tuples) depend on the text alone.
    """
    return tuple(t for s in scan_source("<query>", sql).statements for t in s.tokens)
