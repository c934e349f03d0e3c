"""Types a named query's ``:params`` from where they appear in its statement.

A parameter has no type of its own: it takes the type of what it is compared
with, assigned to, inserted into or LIMITed by, unless a ``-- param:`` line
annotates it. Kept apart from `types.py`, which types expressions and result
columns; this builds on it.
"""

from __future__ import annotations

from sqlglot import exp

from ..errors import SchemaError
from ..schema.ir import Location, QueryParam
from .scope import PRIMITIVES, _UNKNOWN, _nullable, _primitive, _Type
from .types import _Typer


class _QueryTyper(_Typer):
    """`_Typer` plus the statement's parameters: what `parse_queries` uses."""

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
            if isinstance(parent, (exp.Is, exp.NullSafeEQ)):  # `col IS :x`: None means NULL
                return typed.null() if typed.known else typed
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
