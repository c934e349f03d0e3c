"""SQLite declared types → Python types, as plain data.

We map from the declared type text with SQLite's affinity rules, never from
sqlglot's normalised DataType (it turns INT8 into TINYINT and REAL into DOUBLE).
Each mapping is a `Codec`: the annotation, the imports it needs, and how a
value is encoded for the database and decoded back. The `{}` in an
expression is the value being converted.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from ..errors import ConfigError, SchemaError
from ..records import record
from ..schema.ir import Affinity, Column, Table

if TYPE_CHECKING:
    from ..config import Options


@record
class Codec:
    """How one Python type travels to and from a SQLite column."""

    annotation: str
    imports: tuple[str, ...] = ()
    encode: str = "{}"
    decode: str = "{}"

    @property
    def is_identity(self) -> bool:
        """True when values pass through unchanged (no call per row)."""
        return self.encode == "{}" and self.decode == "{}"


CODECS: dict[str, Codec] = {
    "int": Codec("int"),
    "str": Codec("str"),
    "float": Codec("float", encode="_convert.encode_float({}, {table!r}, {column!r})"),
    "bytes": Codec("bytes"),
    # Text in a NUMERIC-affinity column (JSON, UUID, TIME, an override): SQLite would
    # turn '42' into 42, so text that looks like a number is refused, never changed.
    "numeric_text": Codec("str", encode="_convert.encode_numeric_text({}, {table!r}, {column!r})"),
    # Sent as 0/1: strict drivers (asyncpg) refuse a Python bool for an integer column.
    "bool": Codec("bool", encode="_convert.encode_bool({})", decode="bool({})"),
    "decimal": Codec(
        "Decimal",
        imports=("from decimal import Decimal",),
        encode="_convert.encode_decimal({}, {table!r}, {column!r}, {digits!r})",
        decode="_convert.decode_decimal({}, {table!r}, {column!r})",
    ),
    "date": Codec(
        "datetime.date",
        imports=("import datetime",),
        encode="{}.isoformat()",
        decode="_convert.decode_iso_date({}, {table!r}, {column!r})",
    ),
    # Aware UTC on read; canonical UTC text on write (docs/types.md, "Datetimes").
    "datetime": Codec(
        "datetime.datetime",
        imports=("import datetime",),
        encode="_convert.encode_utc_datetime({}, {table!r}, {column!r})",
        decode="_convert.decode_utc_datetime({}, {table!r}, {column!r})",
    ),
    "epoch_datetime": Codec(
        "datetime.datetime",
        imports=("import datetime",),
        encode="_convert.encode_epoch({}, {table!r}, {column!r}, False)",
        decode="_convert.decode_epoch({}, {table!r}, {column!r})",
    ),
    "epoch_date": Codec(
        "datetime.date",
        imports=("import datetime",),
        encode="_convert.encode_epoch_date({})",
        decode="_convert.decode_epoch_date({}, {table!r}, {column!r})",
    ),
}

# JSON columns (declared JSON/JSONB, or CHECK (json_valid(col))): JsonValue, which
# models.py defines (or takes from pydantic) and every other module imports from it.
JSON_IMPORT = "from .models import JsonValue"
CODECS["json"] = Codec(
    "JsonValue",
    imports=(JSON_IMPORT,),
    encode="_convert.encode_json({}, {table!r}, {column!r}, {numeric!r})",
    decode="_convert.decode_json({}, {table!r}, {column!r})",
)


def json_class_codec(reference: str, where: str) -> Codec:
    """The codec of a JSON column typed with a class from config (`"myapp.models:Settings"`)."""
    module, _, name = reference.partition(":")
    if not (name.isidentifier() and all(p.isidentifier() for p in module.split("."))):
        raise ConfigError(
            f'{where}: json = {reference!r} must name a class as "module.path:Name" '
            "(anything pydantic's TypeAdapter accepts: a BaseModel, TypedDict, dataclass, "
            "or an alias such as Items = list[Item])"
        )
    return Codec(
        name,
        imports=(f"from {module} import {name}",),
        encode=f"_convert.encode_json_as({name}, {{}}, {{table!r}}, {{column!r}}, {{numeric!r}})",
        decode=f"_convert.decode_json_as({name}, {{}}, {{table!r}}, {{column!r}})",
    )


# `naive_datetimes = "utc"`: the same codecs, taking a naive datetime as UTC
# instead of refusing it. Chosen in render/context.py, never by name in config.
CODECS["datetime_naive_utc"] = Codec(
    "datetime.datetime",
    imports=("import datetime",),
    encode="_convert.encode_utc_datetime_naive({}, {table!r}, {column!r})",
    decode=CODECS["datetime"].decode,
)
CODECS["epoch_datetime_naive_utc"] = Codec(
    "datetime.datetime",
    imports=("import datetime",),
    encode="_convert.encode_epoch({}, {table!r}, {column!r}, True)",
    decode=CODECS["epoch_datetime"].decode,
)
NAIVE_UTC_CODECS = {"datetime": "datetime_naive_utc", "epoch_datetime": "epoch_datetime_naive_utc"}

# Default codec per affinity; NUMERIC is float unless config says decimal.
_AFFINITY_CODECS = {
    Affinity.INTEGER: "int",
    Affinity.TEXT: "str",
    Affinity.BLOB: "bytes",
    Affinity.REAL: "float",
    Affinity.NUMERIC: "float",
}

# Declared type names that mean a date or a timestamp, whatever their affinity.
_TEMPORAL_TYPES = {"DATE": "date", "DATETIME": "datetime", "TIMESTAMP": "datetime"}
_BOOLEAN_TYPES = frozenset({"BOOLEAN", "BOOL"})
_DECIMAL_TYPES = frozenset({"DECIMAL", "NUMERIC"})
# Text kept as text, although SQLite gives these names NUMERIC affinity.
_TEXT_TYPES = frozenset({"UUID", "TIME"})
_JSON_TYPES = frozenset({"JSON", "JSONB"})
# Names without an affinity keyword that we map on purpose. Any other such name
# (`TXT`, `STRING`, `VARCHR`) gets NUMERIC affinity in SQLite: most likely a typo.
KNOWN_NUMERIC_NAMES = frozenset(
    {*_TEMPORAL_TYPES, *_BOOLEAN_TYPES, *_DECIMAL_TYPES, *_TEXT_TYPES, *_JSON_TYPES}
)
# Codecs whose values a TEXT-affinity column would store (and return) as text.
_NUMBER_CODECS = frozenset({"int", "bool", "float", "epoch_date", "epoch_datetime"})
# What a user can put in a column's `type` override (internal codecs excluded).
OVERRIDE_CHOICES = tuple(
    sorted(name for name in CODECS if name != "numeric_text" and not name.endswith("_naive_utc"))
)


def base_type_name(declared_type: str) -> str:
    """``NVARCHAR(20)`` → ``NVARCHAR``; ``unsigned big int`` → ``UNSIGNED BIG INT``."""
    return declared_type.split("(", 1)[0].strip().upper()


def column_codec(table: Table, column: Column, options: Options) -> str:
    """The codec a column gets from its config (type override, temporal storage) and
    the package's `numeric` and `temporal_storage`: what the models and every backend use."""
    column_options = options.table(table.name).columns.get(column.name)
    storage = (
        column_options.temporal_storage if column_options else None
    ) or options.temporal_storage
    return choose_codec(
        column,
        table=table.name,
        override=column_options.type if column_options else None,
        numeric=options.numeric,
        temporal_storage=storage,
    )


def choose_codec(
    column: Column,
    *,
    table: str,
    override: str | None = None,
    numeric: str = "float",
    temporal_storage: str = "iso",
) -> str:
    """Pick the codec name for a column: override, then CHECK, then type text.

    Args:
        column: the IR column.
        table: the column's table, for messages.
        override: a codec name from config (``int``, ``decimal``, ``str`` ...).
        numeric: ``float`` or ``decimal`` for NUMERIC/DECIMAL columns.
        temporal_storage: ``iso`` (text), ``epoch`` (integer) or ``str`` (no conversion).

    Raises:
        SchemaError: a declared type or CHECK enum that looks like a mistake
            (see `check_declared_type`) and no override confirms it.
    """
    if override is not None:
        if override not in OVERRIDE_CHOICES:
            raise ConfigError(
                f"column {table}.{column.name}: unknown type override {override!r}; "
                f"choose one of {', '.join(OVERRIDE_CHOICES)}"
            )
        if override in _NUMBER_CODECS and column.affinity is Affinity.TEXT:
            raise ConfigError(
                f"column {table}.{column.name}: type override {override!r} on declared type "
                f"'{column.declared_type}': SQLite stores numbers in a TEXT-affinity column as "
                "text, so they would come back as str; declare the column INTEGER or REAL"
            )
        return _guard_text(override, column)
    check_declared_type(column, table)
    base = base_type_name(column.declared_type)
    if base in _BOOLEAN_TYPES or column.check_in in ((0, 1), (1, 0)):
        return "bool"
    if base in _TEMPORAL_TYPES:
        kind = _TEMPORAL_TYPES[base]
        if temporal_storage == "str":
            return _guard_text("str", column)
        if temporal_storage == "epoch":
            return f"epoch_{kind}"
        return kind
    if base in _DECIMAL_TYPES and numeric == "decimal":
        return "decimal"
    if base in _JSON_TYPES or column.json_check:
        return "json"
    if base in _TEXT_TYPES:
        return _guard_text("str", column)
    return _AFFINITY_CODECS[column.affinity]


# Compiled at import (while the schema is parsed), not by the view's first column.
_DIGITS = re.compile(r"[^(]*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)\s*")


def declared_digits(declared_type: str) -> tuple[int, int] | None:
    """``DECIMAL(10, 2)`` → ``(10, 2)``; ``DECIMAL(10)`` → ``(10, 0)``; else None."""
    found = _DIGITS.fullmatch(declared_type)
    if found is None:
        return None
    return int(found[1]), int(found[2] or 0)


def _guard_text(codec: str, column: Column) -> str:
    """`str` in a NUMERIC-affinity column needs the guard against SQLite's conversion."""
    return "numeric_text" if codec == "str" and column.affinity is Affinity.NUMERIC else codec


def check_declared_type(column: Column, table: str) -> None:
    """Refuse a declared type that SQLite would read differently from its author.

    SQLite accepts any type name and derives an affinity from keywords in it
    (INT; CHAR, CLOB, TEXT; BLOB; REAL, FLOA, DOUB), else NUMERIC. A name
    with none of them that we do not know (`TXT`, `STRING`) is almost always
    a typo, and would silently become a float. A CHECK enum must agree with
    the affinity too: strings need TEXT, integers a numeric affinity. A
    `type` override in config confirms either on purpose.
    """
    where = f"column {table}.{column.name}"
    declared = (
        f"declared type '{column.declared_type}'" if column.declared_type else "no declared type"
    )
    how = (
        f"fix the type, or confirm it with [tool.storegen.tables.{table}.columns."
        f'{column.name}] type = "..." ({", ".join(OVERRIDE_CHOICES)})'
    )
    base = base_type_name(column.declared_type)
    if column.affinity is Affinity.NUMERIC and base not in KNOWN_NUMERIC_NAMES:
        raise SchemaError(
            f"{where}: {declared} has none of SQLite's type "
            "keywords (INT, CHAR, CLOB, TEXT, BLOB, REAL, FLOA, DOUB) and is not a type "
            f"storegen knows, so SQLite gives it NUMERIC affinity{_did_you_mean(base)}; {how}",
            column.location,
        )
    values = column.check_in or ()
    strings = bool(values) and all(isinstance(v, str) for v in values)
    if strings and column.affinity is not Affinity.TEXT:
        raise SchemaError(
            f"{where}: CHECK lists strings, but {declared} gives "
            f"{column.affinity.value} affinity, not TEXT; {how}",
            column.location,
        )
    numeric = (Affinity.INTEGER, Affinity.NUMERIC, Affinity.REAL)
    if values and not strings and column.affinity not in numeric:
        raise SchemaError(
            f"{where}: CHECK lists integers, but {declared} gives "
            f"{column.affinity.value} affinity, which stores them "
            f"{'as text' if column.affinity is Affinity.TEXT else 'untyped'}; {how}",
            column.location,
        )


def _did_you_mean(base: str) -> str:
    """` (did you mean TEXT?)` for a near miss of a common type name."""
    common = ["TEXT", "INTEGER", "INT", "REAL", "BLOB", "VARCHAR", "NUMERIC", "BOOLEAN"]
    common += sorted(KNOWN_NUMERIC_NAMES - set(common))
    close = difflib.get_close_matches(base, common, n=1, cutoff=0.6)
    if base == "STRING":
        return " (did you mean TEXT? SQLite reads STRING as NUMERIC)"
    return f" (did you mean {close[0]}?)" if close else ""


def literal_annotation(values: tuple[int | str, ...]) -> str:
    """``('a', 'b')`` → ``Literal['a', 'b']`` for a CHECK IN-list enum."""
    return "Literal[" + ", ".join(repr(v) for v in values) + "]"
