"""The typing vocabulary shared by reading and typing named queries.

A value's type while typing (`_Type`), the names a statement can see
(`_Source`, `_Scope`) and how types combine (`_primitive`, `_union`). Kept
apart from `types.py` so the reader and the typer both use it without
importing each other.
"""

from __future__ import annotations


from sqlglot import exp

from ..records import record
from ..schema.ir import Affinity, Column, Location, QueryColumn, Schema, Table
from ..schema.lex import SourceFile, Statement

PRIMITIVES = ("int", "str", "float", "bytes", "bool")
_WRITES = (exp.Insert, exp.Update, exp.Delete)
_AFFINITY_PRIMITIVE = {
    Affinity.INTEGER: "int",
    Affinity.TEXT: "str",
    Affinity.BLOB: "bytes",
    Affinity.REAL: "float",
    Affinity.NUMERIC: "float",
}


@record
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


# _Source and _Scope are plain classes, not dataclasses: this module loads on the
# critical path of a cold generation, where a dataclass costs ~0.2-0.5 ms to create.


class _Source:
    """A table (or subquery) in a FROM clause, by the name the query uses."""

    def __init__(
        self,
        alias: str,
        columns: list[tuple[str, _Type]],
        table: Table | None = None,
        outer: bool = False,  # on the nullable side of an outer join
        hidden: list[tuple[str, _Type]] | None = None,  # by name only, not in `*`
    ) -> None:
        self.alias = alias
        self.columns = columns
        self.table = table
        self.outer = outer
        self.hidden: list[tuple[str, _Type]] = [] if hidden is None else hidden


class _Scope:
    """The sources a statement (or subquery) sees, and the scope around it."""

    def __init__(self, sources: list[_Source] | None = None, parent: _Scope | None = None) -> None:
        self.sources: list[_Source] = [] if sources is None else sources
        self.parent = parent

    def lookup(self, name: str, qualifier: str | None) -> _Type | None:
        scope: _Scope | None = self
        while scope is not None:
            for source in scope.sources:
                if qualifier is not None and source.alias != qualifier.lower():
                    continue
                for column, typed in (*source.columns, *source.hidden):
                    if column.lower() == name.lower():
                        return typed.null() if source.outer else typed
            scope = scope.parent
        return None


def _word_location(statement: Statement, source: SourceFile, word: str) -> Location | None:
    for token in statement.tokens:
        text = token.text[1:-1] if token.kind == "quoted" else token.text
        if text.lower() == word.lower():
            return source.locate(token.start)
    return None


def _from(select: exp.Expr) -> exp.Expr | None:
    clause = select.args.get("from_") or select.args.get("from")
    return clause.this if isinstance(clause, exp.From) else None


def _nullable(table: Table, column: Column) -> bool:
    """Whether a stored value can be NULL (a key column never is, as in the models)."""
    in_key = table.primary_key is not None and column.name in table.primary_key.columns
    return not (column.not_null or in_key)


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
