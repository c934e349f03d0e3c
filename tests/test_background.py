"""generator/background.py: work done in a forked child can never change an outcome."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from storegen import load_schema
from storegen.background import Background
from storegen.config import load_options
from storegen.errors import SchemaError
from storegen.schema.ir import Location
from tests.test_golden import case_options, discover_cases

ROOT = Path(__file__).resolve().parent.parent


def test_result_is_computed_in_a_child_process() -> None:
    with Background(os.getpid) as job:
        assert job.result() != os.getpid()


@pytest.mark.parametrize("project", [ROOT, *discover_cases()], ids=lambda p: p.name)
def test_schema_from_the_child_equals_the_schema_parsed_here(project: Path) -> None:
    """Every golden (error cases too) and the repo's schema cross the pipe unchanged."""
    options = load_options(None, ROOT) if project == ROOT else case_options(project)
    try:
        here = load_schema(options)
    except SchemaError as error:  # an error golden: the child must raise the same
        with pytest.raises(SchemaError) as raised, Background(load_schema, options) as job:
            job.result()
        assert (str(raised.value), raised.value.location) == (str(error), error.location)
        return
    with Background(load_schema, options) as job:
        assert job.result() == here


def _refuse(line: int) -> None:
    raise SchemaError("no such table: t", Location("schema.sql", line, 7))


def test_a_storegen_error_in_the_child_is_raised_here_unchanged() -> None:
    with pytest.raises(SchemaError) as raised, Background(_refuse, 3) as job:
        job.result()
    assert str(raised.value) == "schema.sql:3:7: no such table: t"
    assert raised.value.location == Location("schema.sql", 3, 7)
    assert raised.value.message == "no such table: t"


def _fails_elsewhere(parent: int) -> int:
    if os.getpid() != parent:
        raise RuntimeError("a bug, in the child only")
    return parent


def test_any_other_failure_in_the_child_is_computed_here() -> None:
    """A bug shows its real traceback from this process, never a pickled copy."""
    with Background(_fails_elsewhere, os.getpid()) as job:
        assert job.result() == os.getpid()


def test_an_unpicklable_result_is_computed_here() -> None:
    with Background(lambda: (os.getpid(), threading.Lock())) as job:
        pid, _ = job.result()
    assert pid == os.getpid()


def test_close_stops_a_child_nobody_waits_for() -> None:
    started = time.perf_counter()
    job = Background(time.sleep, 30)
    child = job._pid
    job.close()
    assert time.perf_counter() - started < 5
    assert child is not None
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(child, os.WNOHANG)


def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with Background(os.getpid) as job:
            assert job.result() == os.getpid()
    finally:
        stop.set()
        thread.join()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parse runs in this process without fork")
def test_generating_for_sqlite_leaves_sqlglot_to_the_child(tmp_path: Path) -> None:
    """The point of the child: this process renders without ever importing sqlglot."""
    project = tmp_path / "project"
    project.mkdir()
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
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from storegen import generate\n"
        "from storegen.config import load_options\n"
        "files = generate(load_options(None, Path.cwd()), cache=False).files\n"
        "assert 'async def note_by_body' in files['_stores.py']\n"
        "print('sqlglot' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False", done.stderr
