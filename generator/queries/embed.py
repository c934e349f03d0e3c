"""`embed(t)` in a select list: table t's whole row becomes one field of the result.

As sqlc's `sqlc.embed`: ``SELECT embed(p), embed(a) FROM posts AS p JOIN
authors AS a ...`` gives rows with ``.post: Post`` and ``.author: Author``,
decoded by the tables' own decoders; ``Author | None`` when the join is LEFT
and the author can be missing. The file text is rewritten before anything
else reads it, ``embed(a)`` → ``a.*`` padded to the same length, so every
``file:line:col`` stays true; what was embedded is remembered by offset.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from ..errors import SchemaError
from ..schema.ir import QueryColumn, QueryEmbed
from ..schema.lex import SourceFile
from .scope import _Scope


def rewrite_embeds(source: SourceFile) -> tuple[str, list[tuple[int, str]]]:
    """The text with each ``embed(t)`` as ``t.*`` (same length), and (offset, t) of each.

    Found among the statements' tokens, so comments and string literals keep
    their text. Without an embed the text is the source's own, and so are its
    statements (the caller lexes it once).
    """
    found: list[tuple[int, str]] = []
    pieces: list[str] = []
    done = 0
    text = source.text
    for statement in source.statements:
        tokens = statement.tokens
        for i in range(len(tokens) - 3):
            word, opening, name, closing = tokens[i : i + 4]
            if (
                word.keyword == "EMBED"
                and (opening.text, closing.text) == ("(", ")")
                and name.kind == "word"
            ):
                star = f"{name.text}.*"
                pieces += [text[done : word.start], star.ljust(closing.end - word.start)]
                done = closing.end
                found.append((word.start, name.text))
    return "".join(pieces) + text[done:], found


def plan_embeds(
    tree: exp.Expr,
    names: list[str],
    scope: _Scope,
    width: Callable[[exp.Expr], tuple[QueryColumn, ...]],
    fail: Callable[[str], SchemaError],
) -> tuple[QueryEmbed, ...]:
    """Where each embedded table's columns sit in the result, and whether it may be missing."""
    if not isinstance(tree, exp.Select):
        raise fail("embed(...) belongs in the select list of a SELECT")
    wanted = {n.lower() for n in names}
    embeds: list[QueryEmbed] = []
    start = 0
    for item in tree.expressions:
        count = len(width(item))
        qualifier = item.table.lower() if isinstance(item, exp.Column) else ""
        if isinstance(item, exp.Column) and isinstance(item.this, exp.Star) and qualifier in wanted:
            source = next((s for s in scope.sources if s.alias == qualifier), None)
            if source is None or source.table is None:
                raise fail(f"embed({qualifier}) must name a table of the FROM clause")
            embeds.append(QueryEmbed(source.table.name, start, start + count, source.outer))
            wanted.discard(qualifier)
        start += count
    if wanted:
        raise fail(f"embed({sorted(wanted)[0]}) must be an item of the select list")
    return tuple(embeds)
