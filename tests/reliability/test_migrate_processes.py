"""Migrations under crashes and concurrent starts, with real processes, on every backend.

* Crash: a child process runs `apply_migrations` (a rebuild of a 100,000-row
  parent with 10,000 cascading children) and is SIGKILLed at a random point
  inside the migration's measured duration. Afterwards the database is
  wholly at v1 or wholly at v2 (records, columns, every row, no leftover
  table, integrity and foreign keys clean), and a second migrate completes.
* Concurrency: 4 processes call `apply_migrations` at the same moment (they
  wait for a file to appear). Each migration is applied exactly once over
  all four, and the database ends at v2: from an empty database on every
  backend, and over the 100,000-row rebuild on an SQLite file.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ._support import FIGURES, REPO

from big_migrations import big_migrations, fill, version  # noqa: E402
from migrate_support import KINDS, fresh_database, migrations, url_of  # noqa: E402
from storegen.runtime.migrate import apply_migrations, schema_drift  # noqa: E402

WORKER = Path(__file__).with_name("_migrate_worker.py")
KILLS = 2
PROCESSES = 4

pytestmark = pytest.mark.parametrize("kind", KINDS)


def _spawn(url: str, steps: str, go_file: Path | None = None) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")]),
    }
    argv = [sys.executable, str(WORKER), url, steps]
    if go_file is not None:
        argv.append(str(go_file))
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _expect(child: subprocess.Popen[str], word: str) -> None:
    """Read the child's next line: "ready" (connected) or "go" (migrating now)."""
    assert child.stdout is not None
    line = child.stdout.readline()
    if line.strip() != word:
        child.kill()
        _, err = child.communicate(timeout=30)
        raise AssertionError(f"worker said {line!r}, not {word!r}: {err}")


async def _clean(db: Any) -> None:
    if db.sql_dialect == "sqlite":
        assert await db.fetch_all("PRAGMA integrity_check", ()) == [("ok",)]
        assert await db.fetch_all("PRAGMA foreign_key_check", ()) == []


async def _v1_database(kind: str, request: Any, tmp_path: Path, name: str) -> Any:
    (tmp_path / name).mkdir()
    context = fresh_database(kind, request, tmp_path / name)
    db = await context.__aenter__()
    await apply_migrations(db, big_migrations(db)[:1])
    await fill(db)
    return context, db


async def test_sigkill_mid_rebuild_leaves_v1_or_v2(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # The migration's duration, measured on a twin database in this process.
    twin_context, twin = await _v1_database(kind, request, tmp_path, "twin")
    try:
        started = time.perf_counter()
        assert await apply_migrations(twin, big_migrations(twin)) == ["0002_rebuild_parent"]
        duration = time.perf_counter() - started
    finally:
        await twin_context.__aexit__(None, None, None)
    context, db = await _v1_database(kind, request, tmp_path, "victim")
    try:
        outcomes = []
        rng = random.Random(12)
        for _ in range(KILLS):
            child = _spawn(url_of(db), "big")
            _expect(child, "ready")
            _expect(child, "go")
            time.sleep(rng.uniform(0.1, 0.8) * duration)
            os.kill(child.pid, signal.SIGKILL)
            child.communicate(timeout=60)
            assert child.returncode == -signal.SIGKILL
            outcomes.append(await version(db))
            await _clean(db)
            if outcomes[-1] == "v2":
                break
        assert "v1" in outcomes, f"no kill landed inside the migration: {outcomes}"
        await apply_migrations(db, big_migrations(db))
        assert await version(db) == "v2"
        await _clean(db)
        FIGURES[f"migrate crash {kind}"] = (
            f"rebuild of {100_000} rows took {duration:.2f}s; kills -> {outcomes}"
        )
    finally:
        await context.__aexit__(None, None, None)


@pytest.mark.parametrize("plan", ["empty", "big"])
async def test_four_processes_migrate_at_once(
    kind: str, plan: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if plan == "big" and kind != "sqlite":
        pytest.skip(
            "bounded run time: the 100k-row race runs on SQLite; every backend races from empty"
        )
    if plan == "big":
        context, db = await _v1_database(kind, request, tmp_path, "db")
        steps, expected = "big", ["0002_rebuild_parent"]
    else:
        context = fresh_database(kind, request, tmp_path)
        db = await context.__aenter__()
        steps = "initial,rebuild,add_column"
        expected = [m.name for m in migrations(db, *steps.split(","))]
    try:
        go = tmp_path / "go"
        children = [_spawn(url_of(db), steps, go) for _ in range(PROCESSES)]
        for child in children:
            _expect(child, "ready")  # connected, polling for the file
        go.touch()
        results = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        assert all("applied" in r for r in results), results
        applied = sorted(name for r in results for name in r["applied"])
        assert applied == expected, results
        rows = await db.fetch_all("SELECT name FROM storegen_migrations ORDER BY name", ())
        if plan == "big":
            assert await version(db) == "v2"
        else:
            assert [str(n) for (n,) in rows] == expected
            texts = migrations(db, "initial", "rebuild", "add_column")
            assert await schema_drift(db, "".join(m.sql for m in texts)) == []
        await _clean(db)
    finally:
        await context.__aexit__(None, None, None)
