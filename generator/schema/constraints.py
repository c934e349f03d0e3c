"""The constraints of a CREATE TABLE column list, applied to a table being built.

`parse_table` walks the column list; each column's constraints (NOT NULL,
keys, DEFAULT, CHECK, REFERENCES, COLLATE...) and each table constraint land
on a `_Draft` here, which refuses duplicates and reads enum CHECKs and
foreign key actions. Kept apart from `tables.py`, which reads the statement
and turns the finished draft into a `Table`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlglot import exp

from ..records import replace
from ..errors import SchemaError
from .ir import Column, Default, FkAction, ForeignKey, Location, UniqueKey
from .columns import Element, declared_type, default_text
from .lex import SourceFile, affinity_of

_FK_ACTION = re.compile(r"ON (DELETE|UPDATE) (.+)", re.IGNORECASE)
_Literal = int | float | str | None


class _Draft:
    """A table being assembled, one column list item at a time.

    A plain class, not a dataclass: this module loads on the critical path of
    a cold generation, where a dataclass costs ~0.5 ms to create.
    """

    def __init__(self, name: str, source: SourceFile, body_start: int) -> None:
        self.name = name
        self.source = source
        self.body_start = body_start
        self.columns: dict[str, Column] = {}  # by lower-case name
        self.primary_key: tuple[tuple[str, ...], bool, Location] | None = None  # columns, DESC
        self.unique_keys: list[UniqueKey] = []
        self.foreign_keys: list[ForeignKey] = []
        self.fk_locations: list[Location] = []
        self.enums: list[tuple[str, tuple[int | str, ...], Location]] = []
        self.json_checks: list[str] = []  # CHECK (json_valid(col))
        # COLLATE written in a table-level key list, per key: by unique_keys index, and the PK's.
        self.listed: dict[int, dict[str, str]] = {}
        self.pk_listed: dict[str, str] = {}

    def add_column(self, column: Column) -> None:
        first = self.columns.get(column.name.lower())
        if first:
            raise SchemaError(
                f"duplicate column '{column.name}' in table {self.name} "
                f"(first declared at {first.location})",
                column.location,
            )
        self.columns[column.name.lower()] = column

    def names(self, nodes: Sequence[exp.Expression], location: Location) -> tuple[str, ...]:
        """Resolve constraint column names to the columns' declared spelling."""
        names = []
        for node in nodes:
            column = self.columns.get(node.name.lower())
            if column is None:
                raise SchemaError(f"table {self.name} has no column '{node.name}'", location)
            names.append(column.name)
        return tuple(names)

    def set_primary_key(self, columns: tuple[str, ...], desc: bool, location: Location) -> None:
        if self.primary_key:
            raise SchemaError(
                f"table {self.name} has more than one PRIMARY KEY "
                f"(the first is at {self.primary_key[2]})",
                location,
            )
        self.primary_key = (columns, desc, location)

    def add_foreign_key(
        self,
        columns: tuple[str, ...],
        reference: exp.Reference,
        name: str | None,
        location: Location,
    ) -> None:
        target = reference.this
        parent = target.this if isinstance(target, exp.Schema) else target
        ref_columns = (
            tuple(e.name for e in target.expressions) if isinstance(target, exp.Schema) else ()
        )
        actions = {}
        for option in reference.args.get("options") or ():
            if match := _FK_ACTION.fullmatch(str(option)):
                action = " ".join(match[2].upper().split())
                if action not in {known.value for known in FkAction}:
                    raise SchemaError(f"unknown foreign key action '{match[0]}'", location)
                actions[match[1].upper()] = FkAction(action)
        self.foreign_keys.append(
            ForeignKey(
                columns,
                parent.name,
                ref_columns,
                on_delete=actions.get("DELETE", FkAction.NO_ACTION),
                on_update=actions.get("UPDATE", FkAction.NO_ACTION),
                name=name,
            )
        )
        self.fk_locations.append(location)

    def add_check(self, expression: exp.Expression, location: Location) -> None:
        """Record ``CHECK (col IN (literals...))`` as an enum; other shapes stay SQL's job."""
        check = _unparen(expression)
        json_column = json_valid_column(check)
        if json_column is not None:
            self.json_checks.append(json_column)
            return
        target = _unparen(check.this) if isinstance(check, exp.In) else None
        if not isinstance(target, exp.Column):
            return
        shown = f"CHECK ({target.name} IN (...))"
        if check.args.get("query"):
            raise SchemaError(
                f"{shown} with a subquery cannot become an enum (and SQLite rejects "
                "subqueries in CHECK constraints)",
                location,
            )
        if not check.expressions:
            raise SchemaError(f"CHECK ({target.name} IN ()) allows no value at all", location)
        literals = [_literal(node) for node in check.expressions]
        ints = tuple(value for ok, value in literals if ok and isinstance(value, int))
        strings = tuple(value for ok, value in literals if ok and isinstance(value, str))
        if len(literals) not in (len(ints), len(strings)):
            raise SchemaError(
                f"{shown} cannot become an enum: list only integer literals or only string literals",
                location,
            )
        self.enums.append((target.name, ints or strings, location))


def json_valid_column(check: exp.Expression) -> str | None:
    """The column of `CHECK (json_valid(col))` (or `col IS NULL OR json_valid(col)`), else None.

    Such a column holds JSON: typed JsonValue (render/typemap.py), jsonb on PostgreSQL.
    SQLite before 3.45 gives json_valid(NULL) = 0, hence the IS NULL form for nullable ones.
    """
    check = _unparen(check)
    if isinstance(check, exp.Or):
        sides = [_unparen(check.this), _unparen(check.expression)]
        named = [json_valid_column(side) for side in sides]
        nulls = [
            side.this.name
            for side in sides
            if isinstance(side, exp.Is)
            and isinstance(side.expression, exp.Null)
            and isinstance(side.this, exp.Column)
        ]
        found = next((n for n in named if n), None)
        return found if found is not None and nulls == [found] else None
    if not (isinstance(check, exp.Anonymous) and check.name.lower() == "json_valid"):
        return None
    argument = _unparen(check.expressions[0]) if len(check.expressions) == 1 else None
    return argument.name if isinstance(argument, exp.Column) else None


def _add_column(draft: _Draft, element: Element, node: exp.Expression) -> None:
    source, tokens = draft.source, element.tokens
    declared = declared_type(element, source)
    comments = source.comments_above(element.location.line, after=draft.body_start)
    comments += source.comments_between(tokens[0].start, element.end)
    comment, directives = source.docstring(comments, "column")
    column = Column(
        name=node.name,
        declared_type=declared,
        affinity=affinity_of(declared),
        not_null=False,
        location=element.location,
        comment=comment,
        secret="secret" in directives,
        renamed_from=directives.get("renamed-from"),
        backfill=directives.get("backfill"),
    )
    for constraint in node.args.get("constraints") or ():
        handler = _COLUMN_CONSTRAINTS.get(type(constraint.kind))
        if handler is None:
            raise SchemaError(
                f"unsupported column constraint: {constraint.sql(dialect='sqlite')}",
                element.location,
            )
        column = handler(draft, column, constraint, element)
    draft.add_column(column)


def _add_table_constraint(
    draft: _Draft, node: exp.Expression, name: str | None, location: Location
) -> None:
    if isinstance(node, exp.Constraint):
        for inner in node.expressions:
            _add_table_constraint(draft, inner, node.name, location)
    elif isinstance(node, exp.PrimaryKey):
        draft.set_primary_key(draft.names(node.expressions, location), False, location)
    elif isinstance(node, exp.UniqueColumnConstraint):
        columns = draft.names(node.this.expressions, location)
        draft.unique_keys.append(UniqueKey(columns, "table", name))
    elif isinstance(node, exp.ForeignKey):
        columns = draft.names(node.expressions, location)
        draft.add_foreign_key(columns, node.args["reference"], name, location)
    elif isinstance(node, exp.CheckColumnConstraint):
        draft.add_check(node.this, location)
    else:
        raise SchemaError(f"unsupported table constraint: {node.sql(dialect='sqlite')}", location)


_Constraint = exp.ColumnConstraint
_ColumnHandler = Callable[[_Draft, Column, _Constraint, Element], Column]


def _not_null(draft: _Draft, column: Column, constraint: _Constraint, element: Element) -> Column:
    return replace(column, not_null=not constraint.kind.args.get("allow_null"))


def _primary_key(
    draft: _Draft, column: Column, constraint: _Constraint, element: Element
) -> Column:
    desc = bool(constraint.kind.args.get("desc"))
    draft.set_primary_key((column.name,), desc, element.location)
    return column


def _unique(draft: _Draft, column: Column, constraint: _Constraint, element: Element) -> Column:
    draft.unique_keys.append(UniqueKey((column.name,), "column", constraint.name or None))
    return column


def _default(draft: _Draft, column: Column, constraint: _Constraint, element: Element) -> Column:
    is_literal, value = _literal(constraint.kind.this)  # a COLLATE after it is its own
    default = Default(default_text(element, draft.source), is_literal, value)
    return replace(column, default=default)


def _check(draft: _Draft, column: Column, constraint: _Constraint, element: Element) -> Column:
    draft.add_check(constraint.kind.this, element.location)
    return column


def _autoincrement(
    draft: _Draft, column: Column, constraint: _Constraint, element: Element
) -> Column:
    return replace(column, autoincrement=True)


def _generated(draft: _Draft, column: Column, constraint: _Constraint, element: Element) -> Column:
    return replace(column, generated=True)


def _reference(draft: _Draft, column: Column, constraint: _Constraint, element: Element) -> Column:
    reference = constraint.kind
    assert isinstance(reference, exp.Reference)
    draft.add_foreign_key((column.name,), reference, constraint.name or None, element.location)
    return column


def _collate(draft: _Draft, column: Column, constraint: _Constraint, element: Element) -> Column:
    return replace(column, collation=constraint.kind.this.name.upper())


_COLUMN_CONSTRAINTS: dict[type[exp.Expression], _ColumnHandler] = {
    exp.NotNullColumnConstraint: _not_null,
    exp.PrimaryKeyColumnConstraint: _primary_key,
    exp.UniqueColumnConstraint: _unique,
    exp.DefaultColumnConstraint: _default,
    exp.CheckColumnConstraint: _check,
    exp.AutoIncrementColumnConstraint: _autoincrement,
    exp.ComputedColumnConstraint: _generated,
    exp.Reference: _reference,
    exp.CollateColumnConstraint: _collate,
}


def _literal(node: exp.Expression) -> tuple[bool, _Literal]:
    """(True, value) for NULL, TRUE/FALSE (1/0), numbers and strings; else (False, None)."""
    node = _unparen(node)
    negative = isinstance(node, exp.Neg)
    if negative:
        node = _unparen(node.this)
    if isinstance(node, exp.Literal) and node.is_string and not negative:
        return True, str(node.this)
    if isinstance(node, exp.Literal) and node.is_number:
        number = node.to_py()
        value = float(number) if isinstance(number, Decimal) else int(number)
        return True, -value if negative else value
    if isinstance(node, exp.Null) and not negative:
        return True, None
    if isinstance(node, exp.Boolean) and not negative:
        return True, int(node.this)
    return False, None


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node
