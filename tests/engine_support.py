"""Helpers shared by the SQLite engine tests (test_engine.py, test_inline_writes.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from generated._runtime.sqlite import SqliteDatabase


def count_hops(db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the calls that go through the worker thread (`_run`)."""
    calls: list[int] = []
    real = db._run

    async def counting(fn: Callable[[sqlite3.Connection], Any], kind: int = 0) -> Any:
        calls.append(1)
        return await real(fn, kind)

    monkeypatch.setattr(db, "_run", counting)
    return calls
