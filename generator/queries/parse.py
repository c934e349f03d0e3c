"""Query files to IR: annotated SQL statements, typed against the schema.

Each statement (its ``-- name:`` header format is in docs/queries.md) is
first prepared by SQLite against an in-memory database built from the schema,
so SQLite has the last word on unknown tables, columns and syntax; then
sqlglot parses it, `types.py` types every result column and `params.py`
every ``:param`` from the schema IR. `transpile_query` writes a query in
another dialect for backends that are not SQLite.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from contextlib import closing

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..errors import SchemaError
from ..records import record, replace
from ..schema.ir import Location, Query, QueryColumn, QueryEmbed, QueryKind, Schema
from .scope import (
    _WRITES,
    PRIMITIVES,
    _from,
    _nullable,
    _Type,
    _word_location,
)
from .objects import table_behind
from .dynamic import plan_dynamic, read_directive
from .embed import plan_embeds, rewrite_embeds
from .kinds import check_kind, lastid_sql, target_table
from .params import _QueryTyper
from ..schema.lex import SourceFile, Statement, scan_source
from .sqltext import placeholder_sql, transpile_query

__all__ = ["PRIMITIVES", "parse_queries", "placeholder_sql", "transpile_query"]

_NAME = re.compile(r"^name:\s*(?P<name>\S+)\s*(?::(?P<kind>\S+))?\s*$")
_TABLE = re.compile(r"^table:\s*(?P<table>\S+)\s*$")
_PARAM = re.compile(r"^param:\s*(?P<name>\S+)\s+(?P<type>.+?)\s*$")
_PHRASES = {"SELECT", "WITH", "INSERT", "REPLACE", "UPDATE", "DELETE", "VALUES"}


@record
class _Header:
    name: str
    kind: QueryKind
    table: str | None
    params: dict[str, tuple[_Type, Location]]
    doc: str | None
    location: Location
    optional: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    directive_at: tuple[tuple[str, Location], ...] = ()


def parse_queries(
    sources: Sequence[tuple[str, str]], schema: Schema, db: sqlite3.Connection | None = None
) -> tuple[Query, ...]:
    """Read, check and type every named query.

    Args:
        sources: ``(display_path, sql_text)`` pairs of the query files.
        schema: The validated schema the queries run against.
        db: The database `validate_schema` ran the schema in, else one is made.

    Returns:
        The queries, in file order.

    Raises:
        SchemaError: At ``file:line:col`` for a missing or malformed header,
            SQL that SQLite rejects (syntax, unknown table or column), a
            result or parameter whose type cannot be inferred, or a kind that
            does not fit the statement.
    """
    if db is None:
        with closing(_schema_database(schema)) as own:
            return parse_queries(sources, schema, own)
    queries: list[Query] = []
    seen: dict[str, Location] = {}
    for path, text in sources:
        source = scan_source(path, text)
        text, embedded = rewrite_embeds(source)
        if embedded:  # the rewritten text, lexed again; else the same text and tokens
            source = scan_source(path, text)
        previous_end = 0
        for statement in source.statements:
            header = _header(statement, source, previous_end)
            previous_end = statement.tokens[-1].end
            if header.name in seen:
                raise SchemaError(
                    f"query {header.name} is defined twice (first at {seen[header.name]})",
                    header.location,
                )
            seen[header.name] = header.location
            span = range(statement.tokens[0].start, statement.tokens[-1].end)
            embeds = [name for at, name in embedded if at in span]
            queries.append(_query(statement, source, header, schema, db, embeds))
    return tuple(queries)


# ------------------------------------------------------------------ header


def _header(statement: Statement, source: SourceFile, after: int) -> _Header:
    comments = source.comments_above(statement.location.line, after)
    name: str | None = None
    kind: QueryKind | None = None
    table: str | None = None
    params: dict[str, tuple[_Type, Location]] = {}
    doc: list[str] = []
    where = statement.location
    directives: dict[str, tuple[str, ...]] = {}
    found_at: list[tuple[str, Location]] = []
    for comment in comments:
        text = comment.text
        if text.startswith("@"):
            word, names = read_directive(text, comment.location)
            if word in directives:
                raise SchemaError(f"`@{word}` is given twice", comment.location)
            directives[word] = names
            found_at.append((word, comment.location))
        elif match := _NAME.match(text):
            name, where = match["name"], comment.location
            if not name.isidentifier():
                raise SchemaError(f"query name {name!r} is not a valid identifier", where)
            kinds = ", ".join(f":{k.value}" for k in QueryKind)
            if match["kind"] is None or match["kind"] not in {k.value for k in QueryKind}:
                got = f":{match['kind']}" if match["kind"] else "no kind"
                raise SchemaError(f"query {name}: {got}; write one of {kinds}", where)
            kind = QueryKind(match["kind"])
        elif match := _TABLE.match(text):
            table = match["table"]
        elif match := _PARAM.match(text):
            params[match["name"]] = (
                _annotated_type(match["type"], comment.location),
                comment.location,
            )
        elif re.match(r"^(name|table|param)\s*:", text):
            raise SchemaError(
                "malformed annotation: write `-- name: NAME :kind`, `-- table: TABLE` "
                "or `-- param: NAME TYPE`",
                comment.location,
            )
        elif text:
            doc.append(text)
    if name is None or kind is None:
        raise SchemaError(
            "this statement has no `-- name: NAME :kind` line directly above it "
            f"(kinds: {', '.join(':' + k.value for k in QueryKind)})",
            statement.location,
        )
    return _Header(
        name,
        kind,
        table,
        params,
        "\n".join(doc) or None,
        where,
        directives.get("optional", ()),
        directives.get("order-by", ()),
        tuple(found_at),
    )


def _annotated_type(text: str, location: Location) -> _Type:
    spelled = text.replace(" ", "")
    nullable = spelled.endswith("|None")
    base = spelled.removesuffix("|None")
    if base not in PRIMITIVES:
        raise SchemaError(
            f"unknown parameter type {text!r}: use one of {', '.join(PRIMITIVES)}, "
            "optionally followed by `| None`",
            location,
        )
    return _Type(primitive=base, nullable=nullable)


# ------------------------------------------------------------------ one query


def _query(
    statement: Statement,
    source: SourceFile,
    header: _Header,
    schema: Schema,
    db: sqlite3.Connection,
    embeds: list[str],
) -> Query:
    if statement.phrase not in _PHRASES:
        raise SchemaError(
            f"query {header.name}: a named query is one SELECT, INSERT, UPDATE or DELETE, "
            f"not {statement.phrase or statement.tokens[0].text}",
            statement.location,
        )
    names = _param_names(statement, source)
    _prepare(statement, source, names, db, header.name)
    tree = _parse(statement, source, header.name)
    writes = isinstance(tree, _WRITES)
    typer = _QueryTyper(schema, header.name, source, statement)
    columns = typer.result_columns(tree, QueryKind.EXEC if embeds else header.kind)
    embedded = _embeds(tree, embeds, typer, header) if embeds else ()
    params = tuple(
        typer.param(name, tree, header.params.get(name), _param_location(statement, source, name))
        for name in names
    )
    for annotated, (_, location) in header.params.items():
        if annotated not in names:
            raise SchemaError(
                f"query {header.name}: `-- param: {annotated}` names no parameter of the query",
                location,
            )
    _check_kind(header, tree, columns, writes, statement.location)
    check_kind(header.kind, header.name, tree, writes, schema, statement.location)
    owner = _owner(header, tree, schema, statement.location)
    dynamic = plan_dynamic(
        tree, header.name, header.kind, header.optional, header.order_by, params, columns,
        schema, owner, db, header.location, dict(header.directive_at),
    )  # fmt: skip
    params = tuple(
        replace(p, sequence=p.name in dynamic.sequences, optional=p.name in dynamic.optional)
        for p in params
    )
    return Query(
        name=header.name,
        kind=header.kind,
        table=owner,
        sql=statement.text if header.kind is not QueryKind.EXECLASTID else lastid_sql(tree, schema),
        location=header.location,
        params=params,
        columns=columns,
        row_table=None if embedded else _row_table(columns, schema),
        writes=writes,
        comment=header.doc,
        optional=dynamic.optional,
        order_by=dynamic.order_by,
        cursor=dynamic.cursor,
        variants=dynamic.variants,
        embeds=embedded,
    )


def _embeds(
    tree: exp.Expr, names: list[str], typer: _QueryTyper, header: _Header
) -> tuple[QueryEmbed, ...]:
    """`embed(t)` items; the other result columns still need their own unique names."""
    if header.kind not in (QueryKind.ONE, QueryKind.MANY) or header.order_by:
        raise typer.fail("embed(...) needs :one or :many, without `@order-by`")
    scope = typer.scope_of(tree)
    found = plan_embeds(
        tree, names, scope, lambda e: typer.expressions_columns([e], scope, False), typer.fail
    )
    embedded = {e.start for e in found}
    positions, start = [], 0
    for item in tree.expressions:
        if start not in embedded:
            positions.append(item)
        start += len(typer.expressions_columns([item], scope, False))
    typer.expressions_columns(positions, scope, True)
    return found


def _param_names(statement: Statement, source: SourceFile) -> list[str]:
    """``:name`` parameters in order of first appearance; other styles are refused."""
    names: list[str] = []
    tokens = statement.tokens
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        adjacent = following is not None and following.start == token.end
        if token.text == ":" and adjacent and following is not None and following.kind == "word":
            if following.text not in names:
                names.append(following.text)
        elif token.text in ("?", "@", "$") or (token.text == ":" and not adjacent):
            raise SchemaError(
                "write parameters as :name (positional ?, @name and $name are not supported)",
                source.locate(token.start),
            )
    return names


def _param_location(statement: Statement, source: SourceFile, name: str) -> Location:
    tokens = statement.tokens
    for i, token in enumerate(tokens[:-1]):
        if token.text == ":" and tokens[i + 1].text == name:
            return source.locate(token.start)
    return statement.location


def _schema_database(schema: Schema) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    for table in schema.tables:
        db.execute(table.sql)
        for index in table.indexes:
            db.execute(index.sql)
    for sql in schema.objects_sql():  # queries may read views and FTS5 tables
        db.execute(sql)
    return db


def _prepare(
    statement: Statement, source: SourceFile, names: list[str], db: sqlite3.Connection, query: str
) -> None:
    """Let SQLite compile it (EXPLAIN runs nothing; the check is the compile, not the listing)."""
    try:
        db.execute("EXPLAIN " + statement.text, {name: None for name in names})
    except sqlite3.Error as error:
        message = str(error)
        location = statement.location
        found = re.search(r"no such column: (\S+)|near \"([^\"]+)\"|no such table: (\S+)", message)
        if found:
            word = next(g for g in found.groups() if g).split(".")[-1]
            location = _word_location(statement, source, word) or location
        raise SchemaError(f"query {query}: SQLite rejects it: {message}", location) from None


def _parse(statement: Statement, source: SourceFile, query: str) -> exp.Expr:
    try:
        tree = sqlglot.parse_one(statement.text, read="sqlite")
    except (ParseError, TokenError) as error:
        raise SchemaError(
            f"query {query}: storegen cannot parse this statement (sqlglot: {error}); please report it",
            statement.location,
        ) from None
    if isinstance(tree, exp.Command):
        raise SchemaError(
            f"query {query}: storegen cannot parse this statement; please report it",
            statement.location,
        )
    return tree


def _check_kind(
    header: _Header,
    tree: exp.Expr,
    columns: tuple[QueryColumn, ...],
    writes: bool,
    location: Location,
) -> None:
    kind, name = header.kind, header.name
    if kind in (QueryKind.ONE, QueryKind.MANY, QueryKind.SCALAR) and not columns:
        raise SchemaError(
            f"query {name} is :{kind.value} but returns no columns: add RETURNING, "
            "or make it :exec or :execrows",
            location,
        )
    if kind is QueryKind.SCALAR and len(columns) != 1:
        raise SchemaError(
            f"query {name} is :scalar but returns {len(columns)} columns; select exactly one",
            location,
        )
    if kind is QueryKind.EXECROWS and not writes:
        raise SchemaError(
            f"query {name} is :execrows but does not write: use :one, :many or :scalar",
            location,
        )


def _owner(header: _Header, tree: exp.Expr, schema: Schema, location: Location) -> str:
    wanted = header.table
    if wanted is None:
        target = target_table(tree)
        if target is None:
            raise SchemaError(
                f"query {header.name}: cannot tell which table it belongs to; "
                "add `-- table: TABLE` above it",
                location,
            )
        wanted = target
    wanted = table_behind(wanted, schema, header.name, location) or wanted
    try:
        return schema.table(wanted).name
    except KeyError:
        raise SchemaError(
            f"query {header.name} belongs to table '{wanted}', which no schema file defines",
            header.location,
        ) from None


def _row_table(columns: tuple[QueryColumn, ...], schema: Schema) -> str | None:
    """The table whose whole row (its model's fields, in order) the result is, if any."""
    if not columns or columns[0].table is None:
        return None
    table = schema.table(columns[0].table)
    fields = [c for c in table.columns if c.generated or not c.hidden]
    if len(fields) != len(columns):
        return None
    for column, result in zip(fields, columns):
        if (
            result.table != table.name
            or result.column != column.name
            or result.name != column.name
            or result.nullable != _nullable(table, column)
        ):
            return None
    return table.name
