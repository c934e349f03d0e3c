"""Shared pytest fixtures.  Keep each group in its own clearly marked section.

tests/ is not a package: pytest puts this directory on sys.path, so helper
modules here are imported by their bare name (`from servers import ...`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers import SqldNotInstalled, SqldServer, find_sqld, start_sqld

# =====================================================================
# sqld: real libSQL server processes (helpers in tests/servers.py)
#
#   sqld          session-scoped primary (gRPC enabled, so it also serves
#                 as the primary of `sqld_replica`).  Shared: use unique
#                 table names, and never stop/restart it in a test.
#   sqld_replica  session-scoped replica of `sqld`.
#   sqld_factory  start_sqld(...) for a test's own servers (fault tests may
#                 stop/restart/kill/pause them); stopped after the test.
#
# A missing binary FAILS the test (run `make tools`); it never skips.
# =====================================================================


@pytest.fixture(scope="session")
def sqld_bin() -> Path:
    try:
        return find_sqld()
    except SqldNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def sqld(sqld_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqldServer]:
    server = start_sqld(tmp_path_factory.mktemp("sqld"), primary_grpc=True, binary=sqld_bin)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqld_replica(
    sqld: SqldServer, sqld_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqldServer]:
    replica = start_sqld(
        tmp_path_factory.mktemp("sqld-replica"), primary_url=sqld.grpc_url, binary=sqld_bin
    )
    try:
        yield replica
    finally:
        replica.stop()


SqldFactory = Callable[..., SqldServer]


@pytest.fixture
def sqld_factory(sqld_bin: Path, tmp_path: Path) -> Iterator[SqldFactory]:
    """``sqld_factory(primary_grpc=..., primary_url=...)`` -> a fresh server.

    Servers are stopped in reverse start order (replicas before primaries).
    """
    started: list[SqldServer] = []

    def factory(*, primary_grpc: bool = False, primary_url: str | None = None) -> SqldServer:
        server = start_sqld(
            tmp_path / "sqld", primary_grpc=primary_grpc, primary_url=primary_url, binary=sqld_bin
        )
        started.append(server)
        return server

    try:
        yield factory
    finally:
        for server in reversed(started):
            server.stop()


# ======================= end of sqld fixtures ========================


# =====================================================================
# postgres: a real PostgreSQL server (helpers in tests/pg_server.py)
#
#   postgres_server  session-scoped server: initdb in a temp folder (as the
#                    `postgres` user when running as root), a free loopback
#                    port, stopped by pid when the session ends.  Shared: the
#                    conformance harness resets the `public` schema per test.
#
# Missing binaries FAIL the test (run `make postgres`); they never skip.
# =====================================================================

from pg_server import PostgresNotInstalled, PostgresServer, start_postgres  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except PostgresNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


# ===================== end of postgres fixtures ======================


# =====================================================================
# file_watch: how the SQLite writers notice a replaced file
#
#   file_watch  parametrized "inotify" / "stat": the per-write check by the
#               kernel's events (generated/_runtime/sqlite_watch.py), or by
#               the stat it filters (ENABLED off; STOREGEN_FILE_WATCH=0 for
#               child processes).  Use it on every replaced/deleted-file test:
#               the guarantee must hold both ways.
# =====================================================================


@pytest.fixture(params=["inotify", "stat"])
def file_watch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    import generated._runtime.sqlite_watch as sqlite_watch

    on = request.param == "inotify"
    monkeypatch.setattr(sqlite_watch, "ENABLED", on)
    monkeypatch.setenv("STOREGEN_FILE_WATCH", "1" if on else "0")
    return str(request.param)


# ===================== end of file_watch fixture =====================
