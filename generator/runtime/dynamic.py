"""Statements chosen per call: IN-lists, optional filters, sort orders, partial updates.

Plain data and plain functions, no I/O and no async, so every store flavour
(async today, sync tomorrow) shares them. The SQL texts are built by the
generator: a query's variants are a dict from a key (which optional filters
are given, the sort order, whether a cursor is given) to `(sql, picks)`, the
text and the positions of its parameters in the method's full argument tuple.
A partial update's text is joined from generated fragments, once per
combination of columns, and cached. No value a caller passes is ever
formatted into SQL: values are always bound parameters.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from .errors import InvalidArgument

__all__ = [
    "UNSET",
    "Unset",
    "in_list",
    "patch_sql",
    "pick",
    "sequence",
]

Variant = tuple[str, tuple[int, ...]]
VariantKey = tuple[int, str, bool]


class Unset(enum.Enum):
    """The type of `UNSET`: "this column is not given", distinct from None (NULL)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
"""The default of every `patch_by_*` column argument: the column is left as stored."""


def sequence(values: Iterable[Any], name: str) -> Sequence[Any]:
    """`values` as a sequence for an IN-list; a str or bytes is refused.

    A str is a sequence of characters: passed by mistake where a list of
    values is expected, it would silently match single letters.
    """
    if isinstance(values, (str, bytes, bytearray, memoryview)) or not isinstance(
        values, (Sequence, set, frozenset)
    ):
        raise InvalidArgument(f"{name} must be a sequence of values, not {type(values).__name__}")
    return values if isinstance(values, (list, tuple)) else list(values)


def in_list(
    style: str,
    values: Iterable[Any],
    name: str,
    encode: Callable[[Any], object] | None = None,
) -> object:
    """One bound parameter holding every value of an IN-list (each through `encode`).

    "json" (SQLite, libSQL): a JSON array the statement reads with
    `json_each(?)`, so any length binds one variable. "array" (PostgreSQL):
    a list, for `= ANY($n)`.
    """
    checked = sequence(values, name)
    if encode is not None:
        checked = [encode(v) for v in checked]
    if style == "json":
        try:
            return json.dumps(checked, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            raise InvalidArgument(f"{name} holds a value JSON cannot carry") from None
    return list(checked)


def pick(
    variants: Mapping[VariantKey, Variant], key: VariantKey, full: Sequence[object]
) -> tuple[str, list[object]]:
    """The statement for `key` and its parameters, taken from `full` by position.

    A key with no statement means an argument outside the generated choices
    (an order_by outside its Literal, from an untyped caller): refused.
    """
    found = variants.get(key)
    if found is None:
        choices = sorted({k[1] for k in variants})
        raise InvalidArgument(f"order_by must be one of {', '.join(choices)}")
    sql, picks = found
    return sql, [full[i] for i in picks]


PatchParts = tuple[str, tuple[str, ...], str, str]
"""(head, one SET fragment per column, tail, placeholder style); "\\x00" marks a parameter."""

_PATCHES: dict[tuple[PatchParts, int], str] = {}


def patch_sql(parts: PatchParts, mask: int) -> str:
    """The UPDATE that writes the columns whose bit is set in `mask`, built once and cached."""
    key = (parts, mask)
    found = _PATCHES.get(key)
    if found is None:
        head, sets, tail, style = parts
        chosen = ",".join(s for i, s in enumerate(sets) if mask >> i & 1)
        found = _number(head + chosen + tail, style)
        _PATCHES[key] = found
    return found


def _number(text: str, style: str) -> str:
    pieces = text.split("\x00")
    if style == "qmark":
        return "?".join(pieces)
    out = [pieces[0]]
    for n, piece in enumerate(pieces[1:], start=1):
        out.append(f"${n}{piece}")
    return "".join(out)
