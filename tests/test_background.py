"""generator/background.py: work done in a forked child can never change an outcome."""

from __future__ import annotations

import os
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
