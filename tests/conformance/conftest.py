"""Fixtures of the conformance suite: every test runs once per backend harness.

harness  the BackendHarness under test (parametrised over HARNESSES)
db       a fresh, empty database of that backend, schema created
stores   every store class of the backend, bound to `db` (a `Stores`)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from .harness import HARNESSES, BackendContext, BackendHarness, Database, Stores


@pytest.fixture(params=HARNESSES, ids=lambda h: h.name)
def harness(request: pytest.FixtureRequest) -> BackendHarness:
    param: BackendHarness = request.param
    return param


@pytest_asyncio.fixture
async def db(
    harness: BackendHarness, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Database]:
    async with harness.open_database(BackendContext(tmp_path, request)) as opened:
        yield opened


@pytest.fixture
def stores(harness: BackendHarness, db: Database) -> Stores:
    return Stores.bind(harness.load_module(), db)
