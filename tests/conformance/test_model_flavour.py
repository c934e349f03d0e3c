"""The suite runs on the model flavour it is told to test.

tests/test_pydantic_models.py runs this package again on a `models =
"pydantic"` generation and sets STOREGEN_CONFORMANCE_MODELS=pydantic: this
test fails if that run picked up the committed dataclass package instead.
"""

from __future__ import annotations

import dataclasses
import os

from generated import models

from .support import TABLE_CASES


def test_model_flavour_under_test() -> None:
    expected = os.environ.get("STOREGEN_CONFORMANCE_MODELS", "dataclass")
    flavours = {
        "pydantic" if not dataclasses.is_dataclass(case.model) else "dataclass"
        for case in TABLE_CASES
    }
    assert flavours == {expected}
    assert all(getattr(models, case.model.__name__) is case.model for case in TABLE_CASES)
