"""Python names for tables and columns: classes, attributes and methods.

Rules are data (irregular plurals, acronyms) so they read in one glance and
can be extended from config without touching code.
"""

from __future__ import annotations

import keyword
import re

_IRREGULAR_PLURALS = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "mice": "mouse",
    "geese": "goose",
    "data": "data",
    "metadata": "metadata",
    "series": "series",
    "species": "species",
    "news": "news",
    "indices": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "analyses": "analysis",
    "criteria": "criterion",
}

# Suffix rewrites, tried in order: (plural ending, singular ending).
_PLURAL_SUFFIXES = (
    ("ies", "y"),
    ("sses", "ss"),
    ("shes", "sh"),
    ("ches", "ch"),
    ("xes", "x"),
    ("zzes", "z"),
    ("uses", "us"),
    ("oes", "o"),
)

# Words ending in "s" that are already singular.
_SINGULAR_S_ENDINGS = ("ss", "us", "is", "os")

# Attribute names that would shadow something the generated classes rely on: a
# dataclass field named `str` or `datetime` hides the type in later annotations,
# and one named `field` hides `dataclasses.field` from later secret fields.
_RESERVED_ATTRIBUTES = frozenset(
    {"model", "table", "self", "cls"}
    | {"int", "str", "float", "bytes", "bool", "datetime", "field", "dataclass"}
)


def singularize(word: str) -> str:
    """Return the singular form of an English plural noun (lower case)."""
    lower = word.lower()
    if lower in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[lower]
    for plural, singular in _PLURAL_SUFFIXES:
        if lower.endswith(plural) and len(lower) > len(plural):
            return lower[: -len(plural)] + singular
    if lower.endswith("s") and not lower.endswith(_SINGULAR_S_ENDINGS) and len(lower) > 1:
        return lower[:-1]
    return lower


# Compiled at import, which a generation does while the schema is parsed, not on the
# first name of the view (~0.1 ms on the path after the schema).
_CAMEL_HUMP = re.compile(r"([a-z0-9])([A-Z])")
_WORD_BREAK = re.compile(r"[^A-Za-z0-9]+")


def split_words(name: str) -> list[str]:
    """Split snake_case, kebab-case, spaced and camelCase names into words."""
    spaced = _CAMEL_HUMP.sub(r"\1 \2", name)
    return [w for w in _WORD_BREAK.split(spaced) if w]


def class_name(table_name: str, acronyms: tuple[str, ...] = ()) -> str:
    """Singular PascalCase class name: ``oauth_clients`` → ``OAuthClient``."""
    words = split_words(table_name)
    if not words:
        return "Table"
    words[-1] = singularize(words[-1])
    spelled = {a.lower(): a for a in acronyms}
    name = "".join(spelled.get(w.lower(), w[:1].upper() + w[1:].lower()) for w in words)
    name = name if name[0].isalpha() else f"T{name}"
    # `None`, `True` and `False` are the capitalised keywords: `class None:` is a SyntaxError.
    return f"{name}_" if keyword.iskeyword(name) else name


def attribute_name(column_name: str) -> str:
    """A valid, keyword-safe snake_case attribute: ``class`` → ``class_``."""
    words = split_words(column_name)
    name = "_".join(w.lower() for w in words) or "column"
    if name[0].isdigit():
        name = f"c_{name}"
    if keyword.iskeyword(name) or name in _RESERVED_ATTRIBUTES:
        name = f"{name}_"
    return name


def constant_name(*parts: str) -> str:
    """An UPPER_SNAKE module constant built from name parts."""
    return "_".join(attribute_name(p).strip("_").upper() for p in parts if p)


def method_suffix(attributes: tuple[str, ...]) -> str:
    """``("client_id", "user_id")`` → ``client_id_and_user_id``."""
    return "_and_".join(a.rstrip("_") for a in attributes)
