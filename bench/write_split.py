"""Where a sync store's single write spends its time over inline sqlite3.

    python -m bench.write_split [--writes 2000] [--synchronous FULL,OFF]

`bench.sync_engine` gives the store's write rate against the floor; this
splits the difference, per call, with the approaches taking turns every 10
updates on files of their own (the access-token table, WAL):

  inline      the floor: hand-written sqlite3 (bench.sync_engine.Inline)
  inline_twin the floor again: how far identical code drifts in this run
  writer      the floor's code on the store's own writer connection
  inline_stat the floor plus one `os.stat` of the path, as the store checked
              the file is still the one it opened before each write
  inline_watch the floor plus the sync store's check now
              (`sqlite_watch.FileCheck.changed_alone`: one poll(0) of its
              inotify and mountinfo descriptors)
  sync_store  the generated store (`generated.sqlite3.AccessTokenStore`)

Printed: the median µs per `update` and its distance from the floor. Medians,
because under FULL a checkpoint now and then costs milliseconds, which the
rates of bench.sync_engine share out; here they would only hide the per-call
cost. Under FULL every write sleeps in an fsync, so what runs after it runs
on cold caches: the same `stat()` that costs ~1 µs back to back costs more.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.engine import token_row
from bench.sync_engine import Inline, SyncStore, _prepare
from generated import AccessToken
from generated._runtime.sqlite_files import identity
from generated._runtime.sqlite_watch import FileCheck, start_watch

APPROACHES = ("inline", "inline_twin", "writer", "inline_stat", "inline_watch", "sync_store")
CHUNK = 10  # updates per approach before the next takes its turn


class Writer(Inline):
    """The floor's code on the store's writer connection: is the connection slower?"""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.store = SyncStore(path, synchronous)
        self.conn = self.store.db._connection()

    def close(self) -> None:
        self.store.close()


class InlineStat(Inline):
    """The floor plus the store's per-write file check: what does the `stat()` cost?"""

    def __init__(self, path: Path, synchronous: str) -> None:
        super().__init__(path, synchronous)
        self.path = str(path)

    def update(self, row: AccessToken) -> AccessToken:
        os.stat(self.path)
        return super().update(row)


class InlineWatch(Inline):
    """The floor plus the store's per-write check through the kernel's events."""

    def __init__(self, path: Path, synchronous: str) -> None:
        super().__init__(path, synchronous)
        name = str(path)
        self.check = FileCheck(name, {name: identity(name) or (0, 0)}, start_watch(name))
        assert not self.check.changed_alone()  # the events of the open read; armed

    def update(self, row: AccessToken) -> AccessToken:
        if self.check.changed_alone():
            raise AssertionError("the file was replaced")
        return super().update(row)

    def close(self) -> None:
        self.check.close()
        super().close()


def _open(name: str, path: Path, synchronous: str) -> Any:
    kinds: dict[str, Any] = {
        "inline": Inline,
        "inline_twin": Inline,
        "writer": Writer,
        "inline_stat": InlineStat,
        "inline_watch": InlineWatch,
        "sync_store": SyncStore,
    }
    return kinds[name](path, synchronous)


def run(synchronous: str, writes: int) -> dict[str, float]:
    """Median seconds per update, by approach."""
    with tempfile.TemporaryDirectory() as tmp:
        opened: dict[str, tuple[Any, list[AccessToken]]] = {}
        for name in APPROACHES:
            path = Path(tmp) / f"{name}.db"
            _prepare(path)
            approach = _open(name, path, synchronous)
            opened[name] = (approach, [approach.insert(token_row()) for _ in range(CHUNK)])
        took: dict[str, list[float]] = {name: [] for name in APPROACHES}
        gc.disable()
        try:
            for turn in range(writes // CHUNK):
                for name, (approach, rows) in opened.items():
                    for i in range(CHUNK):
                        row = replace(rows[i], scopes=f"scope-{turn}")
                        start = time.perf_counter()
                        approach.update(row)
                        took[name].append(time.perf_counter() - start)
        finally:
            gc.enable()
            for approach, _ in opened.values():
                approach.close()
    return {name: statistics.median(times) for name, times in took.items()}


def format_table(medians: dict[str, float], synchronous: str, writes: int) -> str:
    floor = medians["inline"]
    lines = [
        f"### synchronous={synchronous}, {writes:,} updates per approach, turns of {CHUNK}",
        "",
        "| approach | median µs per update | over the floor, µs | floor / approach |",
        "|---|---|---|---|",
    ]
    for name in APPROACHES:
        value = medians[name]
        lines.append(
            f"| {name} | {value * 1e6:.1f} | {(value - floor) * 1e6:+.1f} | {floor / value:.3f}× |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--synchronous", default="FULL,OFF")
    args = parser.parse_args(argv)
    tables = []
    for level in args.synchronous.split(","):
        tables.append(format_table(run(level, args.writes), level, args.writes))
        print(tables[-1] + "\n", flush=True)
    return "\n\n".join(tables)


if __name__ == "__main__":
    main()
