"""One SyncSqliteDatabase shared by threads, closed or reopened while they read.

Four threads read in a loop (a point read, a read of many rows, a list) while
another writes, and a third either replaces the database file again and
again (the writer notices and reopens: every idle reader is closed) or
calls `db.close()` again and again. Closing a sqlite3 connection in the
middle of another thread's `execute` crashed the interpreter (SIGSEGV), so
each run is a child process (`_sync_race_child.py`): a crash fails the test
instead of killing pytest. After ~2 s: no crash, no hang, every read of the
seed rows right, no read or write failed (a read racing a replace runs on the
old file or, once more, on the new one), no write lost that was acknowledged
after the last swap (all of them under close()), `PRAGMA integrity_check` ok.
The same for the async engine shared by threads that each run an event loop:
no crash (it died of SIGBUS, 1 run in ~11, when a new connection truncated
the old -shm: see test_replaced_file.py), no hang, and no call failed: a call
racing another loop's close or reopen runs on the old connection or the new
one ("Cannot operate on a closed database" reached callers), and loops that
notice a replacement at once open one writer ("database is locked" waits).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ._support import FIGURES, REPO

# Both ways of noticing a replaced file (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("file_watch")

SECONDS = 2.0  # per run; the child stops its threads itself (a hang guard below)


def run_child(mode: str, directory: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONFAULTHANDLER": "1"}
    child = subprocess.run(
        [sys.executable, "-m", "tests.reliability._sync_race_child", mode, str(SECONDS), str(directory)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert child.returncode == 0, f"child exited {child.returncode}:\n{child.stderr[-3000:]}"
    report: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize("mode", ["close", "replace"])
def test_readers_survive_close_and_reopen_by_other_threads(mode: str, tmp_path: Path) -> None:
    report = run_child(mode, tmp_path)
    FIGURES[f"sync reader race ({mode}): reads"] += int(str(report["reads"]))
    FIGURES[f"sync reader race ({mode}): closes or swaps"] += int(str(report["events"]))
    assert report["hung"] == 0
    assert report["integrity"] == "ok"
    assert report["write_errors"] == []
    assert int(str(report["reads"])) > 100 and int(str(report["events"])) > 5
    assert int(str(report["acked"])) > 0 and report["lost"] == 0
    assert report["read_errors"] == [], report


@pytest.mark.parametrize("mode", ["async-close", "async-replace"])
def test_async_inline_readers_survive_close_and_reopen_on_another_loop(
    mode: str, tmp_path: Path
) -> None:
    # The async engine, shared by threads that each run an event loop: one loop's
    # close() (or reopen) closed the other loops' inline readers mid-read: SIGSEGV.
    report = run_child(mode, tmp_path)
    FIGURES[f"async reader race ({mode}): reads"] += int(str(report["reads"]))
    assert report["hung"] == 0 and report["integrity"] == "ok"
    assert int(str(report["reads"])) > 100 and int(str(report["events"])) >= 3
    assert report["errors"] == [], report
