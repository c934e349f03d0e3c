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

The splits themselves are in `split.py`. A line's result depends only on its text
and the bracket depth before it, so each such pair is worked out once per module
(most lines recur once per table).

Only these shapes are touched, and only when every part is understood. For
built-in templates the result is written without black (output/finish.py): in
strict mode a line `shape` cannot vouch for sends its file to black, and
tests/test_black_authority.py keeps black the judge. Trailing commas are added
only where black splits (and after a lone def parameter): elsewhere they would
be "magic" and keep a split black would not make.
"""

from __future__ import annotations

import re

from .rules import blank_suspect, docstring, double_quoted, kept_as_printed, left_by_black
from .rules import lone_string, odd_spacing, prefixed_single, suspect_line
from .split import LINE_LENGTH, STRING, exploded_strings, split_statement


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
    whitespace, or blank lines black would remove. Known blind spots, which no
    built-in template prints (bench/RESULTS.md): brackets printed exploded that
    black would join (`(x,\n)` alone, a list with no magic comma), `f(a,)`, a
    magic comma inside a conditional expression, a docstring followed by `""`,
    parentheses around a lone string (`x = ("...")`, which black drops), an escaped
    quote in a double-quoted string (`"a\\'b"`, `"a\\"b"`), upper-case hex escapes.
    """
    if source and not source.endswith("\n"):
        return None  # black ends every file with one newline
    try:
        return _shape(source, strict=True)
    except _Unsure:
        return None


class _Unsure(Exception):
    """A line `shape` leaves as printed, which black might still change."""


# What one line comes to, given the bracket depth before it: the same wherever the two
# occur together, so worked out once per module (most lines are printed once per table).
# Its lines, or None for itself unchanged; the bracket depth after it; and whether the
# next statement opens a block, or None when the line leaves that as it was (a comment).
_Shaped = tuple[list[str] | None, int, bool | None]
_KEPT: _Shaped = (None, 0, False)


def _shape(source: str, *, strict: bool) -> str:
    lines = source.split("\n")
    out: list[str] = []
    # lines already shaped (docstrings excepted): by text at the top level, else with the depth
    known: dict[str | tuple[int, str], _Shaped] = {}
    depth = 0  # brackets left open by the lines before (a list the template printed)
    opens_block = True  # the next statement is the first of a module, class or def
    i = 0
    while i < len(lines):
        line = lines[i]
        key = line if not depth else (depth, line)
        result = known.get(key)
        if (
            result is None
        ):  # blank lines and docstrings are never kept: they depend on the lines around
            if not line:
                if strict and blank_suspect(lines, i):
                    raise _Unsure
                out.append(line)
                i += 1
                continue
            stripped = line.strip()
            if depth == 0 and stripped.startswith('"""'):
                if strict and suspect_line(line, stripped):
                    raise _Unsure
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
            result = _line(line, stripped, depth, strict)
            if result is None:  # a multi-line string or continuation: leave the rest
                return "\n".join(out + lines[i:])
            known[key] = result
        shaped, depth, opens = result
        if shaped is None:
            out.append(line)
        else:
            out.extend(shaped)
        if opens is not None:
            opens_block = opens
        i += 1
    return "\n".join(out)


def _line(line: str, stripped: str, depth: int, strict: bool) -> _Shaped | None:
    """One line other than a blank one or a top-level docstring (see `_Shaped`); None: a
    string or statement that goes on past it, which `shape` leaves as printed from here."""
    if depth == 0 and " = '" in line and kept_as_printed(line):
        return _KEPT
    if strict and suspect_line(line, stripped) and not _only_wide(line, depth):
        raise _Unsure
    if not stripped or stripped.startswith("#"):
        return (None, depth, None)
    code = STRING.sub(_blank, line) if '"' in line or "'" in line else line
    if '"""' in code or "'''" in code or line.endswith("\\"):
        if strict:
            raise _Unsure
        return None
    if "#" in code:
        code = code[: code.index("#")]
    if strict and odd_spacing(code.strip()):
        raise _Unsure  # spacing black would normalise: `(0, )`, `a,b`, `f( x)`
    after = (
        depth
        + code.count("(") + code.count("[") + code.count("{")
        - code.count(")") - code.count("]") - code.count("}")
    )  # fmt: skip
    printed = line
    if strict and _PREFIX_QUOTE.search(line) and _ODD_PREFIX.search(line):
        raise _Unsure  # black lowercases prefixes and drops `u`: B"x" -> b"x", u"x" -> "x"
    if "'" in line and "#" not in line:
        line = STRING.sub(_prefer_double, line)
        if strict and prefixed_single(line):
            raise _Unsure  # black prefers double quotes on f/r/b strings too
    elif strict and "'" in line:
        raise _Unsure
    shaped: list[str] | None = None
    if depth == 0 and after == 0 and "#" not in line:
        if len(line) > LINE_LENGTH or ",)" in code or ",]" in code or ",}" in code:
            split = split_statement(line)
            if split is None and strict and not left_by_black(line):
                raise _Unsure
            shaped = split or [line]
    elif strict and len(line) > LINE_LENGTH and not lone_string(line):
        raise _Unsure
    if shaped is None and line != printed:
        shaped = [line]
    return (shaped, after, code.rstrip().endswith(":") if after == 0 else None)


# A string prefix black rewrites (an upper-case letter, or u): before any quote, so a
# string's text may match too, which only sends the file to black.
_ODD_PREFIX = re.compile(r"""(?<![\w'"])[rRbBuUfF]*[RBUFu][rRbBuUfF]*["']""")
_PREFIX_QUOTE = re.compile(r"""[RBUFu]["']""")  # in every match of _ODD_PREFIX; ~5x faster


def _only_wide(line: str, depth: int) -> bool:
    """A statement suspect only for its width, which black lays out whatever the width
    (`exploded_strings`): no tab, no carriage return, no whitespace black would strip."""
    if depth or line != line.rstrip():
        return False  # tabs, carriage returns and other odd whitespace: exploded_strings
    return exploded_strings(line) is not None


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
