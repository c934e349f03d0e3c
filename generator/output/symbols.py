"""The fast path of import pruning: CPython's symbol table first, `ast` only where it must.

The syntax tree of a 4 MB module costs ~3x the symbol table CPython builds
in C (and hundreds of MB), while all pruning needs is which imported names
some code reads. So: the symbol table checks the syntax and marks the names
read as plain names; a top-level `def`/`class` it reports starts a piece;
the header (before the first piece) is parsed with `ast` for its imports and
`__all__`; each imported name is looked up with `ast` in the pieces whose
text mentions it, until found (a name in strings only costs a parse of each
piece that mentions it). The symbol table's own record of names read is no
help: `from __future__ import annotations` leaves annotations unvisited.

The answer is the whole-tree one of `imports.prune_checked`, or UNSURE when
the module does not fit this scheme (an import or a second `__all__` past
the header, a piece that does not parse alone); `tests/test_imports.py`
compares both on every golden.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from typing import Any

import _symtable  # type: ignore[import-not-found,unused-ignore]  # CPython's, built in C

from .imports import all_names, bound_name, drop_imports, used_names

UNSURE = object()
# A line (not the first) that starts a def, class or decorator; from its newline, which
# the search jumps between (a `^` pattern tries every character: ~7x slower).
_TOP_LEVEL_LINE = re.compile(r"\n(?:class |def |async def |@)")
# Pieces of about this many lines: the symbol table of a whole 4 MB module
# costs ~250 MB (CPython builds its syntax tree first).
_PIECE_LINES = 1000
# After the header: anything that could bind a module-level name the way an
# import does, or name what the module exports.
_LATE = re.compile(r"^[^#\n]*\b(?:import|__all__)\b", re.MULTILINE)
_FUTURE = re.compile(r"^from __future__ import annotations$", re.MULTILINE)
_WORD = re.compile(r"\w+")


def fast_prune(source: str, *, prunable: bool, private: bool) -> object:
    """The pruned text, None when `source` is not valid Python, or UNSURE."""
    lines = source.split("\n")
    bounds = [*_piece_starts(source, lines), len(lines)]
    read: set[str] = set()
    for number, (begin, end) in enumerate(zip(bounds, bounds[1:])):
        piece = "\n".join(lines[begin:end])
        if number == 0:  # without the future import, annotations are expressions it visits
            piece = _FUTURE.sub("", piece, count=1)
        try:
            read |= _read_somewhere(_symtable.symtable(piece, "<rendered>", "exec"))
        except (SyntaxError, ValueError):
            return UNSURE  # a split in the wrong place, or broken code: the whole tree decides
    if not prunable:
        return source
    cut = bounds[1]
    late = _late_all(lines, cut)
    if late is UNSURE:
        return UNSURE
    try:
        header = ast.parse("\n".join(lines[:cut]))
    except SyntaxError:
        return UNSURE
    exported = all_names(header)
    if late is not None:
        if exported is not None:
            return UNSURE  # two __all__: the whole tree decides
        exported = late  # type: ignore[assignment]
    if exported is None and not private:
        return source  # a public module without __all__ may re-export its imports
    wanted = {
        bound_name(alias)
        for node in header.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        for alias in node.names
    } - (exported or set())
    used = (read | used_names(header)) & wanted
    mentioned = wanted - used  # read nowhere as a plain name: a quoted annotation, or unused
    if not all(_WORD.fullmatch(name) for name in mentioned):
        return UNSURE  # a name with combining marks, which `\w` never spans: the whole tree
    if mentioned:
        mentioned = _whole_words(mentioned, _as_names("\n".join(lines[cut:])))
    for begin, end in zip(bounds[1:], bounds[2:]):
        if not mentioned:
            break
        text = "\n".join(lines[begin:end])
        if _whole_words(mentioned, _as_names(text)):
            try:
                found = used_names(ast.parse(text)) & mentioned
            except SyntaxError:  # cannot happen after the symbol table took it; to be sure
                return UNSURE
            used |= found
            mentioned -= found
    return drop_imports(source, [(0, header)], used | (exported or set()))


def _piece_starts(source: str, lines: list[str]) -> list[int]:
    """0, the end of the header, then about every `_PIECE_LINES` lines, before a top-level def.

    A start is a line that begins a def, class or decorator after a blank
    line. One inside a string or brackets leaves the piece before it
    unparsable (it ends inside that string or bracket), and then the whole
    tree decides; when every piece parses, each one started where the whole
    module is at its top level, so together they are its statements.
    """
    starts = [0]
    number, offset = 0, 0
    for found in _TOP_LEVEL_LINE.finditer(source):  # line `number` starts at `offset`
        number += source.count("\n", offset, found.start() + 1)
        offset = found.start() + 1
        if (
            number
            and not lines[number - 1].strip()
            and (len(starts) == 1 or number - starts[-1] >= _PIECE_LINES)
        ):
            starts.append(number)
    if len(starts) == 1:
        starts.append(len(lines))  # no def or class: all header
    return starts


def _late_all(lines: list[str], cut: int) -> object:
    """The names of an `__all__` assigned after the header, None without one, or UNSURE.

    UNSURE too when the rest of the module mentions `import`, or `__all__` on
    more than one line.
    """
    rest = "\n".join(lines[cut:])
    # The usual case: neither word in the text (a substring test is ~100x faster than
    # the pattern, which tries every line); else the pattern decides, as before.
    if ("import" not in rest and "__all__" not in rest) or _LATE.search(rest) is None:
        return None
    found = [i for i in range(cut, len(lines)) if _LATE.match(lines[i])]
    start = found[0]
    if len(found) > 1 or not lines[start].startswith("__all__ ="):
        return UNSURE
    for end in range(start, len(lines)):  # the statement ends on a line that starts unindented
        if end == start or (lines[end][:1].strip() and not lines[end].startswith("#")):
            try:
                return all_names(ast.parse("\n".join(lines[start : end + 1])))
            except SyntaxError:
                continue
    return UNSURE


def _whole_words(names: set[str], text: str) -> set[str]:
    """`names & set(_WORD.findall(text))`: the names some `\\w+` run of `text` equals.

    Without listing every word of the text (~4 ms for 180 KB): a name is found where it
    occurs with no word character on either side, which is what such a run is.
    """
    found: set[str] = set()
    for name in names:
        if not _WORD.fullmatch(name):
            continue  # no run of word characters equals it
        size, start = len(text), text.find(name)
        while start != -1:
            end = start + len(name)
            if not (start and _word_character(text[start - 1])) and not (
                end < size and _word_character(text[end])
            ):
                found.add(name)
                break
            start = text.find(name, start + 1)
    return found


def _as_names(text: str) -> str:
    """`text` as Python reads its names: NFKC-normalised (`ast` and the symbol table
    give the imports' names so, and a quoted annotation is read so when evaluated)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _word_character(character: str) -> bool:
    """What `\\w` matches in a str pattern: Unicode letters and digits (`isalnum`), and `_`."""
    return character.isalnum() or character == "_"


def _read_somewhere(top: Any) -> set[str]:
    """Every name some scope of the symbol table reads (a `Name` load)."""
    read: set[str] = set()
    todo = [top]
    while todo:
        table = todo.pop()
        read.update(name for name, flags in table.symbols.items() if flags & _symtable.USE)
        todo.extend(table.children)
    return read
