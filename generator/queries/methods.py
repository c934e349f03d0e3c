"""Named queries (IR) → methods on their table's contract and stores.

`parse_queries` has already typed every parameter and result column against
the schema; here each type becomes an annotation and a codec, borrowed from
the table's field when the value is a column (so Literal, bool and dates
convert exactly as in the models), and each query becomes a `MethodView` of
kind "query" plus, when its rows are no table's rows, a frozen row dataclass.
"""

from __future__ import annotations

import keyword
from collections.abc import Sequence
from dataclasses import replace

from ..backends.manifest import Backend
from ..errors import SchemaError
from ..schema.ir import Query, QueryColumn, QueryEmbed, QueryKind, QueryParam, Schema
from ..render.checks import shadows_model_api
from ..render.naming import attribute_name, constant_name, split_words
from ..render.views_methods import RAY_ID
from .calls import DYNAMIC_TAKEN, IN_LIST, KIND_RETURNS, Call, build_call, cursor_fields
from .calls import full_names, sequence_param
from .sqltext import param_names, placeholder_sql, transpile_query
from ..render.views import (
    FieldView,
    MethodView,
    PackageView,
    ParamView,
    QueryRowView,
    QueryView,
    TableView,
    safe_docstring,
)

# Names a query method's body uses; a parameter with one gets a trailing underscore.
_TAKEN = frozenset(
    {"self", "ray_id", "found", "found_rows", "value", "values", "exc", "changed", "r"}
)
_NULL = "None if {} is None else "
# Attributes every store already has: a query method must not shadow them.
_STORE_ATTRIBUTES = frozenset({"db", "model", "table"})
# JsonValue (`x -> '$.path'`): `{query}`/`{column}` name the result in a DecodeError.
_PRIMITIVE_DECODE = {"bool": "bool({})", "JsonValue": "_convert.decode_json({}, {query}, {column})"}


def attach_queries(view: PackageView, schema: Schema, acronyms: tuple[str, ...]) -> PackageView:
    """Add every named query as a method of its table, and the row classes they return.

    Raises:
        SchemaError: At the query, when its method or row class name collides.
    """
    if not schema.queries:
        return view
    tables = {t.name: t for t in view.tables}
    taken_classes = {t.model for t in view.tables} | {m.name for m in view.mixins}
    taken_classes |= {t.contract for t in view.tables} | {t.store for t in view.tables}
    rows: list[QueryRowView] = []
    for query in schema.queries:
        owner = tables[query.table]
        row = _row_view(query, tables, acronyms)
        if row is not None:
            if row.name in taken_classes:
                raise SchemaError(
                    f"query {query.name}: its row class {row.name} collides with another class",
                    query.location,
                )
            taken_classes.add(row.name)
            rows.append(row)
            for f in row.fields:
                if shadows_model_api(f.attr, view.models.name):
                    raise SchemaError(
                        f"query {query.name}: result column {f.column!r} becomes the attribute "
                        f"{f.attr!r}, which pydantic's BaseModel already has; rename it with `AS`",
                        query.location,
                    )
        method = _method(query, owner, tables, row)
        if any(m.name == method.name for m in owner.methods):
            raise SchemaError(
                f"query {query.name}: {owner.store} already has a method {method.name}; "
                "rename the query",
                query.location,
            )
        if method.sql in owner.sql_names:  # `listAll` and `list_all` both read LIST_ALL
            raise SchemaError(
                f"query {query.name}: its SQL would be named {method.sql}, like that of "
                f"another method of {owner.store}; rename the query",
                query.location,
            )
        owner.methods = (*owner.methods, method)
    return replace(view, query_rows=tuple(rows))


def query_statements(table: TableView, backend: Backend) -> dict[str, object]:
    """The SQL of a table's named queries, by statement name, in the backend's dialect.

    A plain query has one text. A query whose text depends on the call has
    a dict: its variant key → (text, positions of its parameters in the
    method's full argument tuple). `_IN_LIST` says how IN-lists bind.
    """
    statements: dict[str, object] = {}
    for method in table.methods:
        query = method.query
        if query is None:
            continue
        if query.sequences:
            statements[IN_LIST] = "json" if backend.dialect == "sqlite" else "array"
        if not query.variants:
            statements[method.sql] = _dialect_sql(query.sql, query.param_names, query, backend)
            continue
        variants = {}
        for mask, order, after, sql in query.variants:
            names = param_names(sql)
            picks = tuple(query.full_names.index(n) for n in names)
            text = _dialect_sql(sql, names, query, backend, bool(order))
            variants[(mask, order, after)] = (text, picks)
        statements[method.sql] = variants
    return statements


def _dialect_sql(
    sql: str, names: Sequence[str], query: QueryView, backend: Backend, ordered: bool = False
) -> str:
    if backend.dialect == "sqlite":
        return placeholder_sql(sql, names, query.sequences)
    return transpile_query(sql, names, backend.dialect, query.sequences, ordered)


def row_class_name(query_name: str, acronyms: tuple[str, ...] = ()) -> str:
    """``count_events_by_type`` → ``CountEventsByTypeRow``."""
    spelled = {a.lower(): a for a in acronyms}
    words = split_words(query_name)
    return "".join(spelled.get(w.lower(), w[:1].upper() + w[1:]) for w in words) + "Row"


def _method(
    query: Query, owner: TableView, tables: dict[str, TableView], row: QueryRowView | None
) -> MethodView:
    if (
        not query.name.isidentifier()
        or keyword.iskeyword(query.name)
        or query.name.startswith("_")
        or query.name in _STORE_ATTRIBUTES
    ):
        raise SchemaError(
            f"query name {query.name!r} is not a usable method name (it is a keyword, starts "
            f"with '_', or is one of {', '.join(sorted(_STORE_ATTRIBUTES))})",
            query.location,
        )
    taken = _TAKEN | (DYNAMIC_TAKEN if query.variants else frozenset())
    params = tuple(_param(p, tables, taken) for p in query.params)
    names = [p.name for p in params]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise SchemaError(
            f"query {query.name}: two parameters become the argument {duplicate}", query.location
        )
    value, decode = _result(query, tables, row)
    returns = {
        QueryKind.ONE: value,
        QueryKind.MANY: f"list[{value}]",
        QueryKind.SCALAR: value,
        **KIND_RETURNS,
    }[query.kind]
    sql_name = constant_name(query.name)
    call = build_call(query, params, sql_name, value, cursor_fields(query, tables, row))
    head = f"{call.leading}{RAY_ID}{call.keywords}"
    if query.kind is QueryKind.BATCHEXEC:
        head, call = _batch(params, call)
    doc = query.comment or f"The named query {query.name} (:{query.kind.value})."
    return MethodView(
        kind="query",
        name=query.name,
        signature=f"{query.name}(self, {head}) -> Result[{returns}]",
        doc=safe_docstring(doc),
        returns=returns,
        params=params,
        args=call.arguments,
        sql=sql_name,
        query=QueryView(
            kind=query.kind.value,
            fetch=_fetch(query),
            decode=decode,
            sql=query.sql,
            param_names=tuple(p.name for p in query.params),
            statement=call.statement,
            arguments=call.arguments,
            prelude=call.prelude,
            sequences=tuple(p.name for p in query.params if p.sequence),
            variants=tuple((v.mask, v.order, v.after, v.sql) for v in query.variants),
            full_names=tuple(full_names(query)),
        ),
    )


def _batch(params: tuple[ParamView, ...], call: Call) -> tuple[str, Call]:
    """`:batchexec` takes one tuple of the query's parameters per run."""
    if len(params) == 0:
        return f"params: Sequence[tuple[()]], {RAY_ID}", replace(call, arguments="params")
    types = ", ".join(p.annotation for p in params)
    head = f"params: Sequence[tuple[{types}]], {RAY_ID}"
    if all(p.codec_encode == "{}" for p in params):
        return head, replace(call, arguments="params")
    row = ", ".join(p.encode_as(f"p[{i}]") for i, p in enumerate(params))
    row = f"({row},)" if len(params) == 1 else f"({row})"  # no magic trailing comma
    return head, replace(call, arguments=f"[{row} for p in params]")


def _fetch(query: Query) -> str:
    if query.kind is QueryKind.MANY:
        return "fetch_all"  # stores run autocommitted: a write's RETURNING rows commit too
    if query.kind in (QueryKind.ONE, QueryKind.SCALAR):
        return "execute_returning" if query.writes else "fetch_one"
    return "execute"


def _result(
    query: Query, tables: dict[str, TableView], row: QueryRowView | None
) -> tuple[str, str]:
    """(the Python type of one result, the expression decoding one row `{}`)."""
    if query.kind in KIND_RETURNS:
        return "None", "None"
    if query.row_table is not None and query.kind is not QueryKind.SCALAR:
        table = tables[query.row_table]
        return table.model, f"{table.decoder}({{}})"
    if row is not None:
        return row.name, f"{row.decoder}({{}})"
    annotation, decode, _ = _codec(query.columns[0], tables, query.columns[0].nullable)
    return annotation, _named(decode, query, query.columns[0]).replace("{}", "{}[0]")


def _row_view(
    query: Query, tables: dict[str, TableView], acronyms: tuple[str, ...]
) -> QueryRowView | None:
    if query.kind not in (QueryKind.ONE, QueryKind.MANY) or query.row_table is not None:
        return None
    if len(query.columns) == 1 and not query.embeds:
        return None
    name = row_class_name(query.name, acronyms)
    fields = []
    positions: list[int] = []
    seen: dict[str, str] = {}
    embeds = {e.start: e for e in query.embeds}
    inside = range(0)
    for position, column in enumerate(query.columns):
        if position in inside:
            continue
        positions.append(position)
        if position in embeds:
            inside = range(position, embeds[position].stop)
            fields.append(_embed_field(embeds[position], tables, seen, query))
            continue
        annotation, decode, field = _codec(column, tables, column.nullable)
        decode = _named(decode, query, column)
        attr = attribute_name(column.name)
        if attr in seen:
            raise SchemaError(
                f"query {query.name}: result columns {seen[attr]!r} and {column.name!r} both "
                f"become the attribute {attr!r}; rename one with `AS`",
                query.location,
            )
        seen[attr] = column.name
        fields.append(
            FieldView(
                attr=attr,
                column=column.name,
                annotation=annotation,
                default=None,
                default_sql=None,
                secret=field.secret if field is not None else False,
                doc=field.doc if field is not None else None,
                decode=decode,
                encode="{}",
                writable=False,
                imports=field.imports if field is not None else (),
            )
        )
    return QueryRowView(
        name=name,
        doc=safe_docstring(f"A row of the named query {query.name}."),
        fields=tuple(fields),
        decoder=f"decode_{query.name}_row",
        positions=tuple(positions),
    )


def _embed_field(
    embed: QueryEmbed, tables: dict[str, TableView], seen: dict[str, str], query: Query
) -> FieldView:
    """One field holding an embedded table's model, decoded by that table's decoder."""
    table = tables[embed.table]
    attr = attribute_name(table.model).rstrip("_")
    if attr in seen:
        raise SchemaError(
            f"query {query.name}: embed({embed.table}) becomes the attribute {attr!r}, "
            f"as does {seen[attr]!r}; rename the other column with `AS`",
            query.location,
        )
    seen[attr] = f"embed({embed.table})"
    decode = f"{table.decoder}(r[{embed.start}:{embed.stop}])"
    annotation = table.model
    if embed.outer:  # the optional side of an outer join: no row when its key is NULL
        keys = [i for i, f in enumerate(table.fields) if f.column in table.key_columns]
        probe = embed.start + (keys[0] if keys else 0)
        decode = f"None if r[{probe}] is None else {decode}"
        annotation += " | None"
    return FieldView(
        attr=attr,
        column=embed.table,
        annotation=annotation,
        default=None,
        default_sql=None,
        secret=False,
        doc=None,
        decode=decode,
        encode="{}",
        writable=False,
    )


def _param(param: QueryParam, tables: dict[str, TableView], taken: frozenset[str]) -> ParamView:
    annotation, _, field = _codec(param, tables, param.nullable)
    encode = field.encode.removeprefix(_NULL) if field is not None else "{}"
    name = attribute_name(param.name)
    name = f"{name}_" if name in taken else name
    view = ParamView(
        name=name, annotation=annotation, column=param.column or param.name, codec_encode=encode
    )
    if param.sequence:
        return sequence_param(view, param.optional)
    if (param.nullable or param.optional) and encode != "{}":
        view = replace(view, codec_encode=_NULL + encode)
    return view


def _codec(
    value: QueryParam | QueryColumn, tables: dict[str, TableView], nullable: bool
) -> tuple[str, str, FieldView | None]:
    """(annotation, decode expression, the column's field if any) for a typed value."""
    field = None
    if value.table is not None and value.column is not None:
        by_column = {f.column: f for f in tables[value.table].fields}
        field = by_column.get(value.column)
    if field is not None:
        annotation = field.annotation.removesuffix(" | None")
        decode = field.decode.removeprefix(_NULL)
    else:
        annotation = value.primitive or "str"
        decode = _PRIMITIVE_DECODE.get(annotation, "{}")
    if nullable:
        annotation += " | None"
        if decode != "{}":
            decode = _NULL + decode
    return annotation, decode, field


def _named(decode: str, query: Query, column: QueryColumn) -> str:
    """Name the query and result column a decoder's DecodeError reports."""
    return decode.replace("{query}", repr(query.name)).replace("{column}", repr(column.name))


def _tuple(items: list[str]) -> str:
    return "()" if not items else f"({', '.join(items)},)"
