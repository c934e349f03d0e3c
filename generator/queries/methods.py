"""Named queries (IR) → methods on their table's contract and stores.

`parse_queries` has already typed every parameter and result column against
the schema; here each type becomes an annotation and a codec, borrowed from
the table's field when the value is a column (so Literal, bool and dates
convert exactly as in the models), and each query becomes a `MethodView` of
kind "query" plus, when its rows are no table's rows, a frozen row dataclass.
"""

from __future__ import annotations

import keyword
from dataclasses import replace

from ..backends.manifest import Backend
from ..errors import SchemaError
from ..schema.ir import Query, QueryColumn, QueryKind, QueryParam, Schema
from ..render.checks import shadows_model_api
from ..render.naming import attribute_name, constant_name, split_words
from .parse import placeholder_sql, transpile_query
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


def query_statements(table: TableView, backend: Backend) -> dict[str, str]:
    """The SQL text of a table's named queries, by statement name, in the backend's dialect."""
    statements = {}
    for method in table.methods:
        query = method.query
        if query is None:
            continue
        if backend.dialect == "sqlite":
            statements[method.sql] = placeholder_sql(query.sql, query.param_names)
        else:
            statements[method.sql] = transpile_query(query.sql, query.param_names, backend.dialect)
    return statements


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
    params = tuple(_param(p, tables) for p in query.params)
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
        QueryKind.EXEC: "None",
        QueryKind.EXECROWS: "int",
    }[query.kind]
    declared = "".join(f"{p.declaration}, " for p in params)
    doc = query.comment or f"The named query {query.name} (:{query.kind.value})."
    return MethodView(
        kind="query",
        name=query.name,
        signature=f"{query.name}(self, {declared}ray_id: str) -> Result[{returns}]",
        doc=safe_docstring(doc),
        returns=returns,
        params=params,
        args=_tuple([p.encode for p in params]),
        sql=constant_name(query.name),
        query=QueryView(
            kind=query.kind.value,
            fetch=_fetch(query),
            decode=decode,
            sql=query.sql,
            param_names=tuple(p.name for p in query.params),
        ),
    )


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
    if query.kind in (QueryKind.EXEC, QueryKind.EXECROWS):
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
    if len(query.columns) == 1:
        return None
    name = row_class_name(query.name, acronyms)
    fields = []
    seen: dict[str, str] = {}
    for column in query.columns:
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
    )


def _param(param: QueryParam, tables: dict[str, TableView]) -> ParamView:
    annotation, _, field = _codec(param, tables, param.nullable)
    encode = field.encode.removeprefix(_NULL) if field is not None else "{}"
    if param.nullable and encode != "{}":
        encode = _NULL + encode
    name = attribute_name(param.name)
    name = f"{name}_" if name in _TAKEN else name
    return ParamView(
        name=name, annotation=annotation, column=param.column or param.name, codec_encode=encode
    )


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
