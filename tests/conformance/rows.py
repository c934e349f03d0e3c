"""Model helpers that work for either flavour the generator writes.

The suite runs on the committed dataclass models and, through
tests/test_pydantic_models.py, on the same schema generated with
`models = "pydantic"`: tests copy and introspect rows only through these.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def replace(row: T, **changes: Any) -> T:
    """A copy of `row` with `changes`: `dataclasses.replace`, or pydantic's `model_copy`.

    Neither validates the changed values, so a test may still build a row
    the database must refuse.
    """
    if dataclasses.is_dataclass(row):
        return dataclasses.replace(row, **changes)  # type: ignore[type-var]
    copied: T = row.model_copy(update=changes)  # type: ignore[attr-defined]
    return copied


def field_names(model: type) -> list[str]:
    """The model's fields, in declaration order (inherited ones first)."""
    if dataclasses.is_dataclass(model):
        return [f.name for f in dataclasses.fields(model)]
    return list(model.model_fields)  # type: ignore[attr-defined]
