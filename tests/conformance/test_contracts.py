"""Every store class implements its contract and names its model and table."""

from __future__ import annotations

import inspect

import pytest

from generated import contracts, models
from generated.contracts import BaseTable

from .harness import STORE_CLASS_NAMES, BackendHarness
from .support import TABLE_CASES, TableCase, case_id


def test_the_cases_cover_every_model_and_store(harness: BackendHarness) -> None:
    stores = {case.store for case in TABLE_CASES}
    assert stores == set(STORE_CLASS_NAMES.values())
    query_rows = {name for name in models.__all__ if name.endswith("Row")}  # named queries' rows
    assert {case.model.__name__ for case in TABLE_CASES} == set(models.__all__) - {
        "AuditFields",
        *query_rows,
    }
    module = harness.load_module()
    assert stores <= set(module.__all__)


def contract_of(harness: BackendHarness, case: TableCase) -> tuple[type, type]:
    """(the case's contract, BaseTable) for the harness: the sync ones for sync stores."""
    if not harness.sync:
        return case.contract, BaseTable
    from generated import sync_contracts

    return getattr(sync_contracts, case.contract.__name__), sync_contracts.BaseTable


@pytest.mark.parametrize("case", TABLE_CASES, ids=case_id)
def test_store_class_shape(harness: BackendHarness, case: TableCase) -> None:
    store_cls = getattr(harness.real_module(), case.store)
    contract, base = contract_of(harness, case)
    assert store_cls.model is case.model
    assert store_cls.table == case.table
    assert issubclass(store_cls, contract)
    assert issubclass(contract, base)
    assert case.contract.__name__ in contracts.__all__
    assert not inspect.isabstract(store_cls)


@pytest.mark.parametrize("case", TABLE_CASES, ids=case_id)
def test_store_signatures_match_the_contract(harness: BackendHarness, case: TableCase) -> None:
    """Same parameters (names, kinds, defaults) as the contract, for every contract method."""
    store_cls = getattr(harness.real_module(), case.store)
    contract, _ = contract_of(harness, case)
    methods = [name for name, _ in inspect.getmembers(contract, inspect.isfunction)]
    assert {"insert", "count_all", "list_all", f"get_by_{case.pk}"} <= set(methods)
    for name in methods:
        if name.startswith("_"):
            continue
        want = inspect.signature(getattr(contract, name))
        got = inspect.signature(getattr(store_cls, name))
        assert inspect.iscoroutinefunction(getattr(store_cls, name)) is not harness.sync, name
        assert inspect.iscoroutinefunction(getattr(contract, name)) is not harness.sync, name
        assert [(p.name, p.kind, p.default) for p in got.parameters.values()] == [
            (p.name, p.kind, p.default) for p in want.parameters.values()
        ], f"{case.store}.{name}"
