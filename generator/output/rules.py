"""black's rules `layout.shape` leans on: docstrings, and the lines it cannot vouch for."""

from __future__ import annotations

import re

LINE_LENGTH = 100  # generator.output.format pins black to the same length
_CONTINUED = re.compile(r"\\\s*\n")  # a backslash ending a docstring's line


def docstring(block: list[str]) -> list[str] | None:
    """A docstring laid out as black's `visit_STRING` does; None for an unusual one."""
    if len(block) == 1 and _kept_docstring(block[0]):
        return block
    text = "\n".join(block)
    indent = text[: len(text) - len(text.lstrip(" "))]
    value = text.strip(" ")
    if not value.endswith('"""') or value.count('"""') != 2 or len(value) < 6:
        return None
    if "\t" in value or "\r" in value or ("\\" in value and _CONTINUED.search(value)):
        return None
    body = value[3:-3]
    started_empty = not body
    if "\n" in value:
        body = fix_multiline(body, indent)
    else:
        body = body.strip()
    trailing_backslash = False
    if body:
        if body[0] == '"':
            body = " " + body
        if body[-1] == '"':
            body += " "
        if body[-1] == "\\":
            if (len(body) - len(body.rstrip("\\"))) % 2:
                body += " "
                trailing_backslash = True
    elif not started_empty:
        body = " "
    parts = body.splitlines()
    last = len(parts[-1]) if body and not body.endswith("\n") else 0
    if len(parts) > 1 and last + 3 > LINE_LENGTH and not trailing_backslash:
        if value[-4] == "\n":
            literal = f'"""{body}"""'
        else:
            literal = f'"""{body}\n{indent}"""'
    else:
        literal = f'"""{body}"""'
    return (indent + literal).split("\n")


def _kept_docstring(line: str) -> bool:
    """A one-line docstring `docstring` returns as it is (most are): its text neither
    starts nor ends with a space, a quote or a backslash, and holds no line break."""
    value = line.lstrip(" ")
    body = value[3:-3]
    return (
        value.startswith('"""')
        and value.endswith('"""')
        and '"""' not in body
        and body != ""
        and body[0] not in ' "'
        and body[-1] not in ' "\\'
        and body == body.strip()
        and "\t" not in body
        and "\r" not in body
        and len(body.splitlines()) == 1
    )


def fix_multiline(docstring: str, prefix: str) -> str:
    """black's `fix_multiline_docstring` (PEP 257 indentation), tabs excluded."""
    lines = re.split(r"\r\n|[\r\n]", docstring)
    widths = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    trimmed = [lines[0].strip()]
    if widths:
        cut = min(widths)
        last = len(lines) - 2
        for i, line in enumerate(lines[1:]):
            kept = line[cut:].rstrip()
            trimmed.append(prefix + kept if kept or i == last else "")
    return "\n".join(trimmed)


# Spacing black normalises, in code with its strings blanked (strict mode).
ODD_SPACING = re.compile(r"[(\[{] |(?<=\S) [)\]}]|\S {2,}\S| ,|,(?=[^\s)\]}])")
# Between them, found wherever ODD_SPACING is (each of its branches holds one of these).
# Three patterns that each start with a known character are searched ~3-9x faster
# than ODD_SPACING, whose branches have no first character in common.
_ODD_AFTER_SPACE = re.compile(r" [ ,)\]}]")
_ODD_AFTER_OPENING = re.compile(r"[(\[{] ")
_ODD_AFTER_COMMA = re.compile(r",[^\s)\]}]")
# A string with a prefix in single quotes: black would make it double-quoted.
PREFIXED_SINGLE = re.compile(r"(?<![\w'\"])[rRbBuUfF]+'")
_PREFIX_QUOTE = re.compile(r"[rRbBuUfF]'")  # in every match of PREFIXED_SINGLE; ~5x faster
_LONE_STRING = re.compile(
    r""" *(?:[A-Za-z_]\w*=)?(?:"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'),?"""
)
_PLAIN_STRING_ASSIGN = re.compile(
    r""" *[A-Za-z_]\w* = (?:"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')"""
)
# `NAME = '...'` holding a `"` and no `'`, backslash, `#`, tab or CR: black keeps its
# quotes, and when it fits, or is too long even in parentheses, leaves the line as it is.
# The generated SQL modules are mostly such lines (checked first: ~5x faster on them).
_KEPT_STRING_ASSIGN = re.compile(r"""( *)[A-Za-z_]\w* = ('[^'"\\\n#\t\r]*"[^'\\\n#\t\r]*')""")
# black's regexes (strings.normalize_string_quotes), for ' → ".
_ESCAPED_NEW = re.compile(r'([^\\]|^)\\((?:\\\\)*)"')
_ESCAPED_ORIG = re.compile(r"([^\\]|^)\\((?:\\\\)*)'")
_UNESCAPED_NEW = re.compile(r'(([^\\]|^)(\\\\)*)"')


def suspect_line(line: str, stripped: str) -> bool:
    """A line (not empty; `stripped` is `line.strip()`) black may change that `shape` does
    not look at (strict mode)."""
    if not stripped:
        return True  # a line of only whitespace
    if line[-1] in " \t\f\v" or "\t" in line or "\r" in line:
        return True  # trailing whitespace, tabs, carriage returns
    if line.isascii():
        return False
    # black measures wide characters as two columns; a lone string it cannot split anyway
    too_wide = len(line) > LINE_LENGTH or _width(line) > LINE_LENGTH
    return too_wide and not lone_string(line)


def blank_suspect(lines: list[str], i: int) -> bool:
    """An empty line black would remove: more than 2 in a row, at the start or the end."""
    return (
        i == 0
        or (i >= 2 and not lines[i - 1].strip() and not lines[i - 2].strip())
        or (i == len(lines) - 2 and lines[-1] == "")
        or (i == len(lines) - 1 and not lines[i - 1].strip())
    )


def odd_spacing(code: str) -> bool:
    """Spacing black would normalise in `code` (strings blanked, stripped): `ODD_SPACING`,
    tried only where one of the three cheaper patterns finds a candidate."""
    return (
        _ODD_AFTER_SPACE.search(code) is not None
        or _ODD_AFTER_OPENING.search(code) is not None
        or _ODD_AFTER_COMMA.search(code) is not None
    ) and ODD_SPACING.search(code) is not None


def left_by_black(line: str) -> bool:
    """A plain `NAME = "string"` too long even inside parentheses: black leaves it as it is."""
    return line.isascii() and bool(_PLAIN_STRING_ASSIGN.fullmatch(line))


def kept_as_printed(line: str) -> bool:
    """A top-level `NAME = '..."...'` black leaves as it is (shape's answer, checked at once):
    one that fits, or one too long for its line even in parentheses."""
    kept = _KEPT_STRING_ASSIGN.fullmatch(line)
    return (
        kept is not None
        and (
            len(line) <= LINE_LENGTH
            or len(kept.group(1)) + 4 + len(kept.group(2)) > LINE_LENGTH  # even in parentheses
        )
        and '"""' not in line
        and line.isascii()
        # its only `'` are the string's: a prefix can only be before the last one
        and not (line[-2] in "rRbBuUfF" and PREFIXED_SINGLE.search(line))
    )


def prefixed_single(line: str) -> bool:
    """A string with a prefix in single quotes (`PREFIXED_SINGLE`), the cheap test first."""
    return _PREFIX_QUOTE.search(line) is not None and PREFIXED_SINGLE.search(line) is not None


def lone_string(line: str) -> bool:
    """An element line of a split call or collection that is one string (`"..."`, `k="...",`):
    black cannot split it further and leaves it as it is, however long."""
    return bool(_LONE_STRING.fullmatch(line))


def _width(line: str) -> int:
    """At least black's width of `line`: east-asian wide and full-width characters count 2."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def double_quoted(literal: str) -> str:
    """A plain '...' literal in black's preferred quotes (strings.normalize_string_quotes)."""
    body = literal[1:-1]
    if "\\" not in body:  # no escapes: a '"' inside would need one, so black keeps '...'
        return literal if '"' in body else f'"{body}"'
    if "'" not in body and '\\"' not in body:
        # black's first two passes change nothing (no \' or \"), the third escapes each "
        return literal if '"' in body else f'"{body}"'
    new_body = _sub_twice(_ESCAPED_NEW, r"\1\2" + '"', body)
    if new_body != body:
        body = new_body
        literal = f"'{body}'"
    new_body = _sub_twice(_ESCAPED_ORIG, r"\1\2'", new_body)
    new_body = _sub_twice(_UNESCAPED_NEW, r'\1\\"', new_body)
    if new_body.count("\\") > body.count("\\"):
        return literal
    return f'"{new_body}"'


def _sub_twice(regex: re.Pattern[str], replacement: str, text: str) -> str:
    return regex.sub(replacement, regex.sub(replacement, text))
