"""`-- @directive` comments: what each one reads, and what it leaves as docs.

A directive reads exactly its own argument, and the rest of the comment stays
the object's docstring; what cannot be read that way is refused with the
position of the directive. Nothing is ignored: a `@renamed-from` that
swallowed the description after it would name no column, and `storegen
migrate` would then propose a drop.

- flags (`@secret`, `@append-only`) read nothing: `-- @secret The API key.`
  documents the column as "The API key.";
- `@renamed-from OLD` reads one name (bare or quoted):
  `-- @renamed-from display_name Optional; shown on the profile`;
- `@backfill EXPR` reads an SQL expression up to a `;` outside strings and
  parentheses, or to the end of the comment: `-- @backfill 'anon'; Shown on
  the profile`. A text that is not an expression is refused.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from ..errors import SchemaError
from .ir import Location

__all__ = ["ARGUMENT_DIRECTIVES", "DIRECTIVE", "DIRECTIVE_TARGETS", "read_directives"]

DIRECTIVE = re.compile(r"(?<!\S)@([A-Za-z][\w-]*)")
DIRECTIVE_TARGETS = {"append-only": "table", "secret": "column"}
ARGUMENT_DIRECTIVES = {"renamed-from": ("table", "column"), "backfill": ("column",)}
_ARGUMENT_START = re.compile(r"(?<!\S)@(renamed-from|backfill)(?![\w-])")
_NAME = re.compile(r'\s*([^\W\d][\w$]*|"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\])')
_SEPARATOR = re.compile(r"\s*[;,:.]?\s*")
_SYNTAX = ("syntax error", "incomplete input", "unrecognized token")


def read_directives(
    text: str, target: str, locate: Callable[[int], Location]
) -> tuple[str, dict[str, str]]:
    """Split one comment's text into its description and its directives.

    `locate` maps an offset in `text` to a file position, for the errors.
    Raises SchemaError for an unknown or misplaced directive, a missing or
    unreadable argument, or a `@backfill` that is not an SQL expression.
    """
    directives: dict[str, str] = {}
    kept: list[str] = []
    at = 0
    for match in _ARGUMENT_START.finditer(text):
        if match.start() < at:
            continue  # inside the previous directive's expression (a string literal)
        kept.append(text[at : match.start()])
        name = match[1]
        if target not in ARGUMENT_DIRECTIVES[name]:
            raise SchemaError(directive_problem(name, target), locate(match.start()))
        read = _read_name if name == "renamed-from" else _read_expression
        directives[name], at = read(text, match.end(), locate, match.start())
    kept.append(text[at:])
    description = " ".join(kept)
    for match in DIRECTIVE.finditer(description):
        name = match[1]
        if DIRECTIVE_TARGETS.get(name) != target:
            offset = text.find(match[0])
            raise SchemaError(directive_problem(name, target), locate(max(offset, 0)))
        directives[name] = ""
    description = DIRECTIVE.sub("", description)
    description = re.sub(r"^\s*[;,:.]\s*", "", description)  # `@secret: the key`
    return " ".join(description.split()), directives


def _read_name(
    text: str, start: int, locate: Callable[[int], Location], directive: int
) -> tuple[str, int]:
    """One identifier after `@renamed-from`, quotes removed; the rest is description."""
    match = _NAME.match(text, start)
    if match is None:
        raise SchemaError(
            "directive '@renamed-from' needs the old name right after it "
            "(`-- @renamed-from old_name`, then any description)",
            locate(directive),
        )
    name = match[1]
    if name[0] in '"`':
        name = name[1:-1].replace(name[0] * 2, name[0])
    elif name[0] == "[":
        name = name[1:-1]
    rest = _SEPARATOR.match(text, match.end())
    return name, rest.end() if rest else match.end()


def _read_expression(
    text: str, start: int, locate: Callable[[int], Location], directive: int
) -> tuple[str, int]:
    """The SQL expression after `@backfill`, to a top-level `;` or the comment's end."""
    end, depth, quote = len(text), 0, ""
    for i in range(start, len(text)):
        char = text[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == ";" and depth == 0:
            end = i
            break
        elif depth == 0 and _ARGUMENT_START.match(text, i):
            end = i
            break
    expression = text[start:end].strip()
    if not expression:
        raise SchemaError(
            "directive '@backfill' needs an argument: an SQL expression such as "
            "`-- @backfill 'unknown'`",
            locate(directive),
        )
    problem = _syntax_problem(expression)
    if problem:
        raise SchemaError(
            f"@backfill's expression `{expression}` is not SQL ({problem}): end the "
            "expression with ';' before any description (`-- @backfill 'x'; The label.`)",
            locate(directive),
        )
    after = end + 1 if end < len(text) and text[end] == ";" else end
    return expression, after


def _syntax_problem(expression: str) -> str:
    """SQLite's syntax error for `expression`, or "" (unknown columns are fine here)."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"SELECT ({expression}) FROM (SELECT 1) WHERE 0")
    except sqlite3.Error as error:
        message = str(error)
        return message if any(part in message for part in _SYNTAX) else ""
    finally:
        db.close()
    return ""


def directive_problem(name: str, target: str) -> str:
    """Why `@name` cannot stand in a `target` comment (unknown, or misplaced)."""
    where = DIRECTIVE_TARGETS.get(name) or " or ".join(ARGUMENT_DIRECTIVES.get(name, ()))
    if not where:
        known = ", ".join(f"@{n} ({t}s)" for n, t in DIRECTIVE_TARGETS.items())
        known += ", @renamed-from OLD (tables and columns), @backfill EXPR (columns)"
        return f"unknown directive '@{name}'; storegen knows {known}"
    return f"directive '@{name}' belongs in a {where} comment, not a {target} comment"
