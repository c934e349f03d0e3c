"""Conversions between Python values and what SQLite stores.

Dates and timestamps are ISO-8601 text by default (what SQLite's own date
functions produce), or unix-epoch integers when config asks. A stored value
that does not convert raises `DecodeError` naming the column, never the value.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from .errors import DecodeError, EncodeError

__all__ = [
    "decode_decimal",
    "decode_epoch",
    "decode_epoch_date",
    "decode_iso_date",
    "decode_iso_datetime",
    "encode_bool",
    "encode_epoch",
    "encode_epoch_date",
    "encode_float",
    "encode_numeric_text",
]


def encode_bool(value: object) -> object:
    """A bool → 0/1, what SQLite stores; anything else passes through unchanged.

    Strict drivers (asyncpg) refuse a Python bool for an integer column.
    """
    return int(value) if isinstance(value, bool) else value


def decode_iso_date(value: object, table: str, column: str) -> datetime.date:
    """`'2024-05-01'` → `date(2024, 5, 1)`."""
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise DecodeError(table, column)


def decode_iso_datetime(value: object, table: str, column: str) -> datetime.datetime:
    """`'2024-05-01 12:00:00'` (or with a `T`, an offset, fractions) → datetime."""
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise DecodeError(table, column)


def encode_float(value: float, table: str, column: str) -> float:
    """A float as stored: NaN is refused, since SQLite would silently store NULL."""
    if value != value:
        raise EncodeError(table, column)
    return value


def encode_numeric_text(value: str, table: str, column: str) -> str:
    """Text for a NUMERIC-affinity column (JSON, UUID, TIME): kept exactly, or refused.

    SQLite stores text that reads as a number ('42', ' 1e3') as that number,
    so it would come back changed. Refuse what Python's float() accepts: a
    superset of SQLite's numeric literals.
    """
    try:
        float(value)
    except (TypeError, ValueError):
        return value
    raise EncodeError(table, column)


def encode_epoch(value: datetime.datetime) -> int:
    """A datetime → unix seconds; naive datetimes are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return int(value.timestamp())


def decode_epoch(value: object, table: str, column: str) -> datetime.datetime:
    """Unix seconds → an aware UTC datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    raise DecodeError(table, column)


def encode_epoch_date(value: datetime.date) -> int:
    """A date → unix seconds of its midnight UTC."""
    midnight = datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc)
    return int(midnight.timestamp())


def decode_epoch_date(value: object, table: str, column: str) -> datetime.date:
    """Unix seconds → the UTC date they fall on."""
    return decode_epoch(value, table, column).date()


def decode_decimal(value: object, table: str, column: str) -> Decimal:
    """Text or a number → Decimal, exact for text."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            pass
    raise DecodeError(table, column)
