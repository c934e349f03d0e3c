"""generator/output/symbols.py: its shortcuts answer as the patterns they stand for."""

from __future__ import annotations

import re

import pytest

from storegen.output import symbols
from tests.test_golden import REPO

_WORD = re.compile(r"\w+")
_LATE = re.compile(r"^[^#\n]*\b(?:import|__all__)\b", re.MULTILINE)

TEXTS = [
    "",
    "Any",
    "x: Any = 1",
    "AnyStr and _Any and Any_ and Any1 but not Any",
    "only AnyStr here, and anyAny",
    "déjàAny Anyé",  # non-ASCII letters are word characters: no Any here
    "déjàAny Anyé Any·x",  # the middle dot is not one
    "t.t tt t_ _t (t)",
    "# a comment that says import\n",
    "x = 1  # import\nimported = 2\n__all__x = 3\n",
    "    import os\n",
    '__all__ = ["a"]\n',
    *(path.read_text(encoding="utf-8") for path in sorted((REPO / "generated").glob("*.py"))),
]
NAMES = {
    "Any",
    "t",
    "x",
    "os",
    "__all__",
    "Anyé",
    "imported",
    "a",
    "",
    "a.b",
    "Literal",
    "_runtime",
}


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_whole_words_are_the_words_findall_lists(text: str) -> None:
    assert symbols._whole_words(NAMES, text) == NAMES & set(_WORD.findall(text))
    for name in NAMES:
        assert symbols._whole_words({name}, text) == {name} & set(_WORD.findall(text))


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_late_all_decides_as_the_pattern_alone(text: str) -> None:
    """`_late_all` skips the pattern when neither word is in the text: same answers."""
    lines = ["from __future__ import annotations", "", *text.split("\n")]
    found = symbols._late_all(lines, 2)
    if _LATE.search(text) is None:
        assert found is None
    else:
        assert found is not None


HEADER = "from __future__ import annotations\n\n"


@pytest.mark.parametrize(
    ("imported", "annotation"),
    [
        ("cafe\u0301", "cafe\u0301"),  # a combining accent: Python reads café
        ("\ufb01le", "\ufb01le"),  # a ligature: Python reads file
        ("caf\u00e9", "cafe\u0301"),  # two spellings of one name
    ],
    ids=["combining", "ligature", "mixed"],
)
def test_an_import_named_in_a_non_nfkc_spelling_and_used_only_quoted_is_kept(
    imported: str, annotation: str
) -> None:
    """Python reads names NFKC-normalised; the search for quoted uses must too."""
    source = f"{HEADER}from m import {imported}, unused\n\n\ndef f(x: '{annotation}') -> None:\n    pass\n"
    pruned = symbols.fast_prune(source, prunable=True, private=True)
    assert isinstance(pruned, str)
    # kept (in the spelling Python reads, which is the same name), `unused` dropped
    assert "\nfrom m import " in pruned and "unused" not in pruned, pruned


@pytest.mark.parametrize("name", ["नमस्ते", "x\u0301"], ids=["devanagari", "combining-mark"])
def test_an_import_whose_name_has_combining_marks_goes_to_the_whole_tree(name: str) -> None:
    """`\\w` never spans a combining mark that NFKC keeps apart, so the word search
    cannot look such a name up: the whole syntax tree decides (it keeps the import)."""
    source = f"{HEADER}from m import {name}, unused\n\n\ndef f(x: '{name}') -> None:\n    pass\n"
    assert symbols.fast_prune(source, prunable=True, private=True) is symbols.UNSURE
