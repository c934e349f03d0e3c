"""A read-only store for each view: the table machinery, with reads only.

Each view becomes a `TableView` marked ``read_only``, so models, decoders,
SQL, contracts and every backend's stores come from the same templates as
a table's. Its columns are typed through the view's SELECT (a column taken
from a table keeps that column's codec, secrecy and config; a LEFT JOIN
makes it nullable). Its methods: ``list_all`` and ``count_all``, and, when
``[tool.storegen.views.<name>] key`` names the columns that identify a row,
``get_by_<key>`` and keyset paging by that key. No write methods; the model
is frozen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..config import ColumnOptions, Options, TableOptions
from ..errors import ConfigError, SchemaError
from ..schema.ir import Column, PrimaryKey, Schema, Table, View
from ..schema.lex import affinity_of, scan_source
from .naming import class_name
from .views import TableView
from .views_methods import MethodView

__all__ = ["view_stores"]

_DECLARED = {"int": "INTEGER", "float": "REAL", "str": "TEXT", "bytes": "BLOB", "bool": "INTEGER"}


def view_stores(
    schema: Schema,
    options: Options,
    make_view: Callable[[Table, Options], TableView],
    taken: set[str],
) -> list[TableView]:
    """A read-only TableView per view of the schema, in file order.

    Args:
        make_view: How a table becomes a TableView (`context._table_view`).
        taken: Class names already in use (tables' models, contracts, stores).

    Raises:
        ConfigError: `[tool.storegen.views.<name>]` names no view, or a key
            column the view does not have.
        SchemaError: At the view, for a column that cannot be typed or a
            class name that collides.
    """
    names = {v.name for v in schema.views}
    for name in options.views:
        if name not in names:
            raise ConfigError(
                f"[tool.storegen.views.{name}]: no view {name!r} in the schema files "
                f"(views: {', '.join(sorted(names)) or 'none'})"
            )
    found = []
    for view in schema.views:
        table, view_options = _as_table(view, schema, options)
        tables = {**options.tables, view.name: view_options}
        made = make_view(table, dataclasses.replace(options, tables=tables))
        made = _read_only(made, table)
        for name in (made.model, made.contract, made.store):
            if name in taken:
                raise SchemaError(
                    f"view {view.name} becomes the class {name!r}, which is taken; set another "
                    f"'model' or 'store' in [tool.storegen.views.{view.name}]",
                    view.location,
                )
            taken.add(name)
        found.append(made)
    return found


def _as_table(view: View, schema: Schema, options: Options) -> tuple[Table, TableOptions]:
    """The view as a table IR (no defaults, no writes) and the column options it inherits."""
    from ..queries.objects import view_columns  # queries type the view's SELECT
    from ..queries.types import _Typer

    source = scan_source(view.location.file, view.sql)
    typer = _Typer(schema, f"view {view.name}", source, source.statements[0])
    columns: list[Column] = []
    inherited: dict[str, ColumnOptions] = {}
    for name, typed in view_columns(typer, view):
        if typed.table is not None and typed.column is not None:
            base = schema.table(typed.table).column(typed.column)
            table_options = options.table(typed.table)
            columns.append(
                dataclasses.replace(
                    base,
                    name=name,
                    not_null=not typed.nullable,
                    location=view.location,
                    default=None,
                    generated=False,
                    hidden=False,
                    autoincrement=False,
                    renamed_from=None,
                    backfill=None,
                    secret=base.secret or base.name in table_options.secret,
                )
            )
            if base.name in table_options.columns:
                inherited[name] = table_options.columns[base.name]
        elif typed.primitive is not None:
            declared = _DECLARED[typed.primitive]
            columns.append(
                Column(
                    name,
                    declared,
                    affinity_of(declared),
                    not typed.nullable,
                    view.location,
                    check_in=(0, 1) if typed.primitive == "bool" else None,
                )
            )
        else:
            raise SchemaError(
                f"view {view.name}: cannot type its column {name}; CAST it in the view "
                "(AS INTEGER, TEXT, REAL or BLOB)",
                view.location,
            )
    settings = options.views.get(view.name)
    key = settings.key if settings else ()
    known = {c.name.lower(): c.name for c in columns}
    for column in key:
        if column.lower() not in known:
            raise ConfigError(
                f"[tool.storegen.views.{view.name}] key: the view has no column {column!r} "
                f"(it has {', '.join(c.name for c in columns)})"
            )
    primary_key = PrimaryKey(tuple(known[c.lower()] for c in key)) if key else None
    table = Table(
        view.name,
        tuple(columns),
        view.location,
        view.sql,
        primary_key=primary_key,
        comment=view.comment or f"A row of the {view.name} view (read-only).",
    )
    model = (settings.model if settings else None) or class_name(view.name, options.acronyms)
    store = settings.store if settings else None
    contract = f"{model}View"  # not ...Table: it offers reads only
    return table, TableOptions(model=model, contract=contract, store=store, columns=inherited)


def _read_only(made: TableView, table: Table) -> TableView:
    """Keep only the reads: get by key, the list, the count; no update fields."""
    from .context import _param, _suffix  # context builds tables; this module is its helper

    by_column = {f.column: f for f in made.fields}
    key = table.primary_key.columns if table.primary_key else ()
    params = tuple(_param(by_column[c]) for c in key)
    methods = [MethodView.get(made.model, _suffix(params), params)] if key else []
    methods.append(MethodView.list_by(made.model, "", (), params))
    methods.append(MethodView.count_by(made.model, "", ()))
    if not key:  # no rowid in a view: pages order by every column
        made.rowless_order = tuple(f.column for f in made.fields)
    made.methods = tuple(methods)
    made.update_fields = ()
    made.read_only = True
    return made
