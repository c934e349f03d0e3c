"""Spelling Python source text: merged imports, safe docstrings, literal defaults.

Pure string helpers the views and `context.py` share; apart from the view
classes so each stays short.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation


def merge_imports(lines: Iterable[str]) -> tuple[str, ...]:
    """`import x` lines first, then `from x import a, b` merged per module, sorted."""
    plain: set[str] = set()
    names: dict[str, set[str]] = {}
    for line in lines:
        if line.startswith("from "):
            module, _, imported = line[5:].partition(" import ")
            names.setdefault(module, set()).update(n.strip() for n in imported.split(","))
        else:
            plain.add(line)
    merged = [f"from {m} import {', '.join(sorted(n))}" for m, n in sorted(names.items())]
    return (*sorted(plain), *merged)


def safe_docstring(text: str) -> str:
    """A triple-quoted literal that no comment text can break out of."""
    return f'"""{docstring_body(text.strip())}"""'


def docstring_body(text: str) -> str:
    """`text` escaped to sit inside a triple-quoted literal, its value unchanged.

    Backslashes and control characters are escaped (newlines and tabs stay),
    a trailing quote is escaped before any three quotes in a row are, so a
    text ending in `\"\"\"` cannot close the literal early.
    """
    body = _ESCAPED.sub(_escape, text)
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    return body.replace('"""', '\\"\\"\\"')


# What a docstring cannot hold as it is: a backslash, a control character but
# newline and tab, DEL, and the two Unicode line separators.
_ESCAPED = re.compile(r"[\\\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    return f"\\x{ord(char):02x}" if ord(char) < 256 else f"\\u{ord(char):04x}"


def python_literal(value: int | float | str | None, codec: str) -> str | None:
    """Python source for a literal DEFAULT, or None if it doesn't fit the codec."""
    if value is None:
        return "None"
    if codec == "bool" and value in (0, 1):
        return "True" if value == 1 else "False"
    if codec == "int" and isinstance(value, int):
        return repr(value)
    if codec == "float" and isinstance(value, (int, float)):
        return repr(float(value))
    if codec in ("str", "numeric_text") and isinstance(value, str):
        return repr(value)
    if codec == "decimal" and isinstance(value, (int, float, str)):
        try:
            return f"Decimal({str(Decimal(str(value)))!r})"
        except InvalidOperation:
            return None
    return None
