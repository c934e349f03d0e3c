"""Named queries over views and FTS5 tables: their columns, typed.

A view's columns are typed through its own SELECT, as a CTE's are, so a
view column keeps the codec and nullability of the table column it comes
from (a LEFT JOIN makes it nullable). An FTS5 table's columns are text; its
hidden columns are the table-named one (the left side of ``MATCH``),
``rank`` (a float, NULL unless the query matches) and ``rowid``. The FTS5
auxiliary functions are typed too: ``bm25()`` is a float, ``highlight()``
and ``snippet()`` are text (NULL for a NULL column).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from ..errors import SchemaError
from ..schema.ir import Location, Query, Schema, View, VirtualTable
from .scope import _Source, _Type

if TYPE_CHECKING:
    from .types import _Typer

__all__ = [
    "fts_source",
    "refuse_search_off_sqlite",
    "search_function_type",
    "table_behind",
    "view_columns",
]

_FUNCTIONS = {
    "bm25": _Type(primitive="float"),
    "highlight": _Type(primitive="str", nullable=True),
    "snippet": _Type(primitive="str", nullable=True),
}


def view_columns(typer: _Typer, view: View) -> list[tuple[str, _Type]]:
    """The view's columns, typed through its SELECT (named as the view names them)."""
    tree = sqlglot.parse_one(view.sql, read="sqlite")
    body = tree.expression if isinstance(tree, exp.Create) else None
    if body is None:
        raise SchemaError(f"storegen misread view {view.name}; please report it", view.location)
    inner = type(typer)(typer.schema, typer.query, typer.source, typer.statement)
    try:
        columns = inner.select_columns(body, named=False)
    except SchemaError as error:
        raise SchemaError(
            f"{error.message} (in view {view.name}: cast the column in the view)", view.location
        ) from None
    names = [c.name for c in view.columns] or [c.name for c in columns]
    if len(names) != len(columns):
        raise SchemaError(
            f"storegen read {len(columns)} columns in view {view.name}, SQLite {len(names)}; "
            "please report it",
            view.location,
        )
    return [
        (name, _Type(c.table, c.column, c.primitive, c.nullable)) for name, c in zip(names, columns)
    ]


def fts_source(alias: str, table: VirtualTable, outer: bool, matched: bool) -> _Source:
    """An FTS5 table in FROM: its text columns, then its hidden ones (not in `*`)."""
    text = _Type(primitive="str", nullable=True)
    columns = [(name, text) for name in table.columns]
    hidden = [
        (table.name, _Type(primitive="str")),
        ("rank", _Type(primitive="float", nullable=not matched)),
        ("rowid", _Type(primitive="int")),
    ]
    return _Source(alias, columns, None, outer, hidden)


def search_function_type(node: exp.Anonymous) -> _Type | None:
    """The type of an FTS5 auxiliary function call, or None for any other function."""
    return _FUNCTIONS.get(str(node.this).lower())


def table_behind(
    name: str, schema: Schema, query: str = "", location: Location | None = None
) -> str | None:
    """The table whose store gets a query over a view (the first table it reads) or an
    external-content FTS5 table (its content table); None for a table.

    Raises SchemaError for a view or FTS5 table with no table behind it.
    """
    view, virtual = schema.view(name), schema.virtual_table(name)
    found = None
    if view is not None:
        tables = {t.name.lower() for t in schema.tables}
        behind = (table_behind(d, schema) or d for d in view.depends_on)
        found = next((d for d in behind if d.lower() in tables), None)
    elif virtual is not None:
        found = virtual.content or None
    if found is None and (view or virtual):
        raise SchemaError(
            f"query {query} reads {name}, which has no table behind it to belong to: "
            "add `-- table: TABLE` above it",
            location,
        )
    return found


def refuse_search_off_sqlite(query: Query, dialect: str) -> None:
    """FTS5 exists in SQLite only: a query that searches cannot run on `dialect`."""
    tree = sqlglot.parse_one(query.sql, read="sqlite")
    searches = tree.find(exp.Match) is not None or any(
        search_function_type(call) for call in tree.find_all(exp.Anonymous)
    )
    if searches:
        raise SchemaError(
            f"query {query.name} searches an FTS5 table (MATCH, bm25, highlight, snippet), "
            f"which the {dialect} backend cannot run: generate the package that holds it "
            f"without the {dialect} backend",
            query.location,
        )
