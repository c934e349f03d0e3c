"""Types the result columns and expressions of one statement against the schema IR.

`parse_queries` hands each statement, already accepted by SQLite and parsed
by sqlglot, to a typer; what comes back is plain IR (`QueryColumn`). The
``:params`` are typed in `params.py`, from the types this module finds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlglot import exp

from ..errors import SchemaError
from ..schema.ir import Affinity, QueryColumn, QueryKind, Schema
from .scope import (
    _AFFINITY_PRIMITIVE,
    _UNKNOWN,
    _WRITES,
    _as_type,
    _column,
    _from,
    _is_value,
    _nullable,
    _primitive,
    _Scope,
    _Source,
    _Type,
    _union,
    _word_location,
)
from ..schema.lex import SourceFile, Statement, affinity_of
from .objects import fts_source, search_function_type, view_columns


class _Typer:
    """Types the result columns and expressions of one statement against the schema."""

    def __init__(self, schema: Schema, query: str, source: SourceFile, statement: Statement):
        self.schema = schema
        self.query = query
        self.source = source
        self.statement = statement
        self._ctes: dict[int, list[tuple[str, _Type]]] = {}  # typed CTEs, by id
        self._typing: set[int] = set()  # CTEs being typed (a recursive one sees its anchor)
        # Scopes built, by id of their SELECT or write (with the node, so an id is never
        # reused): each parameter asks for its scope, most often the statement's. Nothing
        # else changes a scope once built, but a recursive CTE being typed (`_typing`).
        self._scopes: dict[int, tuple[exp.Expr, _Scope]] = {}

    def fail(self, message: str, word: str | None = None) -> SchemaError:
        location = (_word_location(self.statement, self.source, word) if word else None) or (
            self.statement.location
        )
        return SchemaError(f"query {self.query}: {message}", location)

    # ---- scopes

    def table_source(self, node: exp.Table, outer: bool = False) -> _Source:
        cte = self.cte_of(node)
        if cte is not None:
            return _Source((node.alias_or_name).lower(), self.cte_columns(cte), None, outer)
        view = self.schema.view(node.name)
        if view is not None:
            return _Source(node.alias_or_name.lower(), view_columns(self, view), None, outer)
        virtual = self.schema.virtual_table(node.name)
        if virtual is not None:
            matched = node.root().find(exp.Match) is not None
            return fts_source(node.alias_or_name.lower(), virtual, outer, matched)
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
        known = self._scopes.get(id(holder))
        if known is not None and known[0] is holder:
            return known[1]
        above = holder.parent
        while isinstance(above, exp.SetOperation):
            above = above.parent
        derived = isinstance(above, exp.CTE) or (
            isinstance(holder.parent, exp.Subquery)
            and isinstance(holder.parent.parent, (exp.From, exp.Join))
        )  # a CTE or FROM subquery sees no outer names
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
        if not self._typing:  # while a recursive CTE is typed, it reads as its anchor alone
            self._scopes[id(holder)] = (holder, scope)
        return scope

    def cte_of(self, node: exp.Table) -> exp.CTE | None:
        """The common table expression a FROM name means, if any (it hides a table)."""
        if node.db:
            return None
        ancestor: exp.Expr | None = node.parent
        while ancestor is not None:
            clause = ancestor.args.get("with_") or ancestor.args.get("with")
            if isinstance(clause, exp.With):
                for cte in clause.expressions:
                    if cte.alias.lower() != node.name.lower():
                        continue
                    inside = node.find_ancestor(exp.CTE) is cte
                    if inside and not clause.args.get("recursive"):
                        break  # without RECURSIVE, a CTE's own name is the table
                    found: exp.CTE = cte
                    return found
            ancestor = ancestor.parent
        return None

    def cte_columns(self, cte: exp.CTE) -> list[tuple[str, _Type]]:
        """A CTE's columns, typed through its own select list.

        A recursive CTE is typed from its anchor (the first SELECT of its
        UNION) while its recursive part is typed; nullability then joins both.
        """
        key = id(cte)
        if key in self._ctes:
            return self._ctes[key]
        body = cte.this
        if key in self._typing:
            while isinstance(body, exp.SetOperation):
                body = body.this
            return self._name_cte(cte, self.select_columns(body, named=False))
        self._typing.add(key)
        try:
            columns = self._name_cte(cte, self.select_columns(body, named=False))
        finally:
            self._typing.discard(key)
        self._ctes[key] = columns
        return columns

    def _name_cte(self, cte: exp.CTE, columns: Sequence[QueryColumn]) -> list[tuple[str, _Type]]:
        alias = cte.args.get("alias")
        names = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
        if names and len(names) != len(columns):
            raise self.fail(
                f"WITH {cte.alias} names {len(names)} columns but its SELECT returns "
                f"{len(columns)}",
                cte.alias,
            )
        return [(names[i] if names else c.name, _as_type(c)) for i, c in enumerate(columns)]

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
            type_name = node.to.sql("sqlite")
            affinity = affinity_of(type_name)
            if affinity is Affinity.NUMERIC and type_name.split("(")[0].upper() != "NUMERIC":
                # CAST('2024-05-01' AS DATE) is 2024 in SQLite; CAST(x AS TXT) a number.
                raise self.fail(
                    f"CAST to '{type_name}' converts to a number in SQLite (the name has no "
                    "INT, CHAR, CLOB, TEXT, BLOB, REAL, FLOA or DOUB); cast AS TEXT, "
                    "INTEGER, REAL, BLOB or NUMERIC",
                    type_name.split("(")[0],
                )
            target = _AFFINITY_PRIMITIVE[affinity]
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
        if isinstance(node, exp.JSONExtract):  # x -> '$.a': the sub-value, as JSON text
            return _Type(primitive="JsonValue", nullable=True)
        if isinstance(node, exp.JSONExtractScalar):  # x ->> '$.a', json_extract(x, '$.a')
            return _Type(primitive="int | float | str", nullable=True)  # objects come as text
        if isinstance(node, exp.Subquery):
            columns = self.select_columns(node.this, False)
            if len(columns) != 1:
                raise self.fail("a scalar subquery must return exactly one column")
            return _as_type(columns[0]).null()
        if isinstance(node, exp.Anonymous):
            return search_function_type(node) or _UNKNOWN
        return _UNKNOWN
