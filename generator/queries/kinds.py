"""The checks and the SQL of the kinds `:execlastid` and `:batchexec`.

`:execlastid` returns the integer key of the row an INSERT wrote. Rather than
each driver's "last insert id" (PostgreSQL has none), the statement gets
``RETURNING <key>``, which every backend answers the same way.
"""

from __future__ import annotations

from sqlglot import exp

from ..errors import SchemaError
from ..schema.ir import Location, QueryKind, Schema
from .scope import _from


def check_kind(
    kind: QueryKind, name: str, tree: exp.Expr, writes: bool, schema: Schema, location: Location
) -> None:
    """Refuse `:execlastid` and `:batchexec` on statements they cannot run."""
    if kind not in (QueryKind.EXECLASTID, QueryKind.BATCHEXEC):
        return
    if not writes:
        raise SchemaError(f"query {name} is :{kind.value} but does not write", location)
    if tree.args.get("returning"):
        raise SchemaError(
            f"query {name} is :{kind.value}, which returns no rows: remove RETURNING", location
        )
    if kind is QueryKind.EXECLASTID:
        key = _integer_key(tree, schema)
        if key is None:
            raise SchemaError(
                f"query {name} is :execlastid: it must INSERT into a table whose primary key "
                "is one INTEGER column",
                location,
            )


def lastid_sql(tree: exp.Expr, schema: Schema) -> str:
    """The INSERT with ``RETURNING <its table's integer key>``."""
    key = _integer_key(tree, schema)
    assert key is not None  # check_kind ran first
    returning = tree.copy()
    returning.set("returning", exp.Returning(expressions=[exp.column(key)]))
    return returning.sql(dialect="sqlite")


def _integer_key(tree: exp.Expr, schema: Schema) -> str | None:
    if not isinstance(tree, exp.Insert):
        return None
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(target, exp.Table):
        return None
    table = schema.table(target.name)
    key = table.primary_key
    if key is None or not key.rowid_alias:
        return None
    return key.columns[0]


def target_table(tree: exp.Expr, seen: frozenset[str] = frozenset()) -> str | None:
    """The table a statement reads or writes: through FROM subqueries and CTEs."""
    if isinstance(tree, exp.Insert):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        return target.name if isinstance(target, exp.Table) else None
    if isinstance(tree, (exp.Update, exp.Delete)):
        return tree.this.name if isinstance(tree.this, exp.Table) else None
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if isinstance(select, exp.Select):
        source = _from(select)
        if isinstance(source, exp.Table):
            name = source.name.lower()
            ctes = {cte.alias.lower(): cte.this for cte in tree.root().find_all(exp.CTE)}
            if name in ctes and name not in seen:
                return target_table(ctes[name], seen | {name})
            return source.name if name not in ctes else None
        if isinstance(source, exp.Subquery):
            return target_table(source.this, seen)
    return None
