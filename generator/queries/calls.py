"""How a named query's method calls the database: its signature tail and arguments.

Plain queries send their parameters as a tuple to one statement. IN-list
parameters are checked (a str is refused) and sent as one value. Queries
with `@optional` or `@order-by` pick their precomputed statement by a key
(which filters are given, the sort choice, whether `after` is given) and
take their parameters from the full argument tuple by position.
"""

from __future__ import annotations

from dataclasses import replace

from ..records import record
from ..schema.ir import Query, QueryKind
from ..render.views import FieldView, ParamView, QueryRowView, TableView
from .sqltext import AFTER, LIMIT

_NULL = "None if {} is None else "
IN_LIST = "_IN_LIST"  # the _sql class attribute naming the IN-list style
# Local names of a dynamic query's body, and the paging keywords.
DYNAMIC_TAKEN = frozenset(
    {"statement", "bound", "order_by", "limit", "after", "mask", "full", "key"}
)


@record
class Call:
    """What `_method` prints for one query."""

    leading: str  # `a: int, b: str, ` before ray_id
    keywords: str  # `, *, x: int | None = None, ...` after ray_id, or ""
    statement: str
    arguments: str
    prelude: tuple[str, ...]


def sequence_param(param: ParamView, optional: bool) -> ParamView:
    """An IN-list parameter: a Sequence[T], each value through T's codec, sent as one value."""
    each = param.codec_encode
    codec = "" if each == "{}" else f", lambda v: {each.replace('{}', 'v')}"
    encode = f'_dynamic.in_list(self._sql.{IN_LIST}, {{}}, "{param.name}"{codec})'
    return ParamView(
        name=param.name,
        annotation=f"Sequence[{param.annotation}]",
        column=param.column,
        codec_encode=(_NULL + encode) if optional else encode,
    )


def build_call(
    query: Query,
    params: tuple[ParamView, ...],
    sql_name: str,
    row_type: str,
    cursor_fields: tuple[FieldView, ...],
) -> Call:
    """The signature pieces and the call expressions of a query method."""
    required = [v for v, p in zip(params, query.params) if not p.optional]
    leading = "".join(f"{v.declaration}, " for v in required)
    keywords = [
        f"{v.name}: {v.annotation.removesuffix(' | None')} | None = None"
        for v, p in zip(params, query.params)
        if p.optional
    ]
    encoded = [v.encode for v in params]
    if not query.variants:
        tail = "".join(f", {k}" for k in ["*", *keywords]) if keywords else ""
        return Call(leading, tail, f"self._sql.{sql_name}", _tuple(encoded), ())
    if query.order_by:
        choices = [c for n in query.order_by for c in (n, f"-{n}")]
        literal = ", ".join(f'"{c}"' for c in choices)
        keywords.append(f'order_by: Literal[{literal}] = "{query.order_by[0]}"')
        keywords += ["limit: int = 100", f"after: {row_type} | None = None"]
    lines = ["mask = 0", "full: list[object] = []"]
    bit = 0
    for view, param in zip(params, query.params):
        if not param.optional:
            lines.append(f"full.append({view.encode})")
            continue
        encode = view.codec_encode.removeprefix(_NULL).replace("{}", view.name)
        if encode == view.name:
            lines += [f"if {view.name} is not None:", f"    mask |= {1 << bit}"]
            lines.append(f"full.append({view.name})")
        else:
            lines += [f"if {view.name} is None:", "    full.append(None)", "else:"]
            lines += [f"    mask |= {1 << bit}", f"    full.append({encode})"]
        bit += 1
    if query.order_by:
        lines += ["full.append(limit)", "if after is None:"]
        lines.append(f"    full.extend([None] * {len(cursor_fields)})")
        lines.append("else:")
        lines += [
            f"    full.append({f.encode.replace('{}', f'after.{f.attr}')})" for f in cursor_fields
        ]
    order = "order_by" if query.order_by else '""'
    after_given = "after is not None" if query.order_by else "False"
    lines.append(f"key = (mask, {order}, {after_given})")
    lines.append(f"picked = _dynamic.pick(self._sql.{sql_name}, key, full)")
    tail = "".join(f", {k}" for k in ["*", *keywords])
    return Call(leading, tail, "picked[0]", "picked[1]", tuple(lines))


def full_names(query: Query) -> list[str]:
    """The :names in the order of a dynamic query's full argument tuple."""
    names = [p.name for p in query.params]
    if query.order_by:
        names += [LIMIT, *(AFTER + c for c in query.cursor)]
    return names


def cursor_fields(
    query: Query, tables: dict[str, TableView], row: QueryRowView | None
) -> tuple[FieldView, ...]:
    """The fields of the result row a keyset cursor reads, by result column name."""
    if not query.cursor:
        return ()
    if row is not None:
        by_name = {f.column: f for f in row.fields}
        found = []
        for name in query.cursor:
            field = by_name[name]
            column = next(c for c in query.columns if c.name == name)
            own = {f.column: f for f in tables[column.table or ""].fields}.get(column.column or "")
            encode = own.encode if own is not None else "{}"
            found.append(replace(field, encode=encode))
        return tuple(found)
    table = tables[query.row_table or query.table]
    by_column = {f.column: f for f in table.fields}
    return tuple(by_column[name] for name in query.cursor)


def _tuple(items: list[str]) -> str:
    return "()" if not items else f"({', '.join(items)},)"


KIND_RETURNS = {
    QueryKind.EXEC: "None",
    QueryKind.EXECROWS: "int",
    QueryKind.EXECLASTID: "int",
    QueryKind.BATCHEXEC: "int",
}
