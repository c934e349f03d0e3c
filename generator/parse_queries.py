"""Query files to IR: annotated SQL statements, typed against the schema.

A query file holds SQLite statements, each under a header of ``--`` comments:

    -- Active access tokens of a user for a client.
    -- name: count_active_access_tokens :scalar
    -- table: oauth_access_tokens        (optional: whose contract gets it)
    -- param: since int                  (optional: type a parameter by hand)
    SELECT COUNT(*) FROM oauth_access_tokens WHERE user_id = :user_id AND ...;

Each statement is first prepared by SQLite against an in-memory database
built from the schema (SQLite has the last word on unknown tables, columns
and syntax), then parsed with sqlglot to type every result column and every
``:param`` from the schema IR. The result is plain IR (`Query`); sqlglot
stops here. `transpile_query` turns a query into another dialect's SQL for
backends that are not SQLite.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from generator.errors import SchemaError
from generator.ir import (
    Affinity,
    Column,
    Location,
    Query,
    QueryColumn,
    QueryKind,
    QueryParam,
    Schema,
    Table,
)
from generator.sqltext import SourceFile, Statement, Token, affinity_of, scan_source

PRIMITIVES = ("int", "str", "float", "bytes", "bool")
_NAME = re.compile(r"^name:\s*(?P<name>\S+)\s*(?::(?P<kind>\S+))?\s*$")
_TABLE = re.compile(r"^table:\s*(?P<table>\S+)\s*$")
_PARAM = re.compile(r"^param:\s*(?P<name>\S+)\s+(?P<type>.+?)\s*$")
_PHRASES = {"SELECT", "WITH", "INSERT", "REPLACE", "UPDATE", "DELETE", "VALUES"}
_WRITES = (exp.Insert, exp.Update, exp.Delete)
_AFFINITY_PRIMITIVE = {
    Affinity.INTEGER: "int",
    Affinity.TEXT: "str",
    Affinity.BLOB: "bytes",
    Affinity.REAL: "float",
    Affinity.NUMERIC: "float",
}


@dataclass(frozen=True, slots=True)
class _Type:
    """A value's type while typing: a schema column's, or a plain one."""

    table: str | None = None
    column: str | None = None
    primitive: str | None = None
    nullable: bool = False

    @property
    def known(self) -> bool:
        return self.column is not None or self.primitive is not None

    def null(self, nullable: bool = True) -> _Type:
        return _Type(self.table, self.column, self.primitive, self.nullable or nullable)

    def strict(self) -> _Type:
        return _Type(self.table, self.column, self.primitive, False)


_UNKNOWN = _Type()


@dataclass
class _Source:
    """A table (or subquery) in a FROM clause, by the name the query uses."""

    alias: str
    columns: list[tuple[str, _Type]]
    table: Table | None = None
    outer: bool = False  # on the nullable side of an outer join


@dataclass
class _Scope:
    sources: list[_Source] = field(default_factory=list)
    parent: _Scope | None = None

    def lookup(self, name: str, qualifier: str | None) -> _Type | None:
        scope: _Scope | None = self
        while scope is not None:
            for source in scope.sources:
                if qualifier is not None and source.alias != qualifier.lower():
                    continue
                for column, typed in source.columns:
                    if column.lower() == name.lower():
                        return typed.null() if source.outer else typed
            scope = scope.parent
        return None


@dataclass(frozen=True, slots=True)
class _Header:
    name: str
    kind: QueryKind
    table: str | None
    params: dict[str, tuple[_Type, Location]]
    doc: str | None
    location: Location


def parse_queries(sources: Sequence[tuple[str, str]], schema: Schema) -> tuple[Query, ...]:
    """Read, check and type every named query.

    Args:
        sources: ``(display_path, sql_text)`` pairs of the query files.
        schema: The validated schema the queries run against.

    Returns:
        The queries, in file order.

    Raises:
        SchemaError: At ``file:line:col`` for a missing or malformed header,
            SQL that SQLite rejects (syntax, unknown table or column), a
            result or parameter whose type cannot be inferred, or a kind that
            does not fit the statement.
    """
    queries: list[Query] = []
    seen: dict[str, Location] = {}
    with closing(_schema_database(schema)) as db:
        for path, text in sources:
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
                queries.append(_query(statement, source, header, schema, db))
    return tuple(queries)


def placeholder_sql(sql: str, params: Sequence[str]) -> str:
    """SQLite text with each ``:name`` turned into ``?N`` (N = its place in ``params``).

    Whitespace and comments between tokens collapse to one space, so the
    statement prints on one line; string literals are kept as written.
    """
    source = scan_source("<query>", sql)
    tokens = [t for s in source.statements for t in s.tokens]
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
            out.append(f"?{numbers[following.text]}")
            skip = True
        else:
            out.append(token.text)
        previous = token
    return "".join(out)


def transpile_query(sql: str, params: Sequence[str], dialect: str) -> str:
    """The query in another dialect, ``:name`` turned into ``$N`` (N = its place in ``params``)."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    numbers = {name: i + 1 for i, name in enumerate(params)}
    for placeholder in list(tree.find_all(exp.Placeholder)):
        placeholder.replace(exp.Parameter(this=exp.Literal.number(numbers[placeholder.name])))
    return tree.sql(dialect=dialect)


# ------------------------------------------------------------------ header


def _header(statement: Statement, source: SourceFile, after: int) -> _Header:
    comments = source.comments_above(statement.location.line, after)
    name: str | None = None
    kind: QueryKind | None = None
    table: str | None = None
    params: dict[str, tuple[_Type, Location]] = {}
    doc: list[str] = []
    where = statement.location
    for comment in comments:
        text = comment.text
        if match := _NAME.match(text):
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
            "(kinds: :one, :many, :scalar, :exec, :execrows)",
            statement.location,
        )
    return _Header(name, kind, table, params, "\n".join(doc) or None, where)


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
    typer = _Typer(schema, header.name, source, statement)
    columns = typer.result_columns(tree, header.kind)
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
    owner = _owner(header, tree, schema, statement.location)
    return Query(
        name=header.name,
        kind=header.kind,
        table=owner,
        sql=statement.text,
        location=header.location,
        params=params,
        columns=columns,
        row_table=_row_table(columns, schema),
        writes=writes,
        comment=header.doc,
    )


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
    return db


def _prepare(
    statement: Statement, source: SourceFile, names: list[str], db: sqlite3.Connection, query: str
) -> None:
    """Let SQLite compile the statement (EXPLAIN runs nothing): syntax, tables, columns."""
    try:
        db.execute("EXPLAIN " + statement.text, {name: None for name in names}).fetchall()
    except sqlite3.Error as error:
        message = str(error)
        location = statement.location
        found = re.search(r"no such column: (\S+)|near \"([^\"]+)\"|no such table: (\S+)", message)
        if found:
            word = next(g for g in found.groups() if g).split(".")[-1]
            location = _word_location(statement, source, word) or location
        raise SchemaError(f"query {query}: SQLite rejects it: {message}", location) from None


def _word_location(statement: Statement, source: SourceFile, word: str) -> Location | None:
    for token in statement.tokens:
        text = token.text[1:-1] if token.kind == "quoted" else token.text
        if text.lower() == word.lower():
            return source.locate(token.start)
    return None


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
        target = _target_table(tree)
        if target is None:
            raise SchemaError(
                f"query {header.name}: cannot tell which table it belongs to; "
                "add `-- table: TABLE` above it",
                location,
            )
        wanted = target
    try:
        return schema.table(wanted).name
    except KeyError:
        raise SchemaError(
            f"query {header.name} belongs to table '{wanted}', which no schema file defines",
            header.location,
        ) from None


def _target_table(tree: exp.Expr) -> str | None:
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
            return source.name
        if isinstance(source, exp.Subquery):
            return _target_table(source.this)
    return None


def _from(select: exp.Expr) -> exp.Expr | None:
    clause = select.args.get("from_") or select.args.get("from")
    return clause.this if isinstance(clause, exp.From) else None


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


def _nullable(table: Table, column: Column) -> bool:
    """Whether a stored value can be NULL (a key column never is, as in the models)."""
    in_key = table.primary_key is not None and column.name in table.primary_key.columns
    return not (column.not_null or in_key)


# ------------------------------------------------------------------ typing


class _Typer:
    """Types result columns and parameters of one statement against the schema."""

    def __init__(self, schema: Schema, query: str, source: SourceFile, statement: Statement):
        self.schema = schema
        self.query = query
        self.source = source
        self.statement = statement

    def fail(self, message: str, word: str | None = None) -> SchemaError:
        location = (_word_location(self.statement, self.source, word) if word else None) or (
            self.statement.location
        )
        return SchemaError(f"query {self.query}: {message}", location)

    # ---- scopes

    def table_source(self, node: exp.Table, outer: bool = False) -> _Source:
        table = self.schema.table(node.name)
        columns = [
            (c.name, _Type(table.name, c.name, None, _nullable(table, c)))
            for c in table.columns
            if c.generated or not c.hidden
        ]
        return _Source((node.alias_or_name).lower(), columns, table, outer)

    def scope_of(self, node: exp.Expr | None) -> _Scope:
        """The names visible in the statement or subquery that holds ``node``."""
        holder = node
        while holder is not None and not isinstance(holder, (exp.Select, *_WRITES)):
            holder = holder.parent
        if holder is None:
            return _Scope()
        derived = isinstance(holder.parent, exp.Subquery) and isinstance(
            holder.parent.parent, (exp.From, exp.Join)
        )  # a FROM subquery sees no outer names
        parent = self.scope_of(holder.parent) if holder.parent and not derived else None
        scope = _Scope(parent=parent)
        if isinstance(holder, exp.Select):
            first = _from(holder)
            if first is not None:
                scope.sources.append(self.from_source(first, False, scope))
            for join in holder.args.get("joins") or ():
                side = (join.args.get("side") or "").upper()
                if side in ("RIGHT", "FULL"):
                    for earlier in scope.sources:
                        earlier.outer = True
                scope.sources.append(self.from_source(join.this, side in ("LEFT", "FULL"), scope))
        else:
            target = holder.this.this if isinstance(holder.this, exp.Schema) else holder.this
            if isinstance(target, exp.Table):
                main = self.table_source(target)
                scope.sources.append(main)
                scope.sources.append(_Source("excluded", main.columns, main.table))
            first = _from(holder)
            if first is not None:
                scope.sources.append(self.from_source(first, False, scope))
        return scope

    def from_source(self, node: exp.Expr, outer: bool, scope: _Scope) -> _Source:
        if isinstance(node, exp.Table):
            return self.table_source(node, outer)
        if isinstance(node, exp.Subquery):
            columns = self.select_columns(node.this, named=True)
            return _Source(
                node.alias.lower(), [(c.name, _as_type(c)) for c in columns], None, outer
            )
        raise self.fail(f"cannot type the FROM item {node.sql('sqlite')!r}")

    # ---- results

    def result_columns(self, tree: exp.Expr, kind: QueryKind) -> tuple[QueryColumn, ...]:
        named = kind not in (QueryKind.SCALAR, QueryKind.EXEC, QueryKind.EXECROWS)
        if isinstance(tree, _WRITES):
            returning = tree.args.get("returning")
            if returning is None:
                return ()
            return self.expressions_columns(returning.expressions, self.scope_of(tree), named)
        return self.select_columns(tree, named)

    def select_columns(self, tree: exp.Expr, named: bool) -> tuple[QueryColumn, ...]:
        if isinstance(tree, exp.SetOperation):
            left = self.select_columns(tree.this, named)
            right = self.select_columns(tree.expression, False)
            if len(left) != len(right):
                raise self.fail("the parts of a compound SELECT return different column counts")
            return tuple(
                QueryColumn(a.name, a.table, a.column, a.primitive, a.nullable or b.nullable)
                for a, b in zip(left, right)
            )
        if not isinstance(tree, exp.Select):
            raise self.fail(f"cannot type {type(tree).__name__} statements; use a plain SELECT")
        if tree.args.get("with") or tree.args.get("with_"):
            raise self.fail("common table expressions (WITH) are not supported in named queries")
        return self.expressions_columns(tree.expressions, self.scope_of(tree), named)

    def expressions_columns(
        self, expressions: Sequence[exp.Expr], scope: _Scope, named: bool
    ) -> tuple[QueryColumn, ...]:
        columns: list[QueryColumn] = []
        for position, expression in enumerate(expressions, start=1):
            if isinstance(expression, exp.Star) or (
                isinstance(expression, exp.Column) and isinstance(expression.this, exp.Star)
            ):
                qualifier = expression.table if isinstance(expression, exp.Column) else None
                for source in scope.sources:
                    if source.alias == "excluded" or (
                        qualifier and source.alias != qualifier.lower()
                    ):
                        continue
                    for name, typed in source.columns:
                        typed = typed.null() if source.outer else typed
                        columns.append(_column(name, typed))
                continue
            if isinstance(expression.unalias(), exp.Placeholder):
                raise self.fail("a parameter cannot be a result column", expression.unalias().name)
            typed = self.type_of(expression, scope)
            if not typed.known:
                raise self.fail(
                    f"cannot infer the type of result column {position} "
                    f"({expression.sql('sqlite')}); wrap it in CAST(... AS INTEGER|TEXT|REAL|BLOB)"
                )
            name = (
                expression.alias_or_name
                if not isinstance(expression, exp.Column)
                else expression.name
            )
            if not name or not name.isidentifier():
                if named:
                    raise self.fail(
                        f"result column {position} ({expression.sql('sqlite')}) needs a name: "
                        "add `AS name`"
                    )
                name = f"column_{position}"
            columns.append(_column(name, typed))
        seen: set[str] = set()
        for column in columns:
            if column.name.lower() in seen and named:
                raise self.fail(
                    f"two result columns are called {column.name}: rename one with `AS`",
                    column.name,
                )
            seen.add(column.name.lower())
        return tuple(columns)

    def type_of(self, node: exp.Expr, scope: _Scope) -> _Type:
        """The type of an expression; `_UNKNOWN` when it cannot be told."""
        if isinstance(node, (exp.Alias, exp.Paren)):
            return self.type_of(node.this, scope)
        if isinstance(node, exp.Column):
            found = scope.lookup(node.name, node.table or None)
            if found is None:
                raise self.fail(f"cannot resolve column {node.sql('sqlite')}", node.name)
            return found
        if isinstance(node, exp.Literal):
            if node.is_string:
                return _Type(primitive="str")
            return _Type(primitive="int" if re.fullmatch(r"\d+", node.this) else "float")
        if isinstance(node, exp.Null):
            return _Type(nullable=True)
        if isinstance(node, exp.Boolean):
            return _Type(primitive="bool")
        if isinstance(node, exp.Count):
            return _Type(primitive="int")
        if isinstance(node, (exp.Max, exp.Min)):
            return self.type_of(node.this, scope).null()
        if isinstance(node, (exp.Greatest, exp.Least)):
            parts = [self.type_of(e, scope) for e in [node.this, *node.expressions]]
            return _union(parts, self.schema)
        if isinstance(node, exp.Sum):
            inner = self.type_of(node.this, scope)
            return _Type(
                primitive="int" if _primitive(inner, self.schema) in ("int", "bool") else "float",
                nullable=True,
            )
        if isinstance(node, exp.Avg):
            return _Type(primitive="float", nullable=True)
        if isinstance(node, exp.Coalesce):
            parts = [self.type_of(e, scope) for e in [node.this, *node.expressions]]
            known = [p for p in parts if p.known]
            if not known:
                return _UNKNOWN
            first = known[0]
            return _Type(first.table, first.column, first.primitive, all(p.nullable for p in parts))
        if isinstance(node, exp.Case):
            branches = [self.type_of(i.args["true"], scope) for i in node.args.get("ifs") or ()]
            default = node.args.get("default")
            branches.append(self.type_of(default, scope) if default else _Type(nullable=True))
            return _union(branches, self.schema)
        if isinstance(node, exp.If):
            branches = [self.type_of(node.args["true"], scope)]
            false = node.args.get("false")
            branches.append(self.type_of(false, scope) if false else _Type(nullable=True))
            return _union(branches, self.schema)
        if isinstance(node, exp.Cast):
            inner = self.type_of(node.this, scope)
            target = _AFFINITY_PRIMITIVE[affinity_of(node.to.sql("sqlite"))]
            return _Type(primitive=target, nullable=inner.nullable)
        if isinstance(node, (exp.Predicate, exp.Connector, exp.Not, exp.Exists)):
            if isinstance(node, (exp.Is, exp.Exists)):
                return _Type(primitive="bool")
            parts = [self.type_of(c, scope) for c in node.iter_expressions() if _is_value(c)]
            return _Type(primitive="bool", nullable=any(p.nullable for p in parts))
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)):
            left, right = self.type_of(node.left, scope), self.type_of(node.right, scope)
            left, right = (left if left.known else right), (right if right.known else left)
            if not left.known:
                return _UNKNOWN
            kinds = {_primitive(left, self.schema), _primitive(right, self.schema)}
            primitive = "int" if kinds <= {"int", "bool"} else "float"
            return _Type(primitive=primitive, nullable=left.nullable or right.nullable)
        if isinstance(node, exp.Neg):
            inner = self.type_of(node.this, scope)
            return _Type(primitive=_primitive(inner, self.schema), nullable=inner.nullable)
        if isinstance(node, exp.DPipe):
            parts = [self.type_of(node.left, scope), self.type_of(node.right, scope)]
            return _Type(primitive="str", nullable=any(p.nullable for p in parts))
        if isinstance(node, (exp.Length, exp.Abs, exp.Lower, exp.Upper, exp.Trim, exp.Substring)):
            inner = self.type_of(node.this, scope)
            primitive = "int" if isinstance(node, exp.Length) else _primitive(inner, self.schema)
            if isinstance(node, (exp.Lower, exp.Upper, exp.Trim, exp.Substring)):
                primitive = "str"
            return _Type(primitive=primitive, nullable=inner.nullable)
        if isinstance(node, exp.Subquery):
            columns = self.select_columns(node.this, False)
            if len(columns) != 1:
                raise self.fail("a scalar subquery must return exactly one column")
            return _as_type(columns[0]).null()
        return _UNKNOWN

    # ---- parameters

    def param(
        self,
        name: str,
        tree: exp.Expr,
        annotated: tuple[_Type, Location] | None,
        location: Location,
    ) -> QueryParam:
        if annotated is not None:
            typed = annotated[0]
        else:
            # The first occurrence that tells the type wins; the parameter may be
            # None only when every occurrence allows NULL (e.g. only assignments).
            found = [self.param_type(p) for p in tree.find_all(exp.Placeholder) if p.name == name]
            known = [t for t in found if t.known]
            typed = known[0].strict().null(all(t.nullable for t in known)) if known else _UNKNOWN
        if not typed.known:
            raise SchemaError(
                f"query {self.query}: cannot infer the type of :{name}; compare it with a column, "
                f"or annotate it above the query: `-- param: {name} int` "
                f"(one of {', '.join(PRIMITIVES)})",
                location,
            )
        return QueryParam(
            name, location, typed.table, typed.column, typed.primitive, typed.nullable
        )

    def param_type(self, node: exp.Expr) -> _Type:
        """What a placeholder is compared with, assigned to or inserted into."""
        child, parent = node, node.parent
        while isinstance(parent, exp.Paren):
            child, parent = parent, parent.parent
        if parent is None:
            return _UNKNOWN
        if isinstance(parent, (exp.Limit, exp.Offset)):
            return _Type(primitive="int")
        scope = self.scope_of(parent)
        if isinstance(parent, exp.EQ) and isinstance(parent.parent, (exp.Update, exp.OnConflict)):
            if child is parent.expression and isinstance(parent.this, exp.Column):
                return self.type_of(
                    parent.this, scope
                )  # an assignment keeps the column's nullability
        if isinstance(parent, exp.Tuple) and isinstance(parent.parent, exp.Values):
            return self.inserted_type(parent, parent.expressions.index(child))
        if isinstance(parent, (exp.Binary)) and not isinstance(parent, exp.Connector):
            other = parent.right if child is parent.left else parent.left
            typed = self.type_of(other, scope)
            if isinstance(parent, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)):
                return _Type(primitive=_primitive(typed, self.schema)) if typed.known else _UNKNOWN
            if isinstance(parent, exp.DPipe):
                return _Type(primitive="str")
            return typed.strict() if typed.known else typed
        if isinstance(parent, (exp.In, exp.Between)) and child is not parent.this:
            typed = self.type_of(parent.this, scope)
            return typed.strict()
        if isinstance(parent, exp.Coalesce):
            for other in [parent.this, *parent.expressions]:
                if other is not child:
                    typed = self.type_of(other, scope)
                    if typed.known:
                        return typed.strict()
        return _UNKNOWN

    def inserted_type(self, row: exp.Tuple, position: int) -> _Type:
        insert = row.find_ancestor(exp.Insert)
        if insert is None:
            return _UNKNOWN
        target = insert.this
        table = self.schema.table((target.this if isinstance(target, exp.Schema) else target).name)
        if isinstance(target, exp.Schema) and target.expressions:
            names = [e.name for e in target.expressions]
        else:
            names = [c.name for c in table.columns if not c.hidden]
        if position >= len(names):
            return _UNKNOWN
        column = table.column(names[position])
        return _Type(
            table.name, column.name, None, _nullable(table, column) or column.default is not None
        )


def _column(name: str, typed: _Type) -> QueryColumn:
    return QueryColumn(name, typed.table, typed.column, typed.primitive, typed.nullable)


def _as_type(column: QueryColumn) -> _Type:
    return _Type(column.table, column.column, column.primitive, column.nullable)


def _is_value(node: exp.Expr) -> bool:
    return not isinstance(node, (exp.Placeholder, exp.Tuple, exp.Subquery, exp.Select))


def _primitive(typed: _Type, schema: Schema) -> str:
    """The plain Python type of a value (a column's by its affinity)."""
    if typed.primitive is not None:
        return typed.primitive
    if typed.table is None or typed.column is None:
        return "float"
    column = schema.table(typed.table).column(typed.column)
    if column.check_in in ((0, 1), (1, 0)):
        return "bool"
    return _AFFINITY_PRIMITIVE[column.affinity]


def _union(parts: list[_Type], schema: Schema) -> _Type:
    """One type for CASE branches: their common type, nullable if any branch is.

    Branches of the very same column keep its codec; otherwise the plain
    types must agree (int and float make float). `_UNKNOWN` when they don't.
    """
    nullable = any(p.nullable for p in parts)
    known = [p for p in parts if p.known]
    if not known:
        return _UNKNOWN
    first = known[0]
    if all(
        (p.table, p.column, p.primitive) == (first.table, first.column, first.primitive)
        for p in known
    ):
        return first.null(nullable)
    plain = {_primitive(p, schema) for p in known}
    if len(plain) == 1:
        return _Type(primitive=plain.pop(), nullable=nullable)
    if plain <= {"int", "float", "bool"}:
        return _Type(primitive="float", nullable=nullable)
    return _UNKNOWN
