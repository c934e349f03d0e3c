"""The replica's syncing connection, in a child process of its own.

libsql-experimental 0.0.55 holds the GIL through a sync's network I/O.
Measured: a `sync()` against a stalled primary froze every thread of the
process, the event loop included, so no deadline could fire and every other
database in the process stopped with it. The connection that syncs therefore
lives in a small child process (`python -c`, the same interpreter): a stalled
primary stalls nobody but that child, and a child stuck past its close is
killed. Reads stay in-process, on local connections that never touch the
network. Both processes use libsql's own SQLite, so the file's locks hold
between them.

The child speaks one JSON line per answer on a pipe of its own (the driver
prints its tracing lines to stdout): first the outcome of connect + first
sync, then one per `sync` line it reads on stdin. The auth token travels on
stdin, never in argv or the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

__all__ = ["SyncProcess"]

_CHILD = r"""
import json, os, sys
import libsql_experimental as lx

answers = os.fdopen(int(sys.argv[1]), "w")

def reply(**answer):
    answers.write(json.dumps(answer) + "\n")
    answers.flush()

def sync(conn):
    try:
        conn.sync()
        return None
    except ValueError as exc:
        return str(exc) or "the sync failed"

cfg = json.loads(sys.stdin.readline())
try:
    conn = lx.connect(cfg["path"], isolation_level=None, sync_url=cfg["sync_url"],
                      sync_interval=cfg["interval"], auth_token=cfg["token"])
except Exception as exc:
    reply(ok=False, error=str(exc) or type(exc).__name__, has_tables=False)
    sys.exit(0)
error = sync(conn)
tables = error is None or conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
reply(ok=error is None, error=error, has_tables=bool(tables))
for line in sys.stdin:
    if line.strip() != "sync":
        break
    error = sync(conn)
    reply(ok=error is None, error=error)
conn.close()
"""
_EXIT_GRACE = 2.0


class SyncProcess:
    """A child process that owns the file's sync_url connection.

    Every method blocks: call them from a replica `Thread`, never from the
    event loop. Failures of the sync itself raise ValueError, as the driver's do.
    """

    def __init__(
        self, path: str, sync_url: str, auth_token: str, sync_interval: float | None
    ) -> None:
        env = dict(os.environ)
        quiet = "RUST_LOG" not in env  # the driver's INFO lines stay off unless asked for
        env.setdefault("RUST_LOG", "off")
        read_end, write_end = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(write_end)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL if quiet else None,
                pass_fds=(write_end,),
                env=env,
                text=True,
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self._answers = os.fdopen(read_end, "r")
        config = {"path": path, "sync_url": sync_url, "token": auth_token}
        self._send(json.dumps({**config, "interval": sync_interval}))

    def first_sync(self) -> bool:
        """Wait for connect + first sync; whether the file holds a schema if that sync failed.

        Raises ValueError when the sync failed and the file has nothing to read.
        """
        answer = self._answer()
        if answer["ok"]:
            return True
        if not answer.get("has_tables"):
            raise ValueError(answer.get("error") or "the first sync failed")
        return False

    def sync(self) -> None:
        """Pull the primary's changes into the file now."""
        self._send("sync")
        answer = self._answer()
        if not answer["ok"]:
            raise ValueError(answer.get("error") or "the sync failed")

    def close(self) -> None:
        """Let the child close its connection and exit; kill it if it does not."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(_EXIT_GRACE)
        except subprocess.TimeoutExpired:
            self.kill()
        self._answers.close()

    def kill(self) -> None:
        """End a child stuck in a sync (its waiting thread then reads end-of-file)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()

    def _send(self, line: str) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(line + "\n")
            self._proc.stdin.flush()
        except OSError as exc:
            raise ValueError(f"the sync process is gone: {exc}") from None

    def _answer(self) -> Any:
        line = self._answers.readline()
        if not line:
            raise ValueError(f"the sync process ended (exit status {self._proc.poll()})")
        return json.loads(line)
