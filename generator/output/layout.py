"""Black-shaped layout of rendered modules: black's output without running black.

black was the slowest step of a cold generation. The templates print one
logical line per statement; `shape` lays out what black would change, in
black's own way (pinned mode, line length 100):

- a statement too long, or with a magic trailing comma, is split as black
  splits it: a `def` after its first bracket, anything else at its last one,
  the body on one line when it fits, else one element per line with a
  trailing comma; `from m import a, b` lists become one name per line;
- a long `NAME = "string"` gets black's parentheses when that makes it fit;
- strings get black's preferred quotes, docstrings its indentation and closing.

Only these shapes are touched, and only when every part is understood. For
built-in templates the result is written without black (output/finish.py): in
strict mode a line `shape` cannot vouch for sends its file to black, and
tests/test_black_authority.py keeps black the judge. Trailing commas are added
only where black splits (and after a lone def parameter): elsewhere they would
be "magic" and keep a split black would not make.
"""

from __future__ import annotations

import re

from .rules import ODD_SPACING, PREFIXED_SINGLE, docstring, double_quoted, kept_as_printed
from .rules import left_by_black, lone_string, suspect

LINE_LENGTH = 100  # generator.output.format pins black to the same length
_INDENT = "    "

# A string literal on one line, or a lone triple quote (the start or end of a long string).
_QUOTED_TEXT = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
_STRING = re.compile(r"[rRbBuUfF]*(?:\"\"\"|'''|" + _QUOTED_TEXT + ")")
_QUOTED = re.compile(_QUOTED_TEXT)
# What may precede the bracket a statement splits at: `x = await f(`, `return (`.
_RHS_HEAD = re.compile(
    r"(?:return |(?:[A-Za-z_][\w.]*(?:: [\w. |]+)? = )?(?:await )?)?(?:[A-Za-z_][\w.]*)?[(\[{]"
)
_DEF_HEAD = re.compile(r"(?:async )?def [A-Za-z_]\w*\(")
_DEF_TAIL = re.compile(r"\)(?: -> [^=]+)?:")
_STRING_ASSIGN = re.compile(
    r"""([A-Za-z_]\w*(?:: [\w. |]+)?) = ("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
)
_KEYWORD_TERNARY = re.compile(r"([A-Za-z_]\w*)=(.+),")
_IMPORT = re.compile(r"from ([\w.]+) import ([\w, ]+)")
_OPENING, _CLOSING = "([{", ")]}"
_PAIR_SIGNIFICANT = re.compile(r"""["'()\[\]{}#\\;]""")


def shape(source: str) -> str:
    """`source` with the statements black would split already split its way."""
    return _shape(source, strict=False)


def shape_or_none(source: str) -> str | None:
    """`shape(source)`, or None when some line may still be black's to change.

    Without black (built-in templates), a None means: run black on this file.
    None whenever a line is left as printed that black could change: one it
    would split that `shape` cannot, a long or non-ASCII line (black counts
    wide characters twice), a multi-line string, an unusual docstring, a
    prefixed '...' string or a '...' string beside a comment, trailing
    whitespace, or blank lines black would remove.
    """
    if source and not source.endswith("\n"):
        return None  # black ends every file with one newline
    try:
        return _shape(source, strict=True)
    except _Unsure:
        return None


class _Unsure(Exception):
    """A line `shape` leaves as printed, which black might still change."""


def _shape(source: str, *, strict: bool) -> str:
    lines = source.split("\n")
    out: list[str] = []
    depth = 0  # brackets left open by the lines before (a list the template printed)
    opens_block = True  # the next statement is the first of a module, class or def
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if depth == 0 and len(line) > LINE_LENGTH and kept_as_printed(line):
            out.append(line)
            opens_block = False
            i += 1
            continue
        if strict and suspect(lines, i, line, stripped):
            raise _Unsure
        if not stripped or stripped.startswith("#"):
            out.append(line)
            i += 1
            continue
        if depth == 0 and stripped.startswith('"""'):
            end = _string_end(lines, i)
            shaped = docstring(lines[i : (end or i) + 1]) if opens_block and end else None
            if strict and (end is None or (opens_block and shaped is None)):
                raise _Unsure
            if end is None:
                return "\n".join(out + lines[i:])
            block = lines[i : end + 1]
            out.extend(shaped or block)
            opens_block = False
            i = end + 1
            continue
        code = _STRING.sub(_blank, line) if '"' in line or "'" in line else line
        if '"""' in code or "'''" in code or line.endswith("\\"):
            if strict:
                raise _Unsure
            return "\n".join(out + lines[i:])  # a multi-line string or continuation: leave the rest
        if "#" in code:
            code = code[: code.index("#")]
        if strict and ODD_SPACING.search(code.strip()):
            raise _Unsure  # spacing black would normalise: `(0, )`, `a,b`, `f( x)`
        after = (
            depth
            + code.count("(") + code.count("[") + code.count("{")
            - code.count(")") - code.count("]") - code.count("}")
        )  # fmt: skip
        if "'" in line and "#" not in line:
            line = _STRING.sub(_prefer_double, line)
            if strict and PREFIXED_SINGLE.search(line):
                raise _Unsure  # black prefers double quotes on f/r/b strings too
        elif strict and "'" in line:
            raise _Unsure
        if depth == 0 and after == 0 and "#" not in line:
            if len(line) > LINE_LENGTH or ",)" in code or ",]" in code or ",}" in code:
                split = _split(line)
                if split is None and strict and not left_by_black(line):
                    raise _Unsure
                out.extend(split or [line])
            else:
                out.append(line)
        else:
            if strict and len(line) > LINE_LENGTH and not lone_string(line):
                raise _Unsure
            out.append(line)
        if after == 0:
            opens_block = code.rstrip().endswith(":")
        depth = after
        i += 1
    return "\n".join(out)


def _blank(match: re.Match[str]) -> str:
    """A string literal as `"_"`, so brackets and commas in it do not count (triple quotes kept)."""
    text = match.group()
    return text if text.lstrip("rRbBuUfF") in ('"""', "'''") else '"_"'


def _string_end(lines: list[str], start: int) -> int | None:
    """The line closing the triple-quoted string that opens `lines[start]`."""
    first = lines[start]
    rest = first[first.index('"""') + 3 :]
    if '"""' in rest:
        return start
    for j in range(start + 1, len(lines)):
        if '"""' in lines[j]:
            return j
    return None


def _prefer_double(match: re.Match[str]) -> str:
    literal = match.group()
    return double_quoted(literal) if literal[0] == "'" else literal


def _split(line: str) -> list[str] | None:
    """`line` (one whole statement) as black lays it out, or None when unsure."""
    if not line.isascii():
        return None  # black measures wide characters as two columns: leave those lines to it
    code = line.lstrip(" ")
    pad = line[: len(line) - len(code)]
    pairs = _pairs(code)
    if pairs is None:
        return None
    if len(line) <= LINE_LENGTH and not _has_magic_comma(code, pairs):
        return [line]
    imported = _IMPORT.fullmatch(code)
    if imported:
        names = [n.strip() for n in imported.group(2).split(",")]
        if not all(names):
            return None
        body = [f"{pad}{_INDENT}{name}," for name in names]
        return [f"{pad}from {imported.group(1)} import (", *body, f"{pad})"]
    keyword = _KEYWORD_TERNARY.fullmatch(code)
    if keyword and " if " in _outside(keyword.group(2)) and " else " in _outside(keyword.group(2)):
        # black parenthesizes a conditional expression it must split (an argument here),
        # and splits it at each top-level if/else when it is still too long
        parts = _ternary_lines(pad + _INDENT, keyword.group(2)) or []
        if not parts:
            return None
        return [f"{pad}{keyword.group(1)}=(", *parts, f"{pad}),"]
    ternary = _ternary(code[:-1]) if code.endswith(",") else None
    if ternary is not None:
        # an element of an exploded collection: black parenthesizes a conditional
        # expression too long for its line, then splits it at each top-level if/else
        lines = _ternary_lines(pad + _INDENT, code[:-1])
        return None if lines is None else [f"{pad}(", *lines, f"{pad}),"]
    if _DEF_HEAD.match(code):
        opening = code.index("(")
        tail = code[pairs[opening] :]
        if not _DEF_TAIL.fullmatch(tail):
            return None
        return _split_at(pad, code, opening, pairs, explode_collections=False, signature=True)
    closing = max(pairs.values(), default=None)  # the last one closes at the top level
    if closing is None:
        assigned = _STRING_ASSIGN.fullmatch(code)
        if assigned and len(pad + _INDENT + assigned.group(2)) <= LINE_LENGTH:
            return [
                f"{pad}{assigned.group(1)} = (",
                f"{pad}{_INDENT}{assigned.group(2)}",
                f"{pad})",
            ]
        return None
    opening = next(o for o, c in pairs.items() if c == closing)
    if code[closing + 1 :] not in ("", ",", ":") or not _RHS_HEAD.fullmatch(code[: opening + 1]):
        return None
    return _split_at(pad, code, opening, pairs, explode_collections=True)


def _split_at(
    pad: str, code: str, opening: int, pairs: dict[int, int], *,
    explode_collections: bool, signature: bool = False,
) -> list[str] | None:  # fmt: skip
    """Split `code` at the bracket pair at `opening`: head, body, tail (a lone def
    parameter, `signature`, gets the trailing comma black adds)."""
    closing = pairs[opening]
    head, tail = pad + code[: opening + 1], pad + code[closing:]
    if len(head) > LINE_LENGTH or len(tail) > LINE_LENGTH:
        return None
    inner = pad + _INDENT
    items = _elements(code, opening, pairs)
    if items is None or not items:
        return None
    body = code[opening + 1 : closing].strip()
    collection = explode_collections and (opening == 0 or not _is_name_end(code[opening - 1]))
    magic = _is_magic(code, opening, pairs)
    nested = _has_magic_comma(body, _pairs(body) or {})
    forced = collection and len(items) > 1
    if signature and len(items) == 1 and not magic:
        body += ","
    if not (magic or nested or forced) and len(inner + body) <= LINE_LENGTH:
        return [head, inner + body, tail]
    if len(items) == 1 and not magic and not nested:
        return None  # black would split the lone element further: leave it to black
    lines = [head]
    for item in items:
        element = _split(f"{inner}{item},")
        if element is None:
            return None
        lines.extend(element)
    lines.append(tail)
    return lines


def _ternary_lines(pad: str, code: str) -> list[str] | None:
    """A conditional expression as black lays it out at `pad` (None if unsure): on one
    line, else cut at its top-level `if` and `else`; a conditional nested in `else`
    stays on that line when it fits, else is parenthesized and laid out one level in."""
    if len(pad + code) <= LINE_LENGTH:
        return [pad + code]
    parts = _ternary(code)
    if parts is None:
        return None
    lines = [pad + p for p in parts[:2]]
    rest = " ".join(parts[2:]).removeprefix("else ")
    if len(parts) > 3 and len(f"{pad}else {rest}") > LINE_LENGTH:
        nested = _ternary_lines(pad + _INDENT, rest)
        if nested is None:
            return None
        lines += [f"{pad}else (", *nested, f"{pad})"]
    else:
        lines.append(f"{pad}else {rest}")
    return lines if all(len(line) <= LINE_LENGTH for line in lines) else None


def _ternary(code: str) -> list[str] | None:
    """`a if b else c` cut before each top-level `if` and `else`; None if not a ternary."""
    text = _STRING.sub(lambda m: "_" * len(m.group()), code)
    depth, cuts = 0, []
    for i, char in enumerate(text):
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth -= 1
        elif depth == 0 and char == " " and text.startswith((" if ", " else "), i):
            cuts.append(i)
    if len(cuts) < 2 or "lambda" in text or " for " in text:
        return None
    bounds = [0, *cuts, len(code)]
    return [code[a:b].strip() for a, b in zip(bounds, bounds[1:])]


def _outside(code: str) -> str:
    """`code` without the contents of its brackets (strings blanked)."""
    text = _STRING.sub('"_"', code)
    depth, kept = 0, []
    for char in text:
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)


def _is_name_end(char: str) -> bool:
    return char.isalnum() or char in "_)]"


def _elements(code: str, opening: int, pairs: dict[int, int]) -> list[str] | None:
    """The comma-separated elements inside the bracket at `opening` (no trailing empty one)."""
    closing = pairs[opening]
    items, start, i = [], opening + 1, opening + 1
    while i < closing:
        char = code[i]
        if char in _OPENING:
            i = pairs[i] + 1
            continue
        if char in "\"'":
            match = _QUOTED.match(code, i)
            if match is None:
                return None
            i = match.end()
            continue
        if char == ",":
            items.append(code[start:i].strip())
            start = i + 1
        i += 1
    last = code[start:closing].strip()
    if last:
        items.append(last)
    if any(not item for item in items):
        return None
    return items


def _pairs(code: str) -> dict[int, int] | None:
    """Opening bracket index → closing one, strings skipped; None if unsure (a #, \\ or ;)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    after = 0
    while (found := _PAIR_SIGNIFICANT.search(code, after)) is not None:
        i, char = found.start(), found.group()
        after = i + 1
        if char in "\"'":
            match = _QUOTED.match(code, i)
            if match is None or code.startswith(('"""', "'''"), i):
                return None
            after = match.end()
        elif char in "#\\;":
            return None
        elif char in _OPENING:
            stack.append(i)
        elif not stack or _OPENING.index(code[stack[-1]]) != _CLOSING.index(char):
            return None
        else:
            pairs[stack.pop()] = i
    return None if stack else pairs


def _has_magic_comma(code: str, pairs: dict[int, int]) -> bool:
    return any(_is_magic(code, opening, pairs) for opening in pairs)


def _is_magic(code: str, opening: int, pairs: dict[int, int]) -> bool:
    """A trailing comma black keeps exploded: any but that of `(x,)` or a subscript `x[a,]`."""
    if not code[opening + 1 : pairs[opening]].rstrip().endswith(","):
        return False
    if code[opening] == "{":
        return True
    subscript = code[opening] == "[" and opening > 0 and _is_name_end(code[opening - 1])
    if code[opening] == "[" and not subscript:
        return True
    items = _elements(code, opening, pairs)
    return items is None or len(items) > 1
