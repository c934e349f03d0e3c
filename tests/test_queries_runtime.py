"""The query_features golden package runs: every query kind, codec and row class.

The committed golden output (plus the runtime helpers the generator adds for
it, which goldens do not pin) is imported as a package and driven on a real
SQLite file, so what the generator typed (a date parameter encoded to ISO
text, a bool decoded from 0/1, a LEFT JOIN column that is None) is what the
database actually hands back.
"""

from __future__ import annotations

import datetime
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_golden import GOLDEN, materialise_golden

CASE = GOLDEN / "query_features"


@pytest.fixture
def package(tmp_path: Path) -> Iterator[ModuleType]:
    materialise_golden(CASE, tmp_path / "qf_golden", tmp_path / "generation")
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("qf_golden")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "qf_golden" or m.startswith("qf_golden.")]:
            del sys.modules[name]


def ok(result: Any) -> Any:
    assert result.status is True, result
    return result.client_message


async def test_query_features_run(package: ModuleType, tmp_path: Path) -> None:
    stores = importlib.import_module("qf_golden.aiosqlite")
    db = stores.SqliteDatabase(str(tmp_path / "q.db"))
    try:
        await package.create_schema(db)
        projects, tasks = stores.ProjectStore(db), stores.TaskStore(db)
        alpha = ok(await projects.insert(package.Project(name="alpha"), "r"))
        beta = ok(await projects.insert(package.Project(name="beta", archived=True), "r"))
        day = datetime.date(2024, 5, 1)
        assert ok(await tasks.add_task(alpha.id, "write", day, "r")) is None
        assert ok(await tasks.add_task(alpha.id, "ship", None, "r")) is None
        first, second = ok(await tasks.open_tasks(alpha.id, 10, 0, "r"))
        assert (first.title, first.due, first.status) == ("write", day, "open")
        assert ok(await tasks.open_tasks(alpha.id, 1, 1, "r")) == [second]

        assert ok(await projects.find_project_by_name("alpha", "r")) == alpha
        missing = await projects.find_project_by_name("nope", "r")
        assert missing.status is False and missing.error_code.name == "NOT_FOUND"

        assert ok(await tasks.tasks_due("open", day, "r")) == [first]
        assert ok(await tasks.tasks_due("open", day - datetime.timedelta(days=1), "r")) == []
        assert ok(await tasks.count_open_tasks("r")) == 2
        assert ok(await tasks.latest_done_at(alpha.id, "r")) is None

        done = ok(await tasks.finish_task(1234, first.id, "r"))
        assert (done.status, done.done_at, done.due) == ("done", 1234, day)
        again = await tasks.finish_task(99, first.id, "r")
        assert again.status is False and again.error_code.name == "NOT_FOUND"
        assert ok(await tasks.latest_done_at(alpha.id, "r")) == 1234

        summaries = ok(await projects.project_summaries("r"))
        assert summaries == [
            package.ProjectSummariesRow(
                id=alpha.id,
                name="alpha",
                archived=False,
                tasks=2,
                total_estimate=None,
                first_due=day,
                any_title=summaries[0].any_title,
                last_done=1234,
                state="active",
            ),
            package.ProjectSummariesRow(
                id=beta.id,
                name="beta",
                archived=True,
                tasks=0,
                total_estimate=None,
                first_due=None,
                any_title=None,
                last_done=0,
                state="archived",
            ),
        ]
        assert summaries[0].any_title in ("write", "ship")
        with pytest.raises(AttributeError):  # frozen
            summaries[0].name = "x"

        assert ok(await projects.task_titles(alpha.id, "r")) == ["ship", "write"]
        assert ok(await projects.archive_project(True, alpha.id, "r")) == 1
        assert ok(await projects.archive_project(True, 999, "r")) == 0
        assert ok(await projects.get_by_id(alpha.id, "r")).archived is True

        ok(await tasks.update(package.Task(**{**_fields(second), "estimate": 3.5}), "r"))
        assert ok(await tasks.tasks_longer_than(2.0, "r")) == [
            package.TasksLongerThanRow(id=second.id, title="ship", estimate=3.5)
        ]
        assert ok(await tasks.tasks_longer_than(5.0, "r")) == []
    finally:
        await db.close()


def _fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__dataclass_fields__}
