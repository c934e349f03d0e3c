"""generator/background.py: work done in a forked child can never change an outcome."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from storegen.background import Background
from tests.test_golden import REPO

# tests/forked_checks.py, each in a fresh interpreter (see its docstring).
FORKED_CHECKS = [
    "result_is_computed_in_a_child_process",
    "every_schema_crosses_the_pipe_unchanged",
    "a_storegen_error_in_the_child_is_raised_here_unchanged",
    "any_other_failure_in_the_child_is_computed_here",
    "an_unpicklable_result_is_computed_here",
    "close_stops_a_child_nobody_waits_for",
    "a_child_closed_later_is_reaped_by_reap",
    "reap_without_waiting_keeps_a_running_child_for_later",
    "close_later_still_stops_a_child_nobody_waits_for",
    "generate_leaves_no_child_behind",
    "the_command_reaps_what_generation_left_exiting",
    "generating_for_sqlite_leaves_sqlglot_to_the_child",
    "the_first_background_takes_the_spare",
    "a_spare_whose_warm_up_fails_still_does_its_job",
    "work_that_does_not_pickle_forks_as_without_a_spare",
    "a_job_too_large_for_the_pipe_forks_as_without_a_spare",
    "a_large_job_goes_to_the_spare_without_waiting_for_its_warm_up",
    "a_spare_that_died_leaves_the_work_to_this_process",
    "discard_stops_a_spare_nobody_took",
    "a_spare_exits_when_the_command_is_gone",
    "the_command_generates_the_same_package_through_the_spare",
    "the_spare_parses_without_loading_importlib_metadata",
    "the_spare_defers_sqlglot_diff_and_difflib",
    "generate_sends_the_parsing_child_plain_text",
    "the_spare_parses_plain_text_without_config_or_pathlib",
]


def run_forked_check(name: str) -> None:
    """Run tests/forked_checks.py's `name` in a fresh interpreter; fail with its traceback."""
    done = subprocess.run(
        [sys.executable, "-c", f"from tests.forked_checks import {name}; {name}()"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"{name}:\n{done.stderr}"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="without fork the work runs in this process")
@pytest.mark.parametrize("name", FORKED_CHECKS)
def test_forked(name: str) -> None:
    run_forked_check(name)


def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with Background(os.getpid) as job:
            assert job._pid is None
            assert job.result() == os.getpid()
    finally:
        stop.set()
        thread.join()
