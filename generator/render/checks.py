"""Name clashes in the views `context.py` builds, refused before any code is written.

Two tables becoming one class, a class shadowing a name the generated modules
already use, two keys spelling one method, two columns becoming one attribute:
each would generate code that does not compile or silently misbehaves, so each
is a `SchemaError` (or `ConfigError`) naming the setting that fixes it.
"""

from __future__ import annotations

from ..config import Mixin
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
