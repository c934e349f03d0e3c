"""Conversions between Python values and what SQLite stores.

Dates and timestamps are ISO-8601 text by default (what SQLite's own date
functions produce), or unix-epoch integers when config asks. A stored value
that does not convert raises `DecodeError` naming the column, never the value.
"""

from __future__ import annotations

import datetime
import enum
import types
from decimal import Decimal, InvalidOperation
from collections.abc import Callable
from typing import Any, Final, Generic, Never, NoReturn, TypeVar, cast

from .errors import DecodeError, EncodeError

# JSON columns: re-exported so generated code reaches every codec as `_convert.*`.
from .jsonvalue import JsonValue as JsonValue
from .jsonvalue import decode_json as decode_json
from .jsonvalue import decode_json_as as decode_json_as
from .jsonvalue import encode_json as encode_json
from .jsonvalue import encode_json_as as encode_json_as

__all__ = [
    "DEFAULT",
    "JsonValue",
    "decode_json",
    "decode_json_as",
    "encode_json",
    "encode_json_as",
    "DbDefault",
    "decode_decimal",
    "encode_decimal",
    "decode_epoch",
    "decode_epoch_date",
    "decode_iso_date",
    "decode_utc_datetime",
    "encode_utc_datetime",
    "encode_utc_datetime_naive",
    "encode_bool",
    "encode_epoch",
    "encode_epoch_date",
    "encode_float",
    "refuse_default",
    "encode_numeric_text",
    "success_builder",
]

_R = TypeVar("_R")


class DbDefault(enum.Enum):
    """The type of `DEFAULT`: "let the database fill this column in"."""

    DEFAULT = "DEFAULT"

    def __repr__(self) -> str:
        return "DEFAULT"


# The default of every model field the database fills in on insert (a rowid
# alias, an expression DEFAULT, a generated column). Statically it is `Never`,
# the type that fits every annotation, so `id: int = DEFAULT` keeps rows exact
# (`row.id + 1` needs no assert) while `Model(...)` may still omit the field.
# Stores never return it: a row read back always holds the stored value.
DEFAULT: Final[Never] = cast(Never, DbDefault.DEFAULT)


def refuse_default(table: str, column: str) -> NoReturn:
    """`DEFAULT` where a real value is needed (an update's key or SET column)."""
    raise EncodeError(table, column)


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


_UTC = datetime.timezone.utc
_fromisoformat = datetime.datetime.fromisoformat


def decode_utc_datetime(value: object, table: str, column: str) -> datetime.datetime:
    """Stored text (any ISO-8601 form) → an aware UTC datetime.

    Canonical rows (`2026-12-05 04:34:34`, what CURRENT_TIMESTAMP writes) and
    naive text from other writers are UTC; text with an offset (`T`, `+02:00`,
    `Z`, PostgreSQL's `+00`) is converted to UTC. A datetime (a driver that
    decodes timestamps itself) is converted too. The fast path parses the
    canonical form with `+00:00` appended: one C call, no `replace()`.
    """
    try:  # date-only text parses with `+00:00` as a naive time: the slow path takes it
        fast = _fromisoformat(value + "+00:00")  # type: ignore[operator]
        if fast.tzinfo is not None:
            return fast
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        try:
            parsed = _fromisoformat(value)
        except ValueError:
            raise DecodeError(table, column, "an ISO-8601 datetime") from None
    elif isinstance(value, datetime.datetime):
        parsed = value
    else:
        raise DecodeError(table, column, "an ISO-8601 datetime")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed if parsed.tzinfo is _UTC else parsed.astimezone(_UTC)


def encode_utc_datetime(value: datetime.datetime, table: str, column: str) -> str:
    """An aware datetime → canonical UTC text; a naive one is refused (INVALID_DATA).

    `YYYY-MM-DD HH:MM:SS`, plus `.ffffff` only when there are microseconds:
    the form CURRENT_TIMESTAMP writes, and one that sorts as text in time
    order (a whole second is a prefix of its fractions, so it sorts first).
    """
    zone = getattr(value, "tzinfo", None)
    if zone is not _UTC:
        if not isinstance(value, datetime.datetime):
            raise EncodeError(table, column, "needs a datetime")
        if zone is None or value.utcoffset() is None:
            raise EncodeError(table, column, _NAIVE)
        try:
            value = value.astimezone(_UTC)
        except OverflowError:  # 0001-01-01 00:00+01:00 has no UTC datetime
            raise EncodeError(table, column, "is out of range in UTC") from None
    return value.isoformat(" ")[:-6]  # without "+00:00"


def encode_utc_datetime_naive(value: datetime.datetime, table: str, column: str) -> str:
    """Like `encode_utc_datetime`, but a naive datetime is taken as UTC (config says so)."""
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.isoformat(" ")
    return encode_utc_datetime(value, table, column)


_NAIVE = (
    "is a naive datetime: give it a tzinfo (datetime.timezone.utc), or set "
    'naive_datetimes = "utc" in [tool.storegen]'
)


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


def encode_epoch(value: datetime.datetime, table: str, column: str, naive_utc: bool) -> int:
    """An aware datetime → unix seconds; a naive one is refused unless config says UTC."""
    if not isinstance(value, datetime.datetime):
        raise EncodeError(table, column, "needs a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        if not naive_utc:
            raise EncodeError(table, column, _NAIVE)
        value = value.replace(tzinfo=_UTC)
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


def encode_decimal(value: Decimal, table: str, column: str, digits: tuple[int, int] | None) -> str:
    """A Decimal as exact text; refused (INVALID_DATA) when it cannot be kept exactly.

    SQLite stores the text as a BLOB (the SQL casts it), which NUMERIC affinity
    leaves alone; as a REAL it would keep only 15 digits. PostgreSQL would
    round a value past the column's DECIMAL(p, s) scale: such values, and
    NaN and infinities, are refused instead.
    """
    if not isinstance(value, Decimal) or not value.is_finite():
        raise EncodeError(table, column)
    if digits is not None and value:
        precision, scale = digits
        exponent = value.normalize().as_tuple().exponent
        fraction = max(0, -exponent) if isinstance(exponent, int) else 0
        if fraction > scale or value.adjusted() + 1 > precision - scale:
            raise EncodeError(table, column)
    return format(value, "f")


def decode_decimal(value: object, table: str, column: str) -> Decimal:
    """Stored text (a BLOB on SQLite) or a number → Decimal, exact for text."""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            pass
    raise DecodeError(table, column)


def _made_by_dataclasses(function: object) -> bool:
    """Whether `function` is the `__init__` that @dataclass wrote (compiled from a string)."""
    code = getattr(function, "__code__", None)
    return code is not None and code.co_filename == "<string>"


def success_builder(cls: Callable[..., _R]) -> Callable[[str, Any], _R]:
    """A fast `cls(ray_id=..., client_message=value)`, for the stores' hot path.

    The generated SuccessResult is a frozen, slotted dataclass: its `__init__`
    sets each field through `object.__setattr__` (~0.5 us a result, a tenth
    of a point read). The builder fills a twin of the class (the same slots,
    so the same memory layout, without the frozen `__setattr__`) with plain
    attribute stores, then gives the object its real class: the same object,
    equal and of the same type, for ~0.13 us (setting the slots through their
    descriptors took ~0.22 us). Any other class (a `results_module` of the
    user's that is not such a dataclass, has other bases, or its own
    `__init__` or `__new__`) keeps its own constructor.
    """
    slots = getattr(cls, "__slots__", None)
    fields = getattr(cls, "__dataclass_fields__", None)
    if (
        not isinstance(cls, type)
        or fields is None
        or set(fields) != {"ray_id", "client_message", "status"}
        or sorted(slots or ()) != ["client_message", "ray_id", "status"]
        or hasattr(cls, "__post_init__")
        # the twin stands in only for what dataclasses and object provide
        or not _made_by_dataclasses(getattr(cls, "__init__", None))
        or getattr(cls, "__new__", None) is not object.__new__
        # a base could act on a new subclass (__init_subclass__): no twin then
        or any(base not in (Generic, object) for base in cls.__mro__[1:])
    ):
        return lambda ray_id, value: cls(ray_id=ray_id, client_message=value)
    bases = getattr(cls, "__orig_bases__", cls.__bases__)  # Generic[_T_co], not Generic
    try:
        twin: Any = types.new_class(f"_{cls.__name__}Twin", bases, {}, _slots_of(slots))
    except TypeError:
        return lambda ray_id, value: cls(ray_id=ray_id, client_message=value)

    def build(ray_id: str, value: Any) -> _R:
        result = twin()
        result.ray_id = ray_id
        result.client_message = value
        result.status = True
        result.__class__ = cls
        built: _R = result
        return built

    try:  # the layouts must match for __class__ to be assigned; else the slow, sure way
        probe = build("", None)
    except TypeError:
        return lambda ray_id, value: cls(ray_id=ray_id, client_message=value)
    if probe != cls(ray_id="", client_message=None):
        return lambda ray_id, value: cls(ray_id=ray_id, client_message=value)
    return build


def _slots_of(slots: Any) -> Callable[[dict[str, Any]], None]:
    def body(namespace: dict[str, Any]) -> None:
        namespace["__slots__"] = slots

    return body
