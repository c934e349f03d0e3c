"""Name clashes in the views `context.py` builds, refused before any code is written.

Two tables becoming one class, a class shadowing a name the generated modules
already use, two keys spelling one method, two columns becoming one attribute:
each would generate code that does not compile or silently misbehaves, so each
is a `SchemaError` (or `ConfigError`) naming the setting that fixes it.
"""

from __future__ import annotations

import difflib

from ..config import Mixin, Options
from ..errors import ConfigError, SchemaError
from ..schema.ir import Schema, Table
from .views import FieldView, MethodView, TableView

# Names the generated modules import or define beside the table classes: a
# model, contract, store or mixin with one of them would shadow it (a table
# `results` whose model is `Result` breaks every `Result[...]` annotation).
_RESERVED_CLASSES = frozenset(
    {
        "ABC", "Any", "BaseTable", "Callable", "ClassVar", "Database", "Decimal",
        "ErrorCode", "FailedResult", "Generic", "LibsqlDatabase", "Literal", "Protocol", "Result",
        "SchemaTarget", "Sequence", "SqliteDatabase", "SuccessResult", "TypeAlias",
        "TypeVar", "_Store",
    }
)  # fmt: skip


RESERVED_CLASSES = _RESERVED_CLASSES  # for the view stores' own check


def check_unique(names: list[str], what: str, schema: Schema) -> None:
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            first, second = schema.tables[seen[name]], schema.tables[index]
            raise SchemaError(
                f"tables {first.name!r} and {second.name!r} both become the {what} {name!r}; "
                f"rename one in [tool.storegen.tables.{second.name}]",
                second.location,
            )
        seen[name] = index


def check_reserved(tables: list[TableView], mixins: tuple[Mixin, ...], schema: Schema) -> None:
    for index, table in enumerate(tables):
        for what, name in (
            ("model", table.model),
            ("contract", table.contract),
            ("store", table.store),
        ):
            if name in _RESERVED_CLASSES:
                raise SchemaError(
                    f"table {table.name!r} becomes the {what} class {name!r}, a name the "
                    f"generated code already uses; set another '{what}' in "
                    f"[tool.storegen.tables.{table.name}]",
                    schema.tables[index].location,
                )
    for mixin in mixins:
        if mixin.name in _RESERVED_CLASSES:
            raise ConfigError(
                f"mixin {mixin.name!r}: the generated code already uses that name; rename it"
            )


def check_methods(table: Table, methods: list[MethodView]) -> None:
    """Two keys may spell the same method: UNIQUE (a, b) and a column `a_and_b`."""
    seen: set[str] = set()
    for method in methods:
        if method.name in seen:
            raise SchemaError(
                f"table {table.name!r} would get two methods named {method.name!r}; "
                "rename a column, or set an 'attribute' for it in "
                f"[tool.storegen.tables.{table.name}.columns]",
                table.location,
            )
        seen.add(method.name)


def check_unique_attrs(table: Table, fields: tuple[FieldView, ...]) -> None:
    seen: dict[str, str] = {}
    for field in fields:
        if field.attr in seen:
            raise SchemaError(
                f"columns {seen[field.attr]!r} and {field.column!r} of table {table.name!r} both become "
                f"the attribute {field.attr!r}; set an 'attribute' for one in "
                f"[tool.storegen.tables.{table.name}.columns.{field.column}]",
                table.column(field.column).location,
            )
        seen[field.attr] = field.column


# pydantic v2's BaseModel attributes (2.14): a field of that name shadows a
# method (a warning at import) or, for `model_config`, fails the class.
_BASEMODEL_NAMES = frozenset(
    {
        "construct", "copy", "dict", "from_orm", "json", "model_computed_fields", "model_config",
        "model_construct", "model_copy", "model_dump", "model_dump_json", "model_extra",
        "model_fields", "model_fields_set", "model_json_schema", "model_parametrized_name",
        "model_post_init", "model_rebuild", "model_validate", "model_validate_json",
        "model_validate_strings", "parse_file", "parse_obj", "parse_raw", "schema",
        "schema_json", "update_forward_refs", "validate",
    }
)  # fmt: skip


def shadows_model_api(attr: str, models: str) -> bool:
    """True when a field named `attr` would shadow an attribute of the model base class."""
    return models == "pydantic" and attr in _BASEMODEL_NAMES


def check_model_attrs(table: Table, fields: tuple[FieldView, ...], models: str) -> None:
    """With `models = "pydantic"`, no field may take a name BaseModel already has."""
    for field in fields:
        if shadows_model_api(field.attr, models):
            raise SchemaError(
                f"column {field.column!r} of table {table.name!r} becomes the attribute "
                f"{field.attr!r}, which pydantic's BaseModel already has; set an 'attribute' "
                f"in [tool.storegen.tables.{table.name}.columns.{field.column}]",
                table.column(field.column).location,
            )


def check_config_names(schema: Schema, options: Options) -> None:
    """Every table and column that config names must exist, spelled as in the schema.

    Otherwise a typo (`[tool.storegen.tables.post]`, `secret = ["pasword"]`)
    would silently configure nothing.
    """
    tables = {t.name: t for t in schema.tables}
    for name, table_options in options.tables.items():
        table = tables.get(name)
        if table is None:
            raise ConfigError(
                f"config [tables.{name}]: no table {name!r} in the schema"
                f"{_suggest(name, list(tables))}"
            )
        columns = [c.name for c in table.columns]
        named = [*table_options.columns, *table_options.secret]
        for column in named:
            if column not in columns:
                raise ConfigError(
                    f"config [tables.{name}]: table {name} has no column {column!r}"
                    f"{_suggest(column, columns)}"
                )


def _suggest(name: str, choices: list[str]) -> str:
    exact = [c for c in choices if c.lower() == name.lower()]
    close = exact or difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
