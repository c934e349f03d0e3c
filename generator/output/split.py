"""How black splits one statement too long for its line, or with a magic trailing comma.

`layout.shape` hands such a statement to `split_statement`: a `def` is cut
after its first bracket, anything else at its last one; the body stays on one
line when it fits, else one element per line with a trailing comma; an import
list becomes one name per line; a conditional expression gets black's
parentheses. None whenever the statement is not one of these shapes in full.
"""

from __future__ import annotations

import re

from .rules import lone_string

LINE_LENGTH = 100  # generator.output.format pins black to the same length
INDENT = "    "

# A string literal on one line, or a lone triple quote (the start or end of a long string).
# (Written `"[^"\\\n]*(?:\\.[^"\\\n]*)*"`, not `"(?:[^"\\\n]|\\.)*"`: the same strings, but
# runs of plain characters matched at once, ~7x faster on a long SQL literal.)
_QUOTED_TEXT = r""""[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"""
STRING = re.compile(r"[rRbBuUfF]*(?:\"\"\"|'''|" + _QUOTED_TEXT + ")")
_QUOTED = re.compile(_QUOTED_TEXT)
# What may precede the bracket a statement splits at: `x = await f(`, `return (`.
# An annotation may subscript a generic: `X: tuple[str, ...] = (`.
_RHS_HEAD = re.compile(
    r"(?:return |(?:[A-Za-z_][\w.]*(?:: [\w. |]+(?:\[[\w. |,\[\]]*\])?)? = )?(?:await )?)?"
    r"(?:[A-Za-z_][\w.]*)?[(\[{]"
)
_DEF_HEAD = re.compile(r"(?:async )?def [A-Za-z_]\w*\(")
_DEF_TAIL = re.compile(r"\)(?: -> [^=]+)?:")
_STRING_ASSIGN = re.compile(
    r"""([A-Za-z_]\w*(?:: [\w. |]+)?) = ("[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')"""
)
_KEYWORD_TERNARY = re.compile(r"([A-Za-z_]\w*)=(.+),")
_IMPORT = re.compile(r"from ([\w.]+) import ([\w, ]+)")
_OPENING, _CLOSING = "([{", ")]}"
_PAIR_SIGNIFICANT = re.compile(r"""["'()\[\]{}#\\;]""")
_ELEMENT_SIGNIFICANT = re.compile(r"""[,"'(\[{]""")
# Where a magic trailing comma could be: a comma, maybe spaces, a closing bracket.
# Without one (strings included) no bracket pair of the text is magic.
_COMMA_CLOSING = re.compile(r",\s*[)\]}]")


def split_statement(line: str) -> list[str] | None:
    """`line` (one whole statement) as black lays it out, or None when unsure."""
    if not line.isascii():
        # black measures wide characters as two columns: leave those lines to it, but
        # for a collection of strings it explodes whatever their width (`exploded_strings`)
        return exploded_strings(line)
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
        body = [f"{pad}{INDENT}{name}," for name in names]
        return [f"{pad}from {imported.group(1)} import (", *body, f"{pad})"]
    keyword = _KEYWORD_TERNARY.fullmatch(code)
    if keyword and " if " in _outside(keyword.group(2)) and " else " in _outside(keyword.group(2)):
        # black parenthesizes a conditional expression it must split (an argument here),
        # and splits it at each top-level if/else when it is still too long
        parts = _ternary_lines(pad + INDENT, keyword.group(2)) or []
        if not parts:
            return None
        return [f"{pad}{keyword.group(1)}=(", *parts, f"{pad}),"]
    ternary = _ternary(code[:-1]) if code.endswith(",") else None
    if ternary is not None:
        # an element of an exploded collection: black parenthesizes a conditional
        # expression too long for its line, then splits it at each top-level if/else
        lines = _ternary_lines(pad + INDENT, code[:-1])
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
        if assigned and len(pad + INDENT + assigned.group(2)) <= LINE_LENGTH:
            return [
                f"{pad}{assigned.group(1)} = (",
                f"{pad}{INDENT}{assigned.group(2)}",
                f"{pad})",
            ]
        return None
    opening = next(o for o, c in pairs.items() if c == closing)
    if code[closing + 1 :] not in ("", ",", ":") or not _rhs_head(code[: opening + 1]):
        return None
    return _split_at(pad, code, opening, pairs, explode_collections=True)


def _rhs_head(head: str) -> bool:
    """What may stand before the bracket black splits at (`_RHS_HEAD`), with no magic
    comma in it (`X: tuple[str, ...,] = (`: black explodes that annotation first)."""
    return _RHS_HEAD.fullmatch(head) is not None and _COMMA_CLOSING.search(head) is None


def exploded_strings(line: str) -> list[str] | None:
    """`NAME = ("...", "...",)`, the magic comma exploding it, as black lays it out: one
    string per line, however wide (black cannot split a string); None for anything else.

    Width plays no part in that layout, so it holds for text black would count wider
    than it is (non-ASCII: the schema statements of a commented schema).
    """
    if not line.isprintable():
        return None  # other whitespace than spaces (U+3000, NBSP...): black's to judge
    code = line.lstrip(" ")
    pad = line[: len(line) - len(code)]
    pairs = _pairs(code)
    if not pairs:
        return None
    closing = max(pairs.values())
    opening = next(o for o, c in pairs.items() if c == closing)
    head, tail = pad + code[: opening + 1], pad + code[closing:]
    if code[closing + 1 :] or code[opening] != "(" or not head.isascii():
        return None
    if len(head) > LINE_LENGTH or not _rhs_head(code[: opening + 1]):
        return None
    items = _elements(code, opening, pairs)
    if not items or len(items) < 2 or not _is_magic(code, opening, pairs, items):
        return None
    lines = [f"{pad}{INDENT}{item}," for item in items]
    if not all(lone_string(element) for element in lines):
        return None
    return [head, *lines, tail]


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
    inner = pad + INDENT
    items = _elements(code, opening, pairs)
    if items is None or not items:
        return None
    body = code[opening + 1 : closing].strip()
    collection = explode_collections and (opening == 0 or not _is_name_end(code[opening - 1]))
    magic = _is_magic(code, opening, pairs, items)
    # a magic comma inside the body: the pairs within it are the body's own, shifted
    nested = _COMMA_CLOSING.search(body) is not None and any(
        _is_magic(code, inside, pairs) for inside in pairs if opening < inside < closing
    )
    forced = collection and len(items) > 1
    if signature and len(items) == 1 and not magic:
        body += ","
    if not (magic or nested or forced) and len(inner + body) <= LINE_LENGTH:
        return [head, inner + body, tail]
    if len(items) == 1 and not magic and not nested:
        if body.endswith(",") and lone_string(inner + body):
            return [head, inner + body, tail]  # `("...",)`: a string black cannot split
        return None  # black would split the lone element further: leave it to black
    lines = [head]
    for item in items:
        element = f"{inner}{item},"
        if len(element) <= LINE_LENGTH and _COMMA_CLOSING.search(item) is None:
            lines.append(element)  # fits, no magic comma: what split_statement would answer
            continue
        if lone_string(element):
            lines.append(element)  # one string, however long: black leaves it as it is
            continue
        split = split_statement(element)
        if split is None:
            return None
        lines.extend(split)
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
        nested = _ternary_lines(pad + INDENT, rest)
        if nested is None:
            return None
        lines += [f"{pad}else (", *nested, f"{pad})"]
    else:
        lines.append(f"{pad}else {rest}")
    return lines if all(len(line) <= LINE_LENGTH for line in lines) else None


def _ternary(code: str) -> list[str] | None:
    """`a if b else c` cut before each top-level `if` and `else`; None if not a ternary."""
    text = STRING.sub(lambda m: "_" * len(m.group()), code)
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
    text = STRING.sub('"_"', code)
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
    items: list[str] = []
    start = after = opening + 1
    # from one comma, quote or opening bracket to the next (nothing else changes the answer)
    while (found := _ELEMENT_SIGNIFICANT.search(code, after, closing)) is not None:
        i = found.start()
        char = code[i]
        if char == ",":
            items.append(code[start:i].strip())
            start = after = i + 1
        elif char in _OPENING:
            after = pairs[i] + 1
        else:
            match = _QUOTED.match(code, i)
            if match is None:
                return None
            after = match.end()
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
    if _COMMA_CLOSING.search(code) is None:
        return False
    return any(_is_magic(code, opening, pairs) for opening in pairs)


def _is_magic(
    code: str, opening: int, pairs: dict[int, int], items: list[str] | None = None
) -> bool:
    """A trailing comma black keeps exploded: any but that of `(x,)` or a subscript `x[a,]`
    (`items`: the pair's `_elements`, when the caller has them)."""
    if not code[opening + 1 : pairs[opening]].rstrip().endswith(","):
        return False
    if code[opening] == "{":
        return True
    subscript = code[opening] == "[" and opening > 0 and _is_name_end(code[opening - 1])
    if code[opening] == "[" and not subscript:
        return True
    if items is None:
        items = _elements(code, opening, pairs)
    return items is None or len(items) > 1
