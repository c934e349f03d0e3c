"""IR + options → the ready-to-print views the templates receive.

Every decision lives here: names, annotations, defaults, conversions, which
methods a table gets and the SQL behind each. Templates only print these
views, so reading this module tells you what the generated code will do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..backends.ddl import schema_ddl
from ..backends.store_sql import table_statements
from ..backends.pg_defaults import postgres_defaults
from ..backends.manifest import Backend
from ..config import Mixin, Options
from .checks import (
    RESERVED_CLASSES,
    check_config_names,
    check_methods,
    check_model_attrs,
    check_reserved,
    check_unique,
    check_unique_attrs,
)
from ..errors import ConfigError, SchemaError
from ..schema.ir import Affinity, Column, Location, PrimaryKey, Schema, Table, UniqueKey
from .naming import attribute_name, class_name, method_suffix
from ..queries.methods import attach_queries, query_statements
from .flavours import FLAVOURS
from .view_stores import view_stores
from .patch import patch_method
from .typemap import (
    CODECS,
    NAIVE_UTC_CODECS,
    column_codec,
    json_class_codec,
    declared_digits,
    literal_annotation,
)
from .views import (
    DB_DEFAULT,
    FieldView,
    MethodView,
    MixinView,
    PackageView,
    ParamView,
    TableView,
    docstring_body,
    python_literal,
    safe_docstring,
)

# Parameter and local names every method already uses; a column with one of
# these names gets a trailing underscore in method signatures.
_TAKEN_PARAMS = frozenset(
    {"self", "row", "ray_id", "limit", "after", "offset"}
    | {"stored", "value", "found", "found_rows", "values", "deleted", "exc"}
)


def build_package_view(schema: Schema, options: Options, sources: tuple[str, ...]) -> PackageView:
    """The view shared by every template: models, contracts and table facts."""
    if not schema.tables:
        where = Location(schema.files[0], 1, 1) if schema.files else None
        raise SchemaError(
            f"no CREATE TABLE in {', '.join(schema.files) or 'the schema'}: nothing to generate",
            where,
        )
    check_config_names(schema, options)
    tables = [_table_view(t, options) for t in schema.tables]
    check_unique([t.model for t in tables], "model class", schema)
    check_unique([t.store for t in tables], "store class", schema)
    check_unique([t.contract for t in tables], "contract class", schema)
    check_unique([t.decoder for t in tables], "decoder function", schema)
    check_reserved(tables, options.mixins, schema)
    _check_json_classes(tables, options)
    mixins = _mixin_views(options.mixins, tables)
    applied = {m.name: m for m in mixins}
    for table in tables:
        table.apply_mixins([m for m in applied.values() if m.fits(table)])
    taken = {name for t in tables for name in (t.model, t.contract, t.store)}
    read_only = view_stores(schema, options, _table_view, taken | RESERVED_CLASSES)
    for store in read_only:
        store.apply_mixins([])  # no mixins: a view's model is frozen
    view = PackageView(
        package=options.package,
        # File names go into a docstring and the header comment: escape them.
        sources=tuple(docstring_body(s) for s in sources),
        tables=(*tables, *read_only),
        mixins=tuple(m for m in mixins if any(m.name in t.bases for t in tables)),
        results_module=options.results_module,
        ddl=schema_ddl(schema, tables),
        models=FLAVOURS[options.models],
    )
    return attach_queries(view, schema, options.acronyms)


def attach_sql(view: PackageView, backend: Backend) -> dict[str, dict[str, object]]:
    """Per table, the SQL text of each statement name, in one backend's placeholder style."""
    return {
        t.name: {
            **table_statements(t, backend.paramstyle, backend.dialect),
            **query_statements(t, backend),
        }
        for t in view.tables
    }


def _table_view(table: Table, options: Options) -> TableView:
    table_options = options.table(table.name)
    model = table_options.model or class_name(table.name, options.acronyms)
    fields = tuple(
        _field_view(table, column, options)
        for column in table.columns
        if column.generated or not column.hidden  # generated columns are read-only fields
    )
    check_unique_attrs(table, fields)
    check_model_attrs(table, fields, options.models)
    append_only = (
        table.append_only if table_options.append_only is None else table_options.append_only
    )
    view = TableView(
        name=table.name,
        model=model,
        contract=table_options.contract or f"{model}Table",
        store=table_options.store or f"{model}Store",
        doc=safe_docstring(table.comment or f"A row of the {table.name} table."),
        fields=fields,
        append_only=append_only,
        foreign_keys=tuple(
            fk.columns[0] if len(fk.columns) == 1 else f"({', '.join(fk.columns)})"
            for fk in table.foreign_keys
        ),
    )
    pk_columns = table.primary_key.columns if table.primary_key else ()
    view.key_columns = pk_columns
    view.nocase_columns = frozenset(c.name for c in table.columns if c.collation == "NOCASE")
    keys: list[PrimaryKey | UniqueKey] = [table.primary_key] if table.primary_key else []
    view.nocase_keys = {k.columns: frozenset(k.nocase) for k in [*keys, *table.unique_keys]}
    view.postgres_defaults = postgres_defaults(table, options)
    if table.primary_key is None:
        view.rowless_order = _rowless_order(table, fields)
    if table.primary_key is not None and not append_only:
        view.update_fields = tuple(
            f
            for f in fields
            if f.writable
            and f.column not in pk_columns
            and f.column not in options.immutable_columns
        )
    view.methods = tuple(_methods(table, view))
    return view


def _field_view(table: Table, column: Column, options: Options) -> FieldView:
    column_options = options.table(table.name).columns.get(column.name)
    codec_name = column_codec(table, column, options)
    if options.naive_datetimes == "utc":
        codec_name = NAIVE_UTC_CODECS.get(codec_name, codec_name)
    codec = CODECS[codec_name]
    if column_options and column_options.json:
        where = f"[tool.storegen.tables.{table.name}.columns.{column.name}]"
        if codec_name != "json":
            raise ConfigError(
                f"{where}: json = {column_options.json!r} needs a JSON column: declare it "
                f"JSON or JSONB, or add CHECK (json_valid({column.name}))"
            )
        codec = json_class_codec(column_options.json, where)
    annotation = codec.annotation
    if column.check_in is not None and annotation in ("str", "int"):
        annotation = literal_annotation(column.check_in)
    secret = column.secret or column.name in options.table(table.name).secret
    if column_options and column_options.secret is not None:
        secret = column_options.secret
    attr = (
        column_options.attribute if column_options and column_options.attribute else None
    ) or attribute_name(column.name)
    default_py, default_sql = _default(table, column, codec_name)
    pk = table.primary_key
    in_key = pk is not None and column.name in pk.columns
    # A rowid alias is never NULL once stored, and SQLite lets a non-INTEGER
    # primary key hold NULL only as a legacy quirk: a key is never None on a row.
    not_null = column.not_null or (in_key and not column.generated)
    nullable = not not_null or default_py == "None"
    return FieldView(
        attr=attr,
        column=column.name,
        annotation=f"{annotation} | None" if nullable else annotation,
        default=default_py,
        default_sql=default_sql,
        secret=secret,
        doc=safe_docstring(column.comment) if column.comment else None,
        decode=_nullable(_bind_codec(codec.decode, table, column), nullable),
        encode=_nullable(_bind_codec(codec.encode, table, column), nullable),
        writable=not column.generated,
        affinity=column.affinity.value,
        imports=codec.imports
        + (("from typing import Literal",) if "Literal[" in annotation else ()),
        db_filled=default_py == DB_DEFAULT,
        table=table.name,
        exact_text=codec_name == "decimal",
    )


# Names models.py binds besides the model classes: a JSON class must not shadow them.
_MODELS_NAMES = frozenset(
    {"DEFAULT", "JsonValue", "dataclass", "field", "datetime", "Decimal", "Literal"}
    | {"BaseModel", "Field"}
)


def _check_json_classes(tables: list[TableView], options: Options) -> None:
    """A class named by `json = "module:Name"` is imported into models.py: no clash allowed."""
    taken = _MODELS_NAMES | {t.model for t in tables} | {m.name for m in options.mixins}
    for table, table_options in options.tables.items():
        for column, column_options in table_options.columns.items():
            name = (column_options.json or "").partition(":")[2]
            if name in taken:
                raise ConfigError(
                    f"[tool.storegen.tables.{table}.columns.{column}]: json class {name!r} "
                    "would clash with a name of the generated models.py; import it under "
                    "another name in your module (e.g. `Settings as SettingsJson`) and name that"
                )


def _bind_codec(expression: str, table: Table, column: Column) -> str:
    """Fill in the table and column a codec names in its errors (and DECIMAL digits)."""
    return (
        expression.replace("{table!r}", repr(table.name))
        .replace("{column!r}", repr(column.name))
        .replace("{digits!r}", repr(declared_digits(column.declared_type)))
        .replace("{numeric!r}", repr(column.affinity is Affinity.NUMERIC))
    )


def _default(table: Table, column: Column, codec_name: str) -> tuple[str | None, str | None]:
    """(Python default, SQL default to COALESCE with) for a column.

    A literal default becomes the dataclass default. An expression default,
    a generated column and a rowid alias default to the `DEFAULT` sentinel
    (typed to fit the field, so the row type stays exact), and the database
    fills them in: inserts send NULL in their place, as `COALESCE(?, <default>)`
    for an expression default.
    """
    pk = table.primary_key
    if column.generated or (pk is not None and pk.rowid_alias and pk.columns == (column.name,)):
        return DB_DEFAULT, None
    if column.default is None:
        in_key = pk is not None and column.name in pk.columns
        return (None if column.not_null or in_key else "None"), None
    if column.default.is_literal:
        literal = python_literal(column.default.value, codec_name)
        if literal is not None:
            return literal, None
    return DB_DEFAULT, column.default.sql


def _nullable(expression: str, nullable: bool) -> str:
    if expression == "{}" or not nullable:
        return expression
    return "None if {} is None else " + expression


def _methods(table: Table, view: TableView) -> list[MethodView]:
    """insert, get/delete per key, update, list/count per indexed column, list/count all."""
    model, by_column = view.model, {f.column: f for f in view.fields}
    pk = table.primary_key
    keys: list[tuple[str, ...]] = [pk.columns] if pk else []
    keys += [u.columns for u in table.unique_keys if u.columns not in keys]
    key_params = [tuple(_param(by_column[c]) for c in key) for key in keys]
    methods = [MethodView.insert(model), MethodView.insert_many(model)]
    methods += [MethodView.get(model, _suffix(p), p) for p in key_params]
    if not view.append_only:
        if pk is not None and view.update_fields:
            methods.append(MethodView.update(model))
            methods.append(MethodView.upsert(model))
            get = f"GET_BY_{_suffix(key_params[0])}".upper()
            methods.append(patch_method(view, _suffix(key_params[0]), key_params[0], get))
        methods += [MethodView.delete(model, _suffix(p), p) for p in key_params]
    cursor = key_params[0] if pk else ()
    for columns in _listable_keys(table, keys):
        params = tuple(_param(by_column[c]) for c in columns)
        suffix = _suffix(params)
        methods.append(MethodView.list_by(model, suffix, params, cursor))
        methods.append(MethodView.count_by(model, suffix, params))
    methods.append(MethodView.list_by(model, "", (), cursor))
    methods.append(MethodView.count_by(model, "", ()))
    check_methods(table, methods)
    return _with_read_back(table, view, methods)


def _with_read_back(table: Table, view: TableView, methods: list[MethodView]) -> list[MethodView]:
    """Writes whose row an AFTER trigger rewrites read it back by key, in the same transaction.

    RETURNING is evaluated before AFTER triggers run. insert reads back after
    an AFTER INSERT trigger, update after an AFTER UPDATE one, upsert after
    either; tables without a primary key (or such triggers) keep one statement.
    """
    events = set(table.rewritten_after)
    get = next((m for m in methods if m.kind == "get"), None)
    if not events or table.primary_key is None or get is None:
        return methods
    positions = [i for c in view.key_columns for i, f in enumerate(view.fields) if f.column == c]
    key = "(" + ", ".join(str(i) for i in positions) + ("," if len(positions) == 1 else "") + ")"
    needs = {"insert": {"INSERT"}, "update": {"UPDATE"}, "upsert": {"INSERT", "UPDATE"}}
    needs["patch"] = {"UPDATE"}
    return [
        replace(m, read_back=get.sql, read_back_key=key) if needs.get(m.kind, set()) & events else m
        for m in methods
    ]


def _suffix(params: tuple[ParamView, ...]) -> str:
    return method_suffix(tuple(p.name for p in params))


def _listable_keys(table: Table, keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """What `list_by_*` / `count_by_*` look rows up by: indexed columns and foreign keys.

    First single columns (a one-column index, a one-column foreign key), in
    column order; then every left prefix of a composite index, in index order
    (`(project_id, status)` gives `project_id` and `project_id, status`), so a
    lookup the index serves has its method. A unique key is a `get_by_*`; an
    index over an expression gives no lookup.
    """
    indexes = [i for i in table.indexes if not i.expression]
    wanted = {i.columns[0] for i in indexes if len(i.columns) == 1 and not i.unique}
    wanted |= {fk.columns[0] for fk in table.foreign_keys if len(fk.columns) == 1}
    found: list[tuple[str, ...]] = [(c.name,) for c in table.columns if c.name in wanted]
    for index in indexes:
        for end in range(1, len(index.columns) + 1 if not index.unique else len(index.columns)):
            found.append(index.columns[:end])
    unique = {tuple(c.lower() for c in key) for key in keys}
    seen: set[tuple[str, ...]] = set()
    listable: list[tuple[str, ...]] = []
    for columns in found:
        folded = tuple(c.lower() for c in columns)
        if folded not in seen and folded not in unique:
            seen.add(folded)
            listable.append(columns)
    return listable


def _param(field: FieldView) -> ParamView:
    name = f"{field.attr}_" if field.attr in _TAKEN_PARAMS else field.attr
    annotation = field.annotation.removesuffix(" | None")
    encode = field.encode.removeprefix("None if {} is None else ")
    return ParamView(name=name, annotation=annotation, column=field.column, codec_encode=encode)


def _rowless_order(table: Table, fields: tuple[FieldView, ...]) -> tuple[str, ...]:
    """What orders pages of a table without a primary key where there is no rowid.

    A unique key of NOT NULL columns when there is one; else every column:
    rows that tie on all of them are identical, so any order of them gives
    the same pages.
    """
    for key in table.unique_keys:
        if all(table.column(c).not_null for c in key.columns):
            return key.columns
    return tuple(f.column for f in fields)


def _mixin_views(mixins: tuple[Mixin, ...], tables: list[TableView]) -> list[MixinView]:
    views = []
    for mixin in mixins:
        for table in tables:
            fields = table.fields_for(mixin.columns)
            if fields is not None:
                views.append(
                    MixinView(
                        name=mixin.name, doc=safe_docstring(mixin.doc or mixin.name), fields=fields
                    )
                )
                break
    return views
