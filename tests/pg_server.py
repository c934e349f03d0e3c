"""A real PostgreSQL server for the tests: initdb in a temp folder, one process, stopped by pid.

PostgreSQL refuses to run as root, so when the tests run as root (CI does)
initdb and the server run as the `postgres` system user (Debian's package
creates it), in a folder under /tmp chowned to that user; the unix socket
lives in the same folder. The server listens on a free loopback port only.

Binaries: `initdb` on PATH, else Debian's /usr/lib/postgresql/<version>/bin.
`make postgres` (part of `make test`) installs Debian's `postgresql` package
when neither exists.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresNotInstalled", "PostgresServer", "find_postgres_bin", "start_postgres"]

START_TIMEOUT_S = 60.0


class PostgresNotInstalled(RuntimeError):
    """No initdb/postgres binaries: run `make postgres` (apt-get install postgresql)."""


def find_postgres_bin() -> Path:
    """The folder holding initdb, postgres and pg_isready."""
    candidates = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        candidates.append(Path(found))
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise PostgresNotInstalled(
        "PostgreSQL is not installed (no initdb on PATH nor in /usr/lib/postgresql/*/bin); "
        "run `make postgres` (apt-get install -y postgresql)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _run_as() -> str | None:
    """The user to run PostgreSQL as: `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresNotInstalled(
            "running as root but there is no `postgres` system user to run the server as; "
            "install Debian's postgresql package (`make postgres`)"
        ) from None
    return "postgres"


@dataclass
class PostgresServer:
    """One running server; `url` is a DSN asyncpg and `generated.connect()` accept."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None
    user: str = "postgres"
    bin_dir: Path = Path("/usr/lib/postgresql/15/bin")
    run_as: str | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the server on its data folder and port; wait until it accepts connections."""
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 (kept open for the process)
        if self.run_as is not None:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.folder / "server.log", entry.pw_uid, entry.pw_gid)
        self.process = subprocess.Popen(
            [str(self.bin_dir / "postgres"), "-D", str(self.folder / "data"), "-p", str(self.port),
             "-k", str(self.folder / "sock"), "-c", "listen_addresses=127.0.0.1",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            user=self.run_as,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                text = (self.folder / "server.log").read_text(errors="replace")
                raise RuntimeError(f"postgres exited with {self.process.returncode}:\n{text}")
            ready = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", self.user],
                capture_output=True,
            )  # fmt: skip
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"postgres did not accept connections in {START_TIMEOUT_S}s")
            time.sleep(0.1)

    def halt(self) -> None:
        """Fast shutdown by pid (SIGINT), SIGKILL if it lingers; the data folder stays."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def pause(self) -> None:
        """SIGSTOP the postmaster: new connections hang (a silent server)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Halt the server, then remove its folder."""
        self.halt()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres(bin_dir: Path | None = None) -> PostgresServer:
    """initdb a fresh cluster in a new temp folder and start it on a free loopback port."""
    bin_dir = bin_dir or find_postgres_bin()
    user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="storegen-pg-"))
    data, sockets = folder / "data", folder / "sock"
    sockets.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (folder, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    db_user = "postgres"
    done = subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", db_user, "-A", "trust", "-E", "UTF8",
         "--no-sync", "--locale=C"],
        user=user,
        capture_output=True,
        text=True,
        cwd=folder,
    )  # fmt: skip
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    server = PostgresServer(
        folder=folder, port=_free_port(), process=None, user=db_user, bin_dir=bin_dir, run_as=user
    )
    server.start()
    return server
