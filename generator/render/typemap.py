"""SQLite declared types → Python types, as plain data.

We map from the declared type text with SQLite's affinity rules, never from
sqlglot's normalised DataType (it turns INT8 into TINYINT and REAL into DOUBLE).
Each mapping is a `Codec`: the annotation, the imports it needs, and how a
value is encoded for the database and decoded back. The `{}` in an
expression is the value being converted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError
from ..schema.ir import Affinity, Column


@dataclass(frozen=True, slots=True)
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
    "datetime": Codec(
        "datetime.datetime",
        imports=("import datetime",),
        encode="{}.isoformat(sep=' ')",
        decode="_convert.decode_iso_datetime({}, {table!r}, {column!r})",
    ),
    "epoch_datetime": Codec(
        "datetime.datetime",
        imports=("import datetime",),
        encode="_convert.encode_epoch({})",
        decode="_convert.decode_epoch({}, {table!r}, {column!r})",
    ),
    "epoch_date": Codec(
        "datetime.date",
        imports=("import datetime",),
        encode="_convert.encode_epoch_date({})",
        decode="_convert.decode_epoch_date({}, {table!r}, {column!r})",
    ),
}

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


def base_type_name(declared_type: str) -> str:
    """``NVARCHAR(20)`` → ``NVARCHAR``; ``unsigned big int`` → ``UNSIGNED BIG INT``."""
    return declared_type.split("(", 1)[0].strip().upper()


def choose_codec(
    column: Column,
    *,
    override: str | None = None,
    numeric: str = "float",
    temporal_storage: str = "iso",
) -> str:
    """Pick the codec name for a column: override, then CHECK, then type text.

    Args:
        column: the IR column.
        override: a codec name from config (``int``, ``decimal``, ``str`` ...).
        numeric: ``float`` or ``decimal`` for NUMERIC/DECIMAL columns.
        temporal_storage: ``iso`` (text), ``epoch`` (integer) or ``str`` (no conversion).
    """
    if override is not None:
        if override not in CODECS:
            raise ConfigError(
                f"column {column.name}: unknown type override {override!r}; "
                f"choose one of {', '.join(sorted(CODECS))}"
            )
        return override
    base = base_type_name(column.declared_type)
    if base in _BOOLEAN_TYPES or column.check_in in ((0, 1), (1, 0)):
        return "bool"
    if base in _TEMPORAL_TYPES:
        kind = _TEMPORAL_TYPES[base]
        if temporal_storage == "str":
            return "str"
        if temporal_storage == "epoch":
            return f"epoch_{kind}"
        return kind
    if base in _DECIMAL_TYPES and numeric == "decimal":
        return "decimal"
    return _AFFINITY_CODECS[column.affinity]


def declared_digits(declared_type: str) -> tuple[int, int] | None:
    """``DECIMAL(10, 2)`` → ``(10, 2)``; ``DECIMAL(10)`` → ``(10, 0)``; else None."""
    found = re.fullmatch(r"[^(]*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)\s*", declared_type)
    if found is None:
        return None
    return int(found[1]), int(found[2] or 0)


def literal_annotation(values: tuple[int | str, ...]) -> str:
    """``('a', 'b')`` → ``Literal['a', 'b']`` for a CHECK IN-list enum."""
    return "Literal[" + ", ".join(repr(v) for v in values) + "]"
