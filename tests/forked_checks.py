"""Checks of generator/background.py that need this process to fork.

`Background` forks only when no other thread runs, and a long pytest session
has threads left by earlier tests, so tests/test_background.py runs each
function here in a fresh interpreter (`python -c`), where a failed assert is
a non-zero exit with its traceback.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from storegen import load_schema
from storegen.background import Background
from storegen.config import load_options
from storegen.errors import SchemaError
from storegen.schema.ir import Location
from tests.test_golden import REPO, case_options, discover_cases


def _forked(job: Background[Any]) -> Background[Any]:
    assert job._pid is not None, "this check needs a fork (another thread running?)"
    return job


def result_is_computed_in_a_child_process() -> None:
    with _forked(Background(os.getpid)) as job:
        assert job.result() != os.getpid()


def every_schema_crosses_the_pipe_unchanged() -> None:
    """Every golden (its error too) and the repo's schema: the child's equals this one's."""
    for project in [REPO, *discover_cases()]:
        options = load_options(None, REPO) if project == REPO else case_options(project)
        try:
            here = load_schema(options)
        except SchemaError as error:
            with _forked(Background(load_schema, options)) as job:
                try:
                    job.result()
                except SchemaError as raised:
                    assert (str(raised), raised.location) == (str(error), error.location)
                else:
                    raise AssertionError(f"{project.name}: the child's schema raised nothing")
            continue
        with _forked(Background(load_schema, options)) as job:
            assert job.result() == here, project.name


def _refuse(line: int) -> None:
    raise SchemaError("no such table: t", Location("schema.sql", line, 7))


def a_storegen_error_in_the_child_is_raised_here_unchanged() -> None:
    with _forked(Background(_refuse, 3)) as job:
        try:
            job.result()
        except SchemaError as raised:
            assert str(raised) == "schema.sql:3:7: no such table: t"
            assert raised.location == Location("schema.sql", 3, 7)
            assert raised.message == "no such table: t"
        else:
            raise AssertionError("no SchemaError")


def _fails_elsewhere(parent: int) -> int:
    if os.getpid() != parent:
        raise RuntimeError("a bug, in the child only")
    return parent


def any_other_failure_in_the_child_is_computed_here() -> None:
    """A bug shows its real traceback from this process, never a pickled copy."""
    with _forked(Background(_fails_elsewhere, os.getpid())) as job:
        assert job.result() == os.getpid()


def an_unpicklable_result_is_computed_here() -> None:
    with _forked(Background(lambda: (os.getpid(), threading.Lock()))) as job:
        pid, _ = job.result()
    assert pid == os.getpid()


def close_stops_a_child_nobody_waits_for() -> None:
    started = time.perf_counter()
    job = _forked(Background(time.sleep, 30))
    child = job._pid
    job.close()
    assert time.perf_counter() - started < 5
    assert child is not None
    try:
        os.waitpid(child, os.WNOHANG)
    except ChildProcessError:
        return  # reaped: no zombie left behind
    raise AssertionError("the child was not reaped")


def generating_for_sqlite_leaves_sqlglot_to_the_child() -> None:
    """The point of the child: this process renders without ever importing sqlglot."""
    from storegen import generate

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "schema.sql").write_text(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n", "utf-8"
        )
        (project / "queries.sql").write_text(
            "-- name: note_by_body :one\nSELECT * FROM notes WHERE body = :body;\n", "utf-8"
        )
        (project / "pyproject.toml").write_text(
            '[tool.storegen]\nschema = ["schema.sql"]\nqueries = ["queries.sql"]\n'
            'out = "out"\npackage = "out"\nbackends = ["aiosqlite", "sqlite3"]\n',
            "utf-8",
        )
        files = generate(load_options(None, project), cache=False).files
    assert "async def note_by_body" in files["_stores.py"]
    assert "sqlglot" not in sys.modules


def finishing_in_children_gives_the_same_package() -> None:
    """Finished in child processes (the largest common files as soon as they are
    rendered) or all in this process: the same bytes."""
    import storegen
    import storegen.output.finish as finish

    options = load_options(None, REPO)
    finish.PARALLEL_MIN_BYTES = 10**12
    inline = storegen.generate(options, cache=False).files
    started: list[set[str]] = []
    real_start = finish.start_early

    def start(sources: dict[str, tuple[str, str]], **kwargs: Any) -> finish.Early | None:
        early = real_start(sources, **kwargs)
        if early is not None:
            for _, child in early.children:
                _forked(child)
            started.append(early.names)
        return early

    finish.PARALLEL_MIN_BYTES = 1
    storegen.start_early = start  # type: ignore[attr-defined]
    assert storegen.generate(options, cache=False).files == inline
    assert started and "_stores.py" in started[0], "the largest files should have started early"
