"""Plain data (tuples, dicts, strings, ints) as Python source laid out as black lays it out.

The `_sql` modules hold a dynamic query's variants (a dict) and a patch's
fragments (a tuple). Printed with `repr` they would be one long line that
black must split, twice as costly as text already in its layout (see
`output/layout.py`). black's rule for a display that does not fit is simple:
one element per line with a trailing comma, each element again flat if it
fits; strings in its preferred quotes.
"""

from __future__ import annotations

from ..output.rules import LINE_LENGTH, double_quoted

_INDENT = 4


def assignment(name: str, value: object, indent: int = _INDENT) -> str:
    """`name = value` (without the leading indent), continuation lines indented absolutely."""
    head = f"{name} = "
    return head + _layout(value, indent, indent + len(head), 0)


def _flat(value: object) -> str:
    if isinstance(value, str):
        return double_quoted(repr(value)) if repr(value)[0] == "'" else repr(value)
    if isinstance(value, tuple):
        items = [_flat(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _layout(value: object, indent: int, column: int, tail: int) -> str:
    flat = _flat(value)
    fits = column + len(flat) + tail <= LINE_LENGTH
    if fits or not isinstance(value, (tuple, dict)) or not value:
        return flat
    inner = indent + _INDENT
    pad = " " * inner
    lines = []
    if isinstance(value, tuple):
        for item in value:
            lines.append(pad + _layout(item, inner, inner, 1) + ",")
        opening, closing = "(", ")"
    else:
        for key, item in value.items():
            head = _flat(key) + ": "
            lines.append(pad + head + _layout(item, inner, inner + len(head), 1) + ",")
        opening, closing = "{", "}"
    return opening + "\n" + "\n".join(lines) + "\n" + " " * indent + closing
