"""Processes that start together on a new database file all open it.

Each opener reads the new file's header, then asks for the exclusive lock that
`PRAGMA journal_mode=WAL` needs; SQLite answers all but one SQLITE_BUSY at
once, without its busy handler, so before `_switch_to_wal` some of them failed
with "database is locked" in spite of a 5 s busy timeout (32 of 400 opens).
Real processes on a real file, released together by a shared start time.
"""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.queues import Queue
from pathlib import Path

from generated._runtime.sqlite_files import open_writer

PROCESSES, ROUNDS = 4, 25


def _open_at(path: str, start: float, answers: Queue[str]) -> None:
    while time.time() < start:  # every opener released at the same instant
        pass
    try:
        conn, wal, _ = open_writer(path, 5000, "FULL")
        conn.close()
        answers.put("wal" if wal else "no wal")
    except Exception as exc:  # the answer is the test's verdict
        answers.put(repr(exc))


def test_processes_opening_a_new_file_together_all_get_a_wal_writer(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    outcomes: list[str] = []
    for round_ in range(ROUNDS):
        path = str(tmp_path / f"new{round_}.db")
        answers: Queue[str] = context.Queue()
        start = time.time() + 0.05
        openers = [
            context.Process(target=_open_at, args=(path, start, answers)) for _ in range(PROCESSES)
        ]
        for opener in openers:
            opener.start()
        outcomes += [answers.get(timeout=30) for _ in openers]
        for opener in openers:
            opener.join(timeout=30)
    failed = [outcome for outcome in outcomes if outcome != "wal"]
    assert failed == [], f"{len(failed)} of {len(outcomes)} opens: {sorted(set(failed))}"
