"""The sync SQLite engine when something fails: a write reported failed never runs,
close() after a replace leaves no stale WAL, close() inside a transaction, and a
failed read is retried only when the file was replaced under it.

Real files on disk; other threads stand for the application's other threads.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from generated._runtime.sqlite_sync import SyncSqliteDatabase


def swap_in(path: Path, content: bytes | None = None) -> None:
    """Atomically replace the file at `path`: a fresh database, or `content`."""
    fresh = path.with_name(path.name + ".new")
    if content is None:
        made = sqlite3.connect(fresh)
        made.execute("CREATE TABLE t (v TEXT)")
        made.commit()
        made.close()
    else:
        fresh.write_bytes(content)
    os.replace(fresh, path)


def rows(path: Path) -> list[str]:
    check = sqlite3.connect(path)
    try:
        return [row[0] for row in check.execute("SELECT v FROM t ORDER BY rowid")]
    finally:
        check.close()


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def test_a_queued_write_reported_failed_never_runs_later(tmp_path: Path) -> None:
    """Its turn comes while the writer cannot open (a bad file at the path): its
    caller is told it failed, and no later caller runs it (no ghost write)."""
    path = tmp_path / "app.db"
    swap_in(path)
    db = SyncSqliteDatabase(path)
    db.execute("INSERT INTO t VALUES ('first')", ())
    holding, release = threading.Event(), threading.Event()
    told: list[str] = []

    def hold() -> None:  # another thread's transaction holds the writer
        with db.transaction():
            holding.set()
            release.wait(10)

    def write() -> None:
        try:
            db.execute("INSERT INTO t VALUES ('ghost')", ())
            told.append("ok")
        except sqlite3.DatabaseError as exc:
            told.append(f"failed: {exc}")

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    writer = threading.Thread(target=write)
    writer.start()
    wait_until(lambda: len(db._queue) == 1, "the write is queued")
    swap_in(path, b"this is not a database" * 300)
    release.set()
    holder.join(10)
    writer.join(10)
    assert told == ["failed: file is not a database"]
    assert not db._queue
    swap_in(path)  # the operator puts a good file back
    db.execute("INSERT INTO t VALUES ('later')", ())
    assert rows(path) == ["later"]
    db.close()
