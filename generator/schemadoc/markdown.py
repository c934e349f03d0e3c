"""Markdown spelling that survives any identifier or comment a schema holds.

The page must render the same on GitHub and in mkdocs (Python-Markdown), and
the two disagree on `\\|` inside a code span; so a value holding `|` or a
backtick is printed as an HTML `<code>` element with `|` as an entity, which
both render alike. Anchors are computed the way Python-Markdown's `toc`
extension makes heading ids, so links to a table's heading never break.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Characters that would start markup in a heading, escaped with a backslash (both
# renderers know these escapes); `_` only where it is not intraword.
_BACKSLASHED = re.compile(r"[\\`*\[\]#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# Characters Python-Markdown has no backslash escape for: entities instead.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;"}


def code(text: str) -> str:
    """`text` as inline code, safe inside a table cell."""
    if "|" in text or "`" in text or "\n" in text or text != text.strip() or not text:
        escaped = html.escape(" ".join(text.split()) or text, quote=False)
        return "<code>" + escaped.replace("|", "&#124;") + "</code>"
    return f"`{text}`"


def prose(text: str) -> str:
    """A comment as one line of plain text, safe inside a table cell."""
    return html.escape(" ".join(text.split()), quote=False).replace("|", "&#124;")


def heading_text(text: str) -> str:
    """An identifier as heading text: Markdown characters escaped, one line."""
    text = "".join(_ENTITIES.get(ch, ch) for ch in " ".join(text.split()))
    return _BACKSLASHED.sub(lambda m: "\\" + m.group(0), text)


class Anchors:
    """Heading ids as Python-Markdown's toc extension assigns them, in page order."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def add(self, text: str) -> str:
        """The id of the next heading with this (unescaped) text."""
        value = unicodedata.normalize("NFKD", " ".join(text.split()))
        value = value.encode("ascii", "ignore").decode("ascii")
        value = re.sub(r"[^\w\s-]", "", value).strip().lower()
        anchor = re.sub(r"[-\s]+", "-", value)
        while anchor in self._taken or not anchor:
            numbered = re.match(r"^(.*)_([0-9]+)$", anchor)
            if numbered:
                anchor = f"{numbered.group(1)}_{int(numbered.group(2)) + 1}"
            else:
                anchor = f"{anchor}_1"
        self._taken.add(anchor)
        return anchor
