"""Queries whose statement depends on the call: IN-lists, `@optional` filters, `@order-by`.

Every statement a call can need is built here, at generation time, from the
parsed tree: one per combination of given optional filters, sort choice and
keyset cursor. An omitted filter's predicate is cut out of the WHERE clause
(not written as ``(:x IS NULL OR col = :x)``, which no index serves), and
SQLite compiles every variant before anything is written.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence

from sqlglot import exp

from ..errors import SchemaError
from ..records import record
from ..schema.ir import Location, QueryColumn, QueryKind, QueryParam, QueryVariant, Schema
from .sqltext import AFTER, LIMIT, param_names

_DIRECTIVE = re.compile(r"^@(?P<word>[\w-]+)(?P<rest>.*)$")
DIRECTIVES = ("optional", "order-by")
# More statements than this per query is a sign the query should be split.
_MAX_VARIANTS = 1024


@record
class Dynamic:
    """What `plan_dynamic` found: the IN-list parameters and the precomputed variants."""

    sequences: frozenset[str]
    optional: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    cursor: tuple[str, ...] = ()
    variants: tuple[QueryVariant, ...] = ()


def read_directive(text: str, location: Location) -> tuple[str, tuple[str, ...]]:
    """``@optional a, b`` → ("optional", ("a", "b")); anything else is refused."""
    match = _DIRECTIVE.match(text)
    if match is None or match["word"] not in DIRECTIVES:
        raise SchemaError(
            f"unknown directive {text.split()[0]!r}: write `-- @optional NAME, ...` or "
            "`-- @order-by COLUMN, ...`",
            location,
        )
    names = tuple(n.strip() for n in match["rest"].split(","))
    if not names or not all(n.isidentifier() for n in names):
        raise SchemaError(f"`@{match['word']}` takes names separated by commas", location)
    if len(set(names)) != len(names):
        raise SchemaError(f"`@{match['word']}` names one of them twice", location)
    return match["word"], names


def sequence_params(tree: exp.Expr, fail: Callable[[str, str], SchemaError]) -> frozenset[str]:
    """Parameters that are the whole list of an ``IN (...)``: they take a sequence."""
    lists: set[str] = set()
    scalars: set[str] = set()
    for node in tree.find_all(exp.Placeholder):
        parent = node.parent
        if isinstance(parent, exp.In) and len(parent.expressions) == 1:
            lists.add(node.name)
        else:
            scalars.add(node.name)
    both = sorted(lists & scalars)
    if both:
        raise fail(f":{both[0]} is used both as an IN-list and as a single value", both[0])
    return frozenset(lists)


def plan_dynamic(
    tree: exp.Expr,
    name: str,
    kind: QueryKind,
    optional: tuple[str, ...],
    order_by: tuple[str, ...],
    params: tuple[QueryParam, ...],
    columns: tuple[QueryColumn, ...],
    schema: Schema,
    owner: str,
    db: sqlite3.Connection,
    location: Location,
    directive_at: dict[str, Location] | None = None,
) -> Dynamic:
    """Check the directives against the statement and build its variants."""
    at = directive_at or {}

    def fail(message: str, word: str | None = None) -> SchemaError:
        directive = "order-by" if "@order-by" in message else "optional"
        return SchemaError(f"query {name}: {message}", at.get(directive, location))

    sequences = sequence_params(tree, fail)
    if not optional and not order_by:
        return Dynamic(sequences)
    known = {p.name for p in params}
    if optional and isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
        raise fail(
            "`@optional` filters reads only: a write whose filters were all None would "
            "change every row"
        )
    for wanted in optional:
        if wanted not in known:
            raise fail(f"`@optional {wanted}` names no parameter of the query")
    cursor: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    if order_by:
        cursor, keys = _check_order(tree, kind, order_by, columns, schema, owner, fail)
    orders = [""] if not order_by else [c for n in order_by for c in (n, f"-{n}")]
    afters = [False, True] if order_by else [False]
    count = 2 ** len(optional) * len(orders) * len(afters)
    if count > _MAX_VARIANTS:
        raise fail(f"its directives need {count} statements (at most {_MAX_VARIANTS}); split it")
    variants = []
    for mask in range(2 ** len(optional)):
        base = tree.copy()
        for bit, wanted in enumerate(optional):
            if not mask >> bit & 1:
                _drop_param(base, wanted, fail)
        for order in orders:
            for after in afters:
                shaped = base.copy()
                if order:
                    _order(shaped, order, keys, columns, after)
                sql = shaped.sql(dialect="sqlite")
                _compile(db, sql, fail)
                # Every parameter this variant binds must still be in it: a required
                # one, and each optional one the caller gave (an OR term would lose it).
                omitted = {o for bit, o in enumerate(optional) if not mask >> bit & 1}
                lost = sorted(known - omitted - set(param_names(sql)))
                if lost:
                    raise fail(
                        f"@optional: leaving out a filter would also drop :{lost[0]}, which is "
                        "in the same term; split the term with AND"
                    )
                variants.append(QueryVariant(mask, order, after, sql))
    return Dynamic(sequences, optional, order_by, cursor, tuple(variants))


def _compile(db: sqlite3.Connection, sql: str, fail: Callable[..., SchemaError]) -> None:
    try:
        db.execute("EXPLAIN " + sql, {n: None for n in param_names(sql)}).fetchall()
    except sqlite3.Error as error:
        raise fail(f"SQLite rejects one of its variants ({error}): {sql}") from None


# ------------------------------------------------------------------ optional filters


def _drop_param(tree: exp.Expr, wanted: str, fail: Callable[..., SchemaError]) -> None:
    """Cut every predicate holding ``:wanted`` out of its WHERE or HAVING."""
    while True:
        found = next((p for p in tree.find_all(exp.Placeholder) if p.name == wanted), None)
        if found is None:
            return
        conjunct = _conjunct(found, wanted, fail)
        parent = conjunct.parent
        if isinstance(parent, exp.And):
            other = parent.right if conjunct is parent.left else parent.left
            parent.replace(other.copy())
        elif parent is not None:
            parent.pop()  # the whole WHERE / HAVING


def _conjunct(node: exp.Expr, wanted: str, fail: Callable[..., SchemaError]) -> exp.Expr:
    """The term of a WHERE/HAVING's top-level AND chain that holds ``node``."""
    while True:
        parent = node.parent
        if parent is None or isinstance(parent, (exp.Select, exp.Join, exp.Update, exp.Insert)):
            raise fail(
                f"@optional :{wanted} must sit in a WHERE or HAVING condition, which is "
                "left out when it is None"
            )
        if isinstance(parent, (exp.Where, exp.Having)):
            return node
        if isinstance(parent, exp.And) and _top_chain(parent):
            return node
        node = parent


def _top_chain(node: exp.Expr) -> bool:
    parent = node.parent
    while isinstance(parent, (exp.And, exp.Paren)):
        parent = parent.parent
    return isinstance(parent, (exp.Where, exp.Having))


# ------------------------------------------------------------------ order-by and keyset


def _check_order(
    tree: exp.Expr,
    kind: QueryKind,
    order_by: tuple[str, ...],
    columns: tuple[QueryColumn, ...],
    schema: Schema,
    owner: str,
    fail: Callable[..., SchemaError],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the result columns a cursor row supplies, those that are the owner's key)."""
    if kind is not QueryKind.MANY or not isinstance(tree, exp.Select):
        raise fail("`@order-by` needs a :many SELECT (no UNION)")
    clauses = {"order": "ORDER BY", "limit": "LIMIT", "offset": "OFFSET", "group": "GROUP BY"}
    for clause, spelled in {**clauses, "distinct": "DISTINCT"}.items():
        if tree.args.get(clause):
            raise fail(
                f"`@order-by` writes ORDER BY and LIMIT itself: remove the statement's {spelled}"
            )
    by_name = {c.name: c for c in columns}
    for wanted in order_by:
        column = by_name.get(wanted)
        if column is None or column.table is None:
            raise fail(f"`@order-by {wanted}` names no result column that is a table column")
        if column.nullable:
            raise fail(
                f"`@order-by {wanted}`: the column may be NULL, which keyset paging cannot order"
            )
    table = schema.table(owner)
    if table.primary_key is None:
        raise fail(f"`@order-by` pages by {owner}'s primary key, and it has none")
    cursor, keys = list(order_by), []
    for key in table.primary_key.columns:
        match = next((c for c in columns if c.table == table.name and c.column == key), None)
        if match is None:
            raise fail(f"`@order-by` pages by {owner}.{key}: select it")
        keys.append(match.name)
        if match.name not in cursor:
            cursor.append(match.name)
    return tuple(cursor), tuple(keys)


def _order(
    tree: exp.Expr,
    order: str,
    keys: tuple[str, ...],
    columns: tuple[QueryColumn, ...],
    after: bool,
) -> None:
    """Add ORDER BY (the choice, then the key), the keyset predicate and LIMIT."""
    assert isinstance(tree, exp.Select)
    desc = order.startswith("-")
    chosen = order.removeprefix("-")
    names = [chosen, *[k for k in keys if k != chosen]]
    exprs = [_expression(tree, n, columns) for n in names]
    if after:
        left = exp.Tuple(expressions=[e.copy() for e in exprs])
        right = exp.Tuple(expressions=[exp.Placeholder(this=AFTER + n) for n in names])
        compare = exp.LT if desc else exp.GT
        tree.where(compare(this=left, expression=right), copy=False)
    # SQLite's own NULL order (first ascending), so no NULLS clause keeps an index off.
    ordered = [exp.Ordered(this=e, desc=desc, nulls_first=not desc) for e in exprs]
    tree.order_by(*ordered, copy=False)
    tree.limit(exp.Placeholder(this=LIMIT), copy=False)


def _expression(tree: exp.Select, name: str, columns: Sequence[QueryColumn]) -> exp.Expr:
    """How the WHERE and ORDER BY spell result column ``name``."""
    for item in tree.expressions:
        if not isinstance(item, exp.Star) and item.alias_or_name == name:
            if not (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
                found: exp.Expr = item.unalias().copy()
                return found
    column = next(c for c in columns if c.name == name)
    sources = [tree.args.get("from_") or tree.args.get("from")] + list(tree.args.get("joins") or [])
    for source in sources:
        table = source.this if source is not None else None
        if (
            isinstance(table, exp.Table)
            and column.table
            and table.name.lower() == column.table.lower()
        ):
            return exp.column(column.column or name, table=table.alias_or_name)
    return exp.column(column.column or name)
