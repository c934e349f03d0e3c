"""JSON columns: values that round-trip exactly, or are refused.

A column declared JSON or JSONB, or TEXT with `CHECK (json_valid(col))`,
holds a `JsonValue`, or an instance of a class the config names (anything
pydantic's `TypeAdapter` takes). Writes send compact JSON text with sorted
keys, so equal values are equal text; anything that would not come back equal
(NaN, infinities, tuples, non-string keys, NUL characters, which PostgreSQL's
jsonb cannot hold) is refused with `EncodeError` (INVALID_DATA), nothing
written. Reads parse the stored text; what does not parse is a `DecodeError`.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, TypeAlias, Union

from .errors import DecodeError, EncodeError

__all__ = ["JsonValue", "decode_json", "decode_json_as", "encode_json", "encode_json_as"]

# What `json.loads` returns. Recursive, and checked as such by mypy --strict.
JsonValue: TypeAlias = Union[dict[str, "JsonValue"], list["JsonValue"], str, int, float, bool, None]

_dumps = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
).encode
_INT64 = 2**63
_NOT_EXACT = "is not JSON that reads back equal (NaN, infinity, a tuple, a non-str key?)"
_NUMBER = (
    "is a bare JSON number, which SQLite's NUMERIC affinity of a JSON column would "
    "change; wrap it in a list or object, or declare the column TEXT CHECK (json_valid(...))"
)


# PostgreSQL's jsonb keeps numbers as numeric and prints 1e16 back as 10000000000000000,
# an int (and 1e23 as a different number): refused on every backend, so one rule holds.
_BIG_FLOAT = "holds a float of 1e16 or more, which jsonb reads back as an int; store it as text"


def _has_big_float(value: object) -> bool:
    if isinstance(value, float):
        return abs(value) >= 1e16
    if isinstance(value, dict):
        return any(_has_big_float(v) for v in value.values())
    return isinstance(value, list) and any(_has_big_float(v) for v in value)


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity: not JSON


# Built once: json.loads(text, parse_constant=...) would build a decoder per call.
_loads = json.JSONDecoder(parse_constant=_refuse_constant).decode


def _check_text(text: str, value: object, table: str, column: str, numeric: bool) -> str:
    """Refuse text that a backend would not hand back unchanged."""
    if "\\u0000" in text:  # json.dumps escapes NUL; jsonb refuses the escape
        raise EncodeError(table, column, "holds a NUL character, which jsonb cannot store")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800"): no UTF-8 text holds it
            raise EncodeError(table, column, "holds text that is not valid Unicode") from None
    if "e+" in text and _has_big_float(_loads(text)):  # only such floats print as 1e+16
        raise EncodeError(table, column, _BIG_FLOAT)
    if numeric and not isinstance(value, bool):
        if isinstance(value, float) or (isinstance(value, int) and not -_INT64 <= value < _INT64):
            raise EncodeError(table, column, _NUMBER)
    return text


def encode_json(value: object, table: str, column: str, numeric: bool) -> str:
    """A JsonValue → compact JSON text with sorted keys; refused unless it reads back equal.

    `numeric`: the column has SQLite's NUMERIC affinity (declared JSON or
    JSONB), which stores the text `1.0` as the integer 1: a bare float, or an
    integer past 64 bits, is refused there.
    """
    try:
        text = _dumps(value)
        if type(value) not in (str, int, bool) and value is not None and _loads(text) != value:
            raise ValueError("changed")
    except (TypeError, ValueError, RecursionError):
        raise EncodeError(table, column, _NOT_EXACT) from None
    return _check_text(text, value, table, column, numeric)


def decode_json(value: object, table: str, column: str) -> Any:
    """Stored JSON text (or a number SQLite's affinity made of it) → the value."""
    if isinstance(value, str):
        try:
            return _loads(value)
        except (ValueError, RecursionError):
            pass
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise DecodeError(table, column, "JSON")


_ADAPTERS: dict[object, Any] = {}


def _adapter(kind: object) -> Any:
    """pydantic's TypeAdapter for a configured class, built once per class."""
    found = _ADAPTERS.get(kind)
    if found is None:
        try:  # imported by name: mypy on a package without pydantic stays clean
            adapter_class: Any = importlib.import_module("pydantic").TypeAdapter
        except ImportError:
            raise ImportError(
                "a JSON column typed with a class needs pydantic: pip install 'storegen[pydantic]'"
            ) from None
        found = _ADAPTERS[kind] = adapter_class(kind)
    return found


def encode_json_as(kind: object, value: object, table: str, column: str, numeric: bool) -> str:
    """A value of the configured class → JSON text, validated first and checked to read back."""
    adapter = _adapter(kind)
    name = getattr(kind, "__name__", "the configured type")
    try:
        valid = adapter.validate_python(value)
        text: str = adapter.dump_json(valid, warnings="error").decode("utf-8")
        if adapter.validate_json(text) != valid:
            raise ValueError("changed")
    except Exception:  # ValidationError, a serialization error: never echo the value
        raise EncodeError(table, column, f"does not validate as {name}") from None
    return _check_text(text, _loads(text) if numeric else None, table, column, numeric)


def decode_json_as(kind: object, value: object, table: str, column: str) -> Any:
    """Stored JSON text → an instance of the configured class, validated."""
    adapter = _adapter(kind)
    try:
        if isinstance(value, str):
            return adapter.validate_json(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return adapter.validate_python(value)
    except Exception:  # ValidationError: its text quotes the stored value
        pass
    name = getattr(kind, "__name__", "the configured type")
    raise DecodeError(table, column, f"JSON for {name}")
