"""The sqld fixtures start real libSQL servers that libsql_client can talk to.

Also records how a primary/replica pair behaves (sqld 0.24.32), since the
generated libSQL backend has to live with it.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import libsql_client  # type: ignore[import-untyped, unused-ignore]
import pytest

from servers import HOST, SqldNotInstalled, SqldServer, find_sqld

SqldFactory = Callable[..., SqldServer]
WAIT_S = 20.0


def table_name(prefix: str = "t") -> str:
    """Unique per test: the session servers are shared."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def rows(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in result.rows]


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = WAIT_S
) -> float:
    """Poll ``check`` until it returns True; return the seconds it took."""
    start = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for: {what}")
        await asyncio.sleep(0.05)


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_primary_create_insert_select(sqld: SqldServer, transport: str) -> None:
    url = sqld.ws_url if transport == "ws" else sqld.http_url
    t = table_name()
    async with libsql_client.create_client(url) as client:
        await client.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        ins = await client.execute(f"INSERT INTO {t} (name) VALUES (?)", ["alice"])
        assert ins.rows_affected == 1
        assert ins.last_insert_rowid == 1
        await client.batch(
            [
                libsql_client.Statement(f"INSERT INTO {t} (name) VALUES (?)", ["bob"]),
                libsql_client.Statement(f"INSERT INTO {t} (name) VALUES (:n)", {"n": "carol"}),
            ]
        )
        rs = await client.execute(f"SELECT id, name FROM {t} ORDER BY id")
        assert rows(rs) == [(1, "alice"), (2, "bob"), (3, "carol")]
        assert rs.rows[0]["name"] == "alice"
    # The other transport reads the same database.
    other = sqld.http_url if transport == "ws" else sqld.ws_url
    async with libsql_client.create_client(other) as client:
        assert rows(await client.execute(f"SELECT count(*) FROM {t}")) == [(3,)]


async def test_foreign_keys_are_on(sqld: SqldServer) -> None:
    p, c = table_name("p"), table_name("c")
    async with libsql_client.create_client(sqld.ws_url) as client:
        await client.execute(f"CREATE TABLE {p} (id INTEGER PRIMARY KEY)")
        await client.execute(f"CREATE TABLE {c} (pid INTEGER NOT NULL REFERENCES {p} (id))")
        with pytest.raises(libsql_client.LibsqlError) as info:
            await client.execute(f"INSERT INTO {c} (pid) VALUES (42)")
        # Against a server the code is only the primary result code.
        assert info.value.code == "SQLITE_CONSTRAINT"
        assert "FOREIGN KEY constraint failed" in str(info.value)


async def test_replica_reads_what_primary_wrote(sqld: SqldServer, sqld_replica: SqldServer) -> None:
    t = table_name()
    async with libsql_client.create_client(sqld.ws_url) as primary:
        await primary.execute(f"CREATE TABLE {t} (v TEXT)")
        await primary.execute(f"INSERT INTO {t} VALUES ('from-primary')")

    for url in (sqld_replica.ws_url, sqld_replica.http_url):
        async with libsql_client.create_client(url) as replica:

            async def replicated() -> bool:
                try:
                    rs = await replica.execute(f"SELECT v FROM {t}")
                except libsql_client.LibsqlError:  # table not replicated yet
                    return False
                return rows(rs) == [("from-primary",)]

            await eventually(replicated, f"replica {url} to see the primary's row")


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_write_sent_to_replica_is_forwarded_to_primary(
    sqld: SqldServer, sqld_replica: SqldServer, transport: str
) -> None:
    """Observed: the replica proxies writes (DDL and DML) to the primary.

    There is NO read-your-writes across separate ``execute`` calls, over ws or
    http: libsql_client opens a new Hrana stream per call, and the next read
    may run on the replica before it has pulled the write (measured: about half
    of such reads were stale, for up to ~15 ms).  Inside one ``batch`` (or one
    ws transaction) the read does see the write.
    """
    url = sqld_replica.ws_url if transport == "ws" else sqld_replica.http_url
    t = table_name()
    async with libsql_client.create_client(url) as replica:
        await replica.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, v TEXT)")
        rs = await replica.execute(f"INSERT INTO {t} (v) VALUES (?)", ["from-replica"])
        assert rs.rows_affected == 1
        # The primary has it as soon as the write returns.
        async with libsql_client.create_client(sqld.ws_url) as primary:
            assert rows(await primary.execute(f"SELECT v FROM {t}")) == [("from-replica",)]

        async def replica_has_it() -> bool:
            try:
                rs = await replica.execute(f"SELECT v FROM {t}")
            except libsql_client.LibsqlError:  # table not replicated yet (http)
                return False
            return rows(rs) == [("from-replica",)]

        await eventually(replica_has_it, "replica to read back its forwarded write")

        write, read = await replica.batch(
            [
                libsql_client.Statement(f"INSERT INTO {t} (v) VALUES (?)", ["in-batch"]),
                libsql_client.Statement(f"SELECT count(*) FROM {t} WHERE v = 'in-batch'"),
            ]
        )
        assert write.rows_affected == 1
        assert rows(read) == [(1,)]


async def test_transaction_on_replica_is_forwarded(
    sqld: SqldServer, sqld_replica: SqldServer
) -> None:
    t = table_name()
    async with libsql_client.create_client(sqld.ws_url) as primary:
        await primary.execute(f"CREATE TABLE {t} (x INTEGER)")
        async with libsql_client.create_client(sqld_replica.ws_url) as replica:
            tx = replica.transaction()
            await tx.execute(f"INSERT INTO {t} VALUES (1)")
            await tx.execute(f"INSERT INTO {t} VALUES (2)")
            # Reads inside the transaction see its own writes.
            assert rows(await tx.execute(f"SELECT count(*) FROM {t}")) == [(2,)]
            await tx.commit()
            assert rows(await primary.execute(f"SELECT x FROM {t} ORDER BY x")) == [(1,), (2,)]

            tx = replica.transaction()
            await tx.execute(f"INSERT INTO {t} VALUES (3)")
            await tx.rollback()
            assert rows(await primary.execute(f"SELECT count(*) FROM {t}")) == [(2,)]


async def test_error_of_forwarded_write_is_proxy_error(
    sqld: SqldServer, sqld_replica: SqldServer
) -> None:
    """Observed: a constraint failure of a write sent to a replica surfaces as
    code PROXY_ERROR (message carries SQLite's text), not SQLITE_CONSTRAINT."""
    p, c = table_name("p"), table_name("c")
    async with libsql_client.create_client(sqld_replica.ws_url) as replica:
        await replica.execute(f"CREATE TABLE {p} (id INTEGER PRIMARY KEY)")
        await replica.execute(f"CREATE TABLE {c} (pid INTEGER NOT NULL REFERENCES {p} (id))")
        with pytest.raises(libsql_client.LibsqlError) as info:
            await replica.execute(f"INSERT INTO {c} (pid) VALUES (42)")
        assert info.value.code == "PROXY_ERROR"
        assert "FOREIGN KEY constraint failed" in str(info.value)


async def test_restart_keeps_ports_and_data(sqld_factory: SqldFactory) -> None:
    server = sqld_factory()
    urls, old_pid = (server.http_url, server.ws_url), server.pid
    t = table_name()
    async with libsql_client.create_client(server.http_url) as client:
        await client.execute(f"CREATE TABLE {t} (v TEXT)")
        await client.execute(f"INSERT INTO {t} VALUES ('kept')")

    server.stop()
    assert not server.running
    assert not port_open(server.http_port)
    server.restart()
    assert server.running and server.pid != old_pid
    assert (server.http_url, server.ws_url) == urls
    for url in urls:
        async with libsql_client.create_client(url) as client:
            assert rows(await client.execute(f"SELECT v FROM {t}")) == [("kept",)]


async def test_replica_outlives_primary_restart(sqld_factory: SqldFactory) -> None:
    primary = sqld_factory(primary_grpc=True)
    replica = sqld_factory(primary_url=primary.grpc_url)
    t = table_name()
    async with libsql_client.create_client(primary.ws_url) as client:
        await client.execute(f"CREATE TABLE {t} (v TEXT)")
        await client.execute(f"INSERT INTO {t} VALUES ('before')")

    async def replica_sees(expected: list[tuple[Any, ...]]) -> bool:
        async with libsql_client.create_client(replica.http_url) as client:
            try:
                return rows(await client.execute(f"SELECT v FROM {t} ORDER BY v")) == expected
            except libsql_client.LibsqlError:
                return False

    await eventually(lambda: replica_sees([("before",)]), "initial replication")

    primary.stop()
    # With the primary down the replica still serves (possibly stale) reads.
    assert await replica_sees([("before",)])

    primary.restart()
    async with libsql_client.create_client(replica.ws_url) as client:
        # The replica reconnects to the restarted primary; its write-proxy
        # retries with back-off, so give it a bounded wait.
        await asyncio.wait_for(client.execute(f"INSERT INTO {t} VALUES ('after')"), timeout=WAIT_S)
    await eventually(lambda: replica_sees([("after",), ("before",)]), "replication after restart")


def test_missing_binary_fails_with_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SQLD_BIN", str(tmp_path / "no-such-sqld"))
    with pytest.raises(SqldNotInstalled, match="make tools"):
        find_sqld()
