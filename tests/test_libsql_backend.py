"""The libSQL backend (generated.libsql, generated.connect) against a real sqld.

Store behaviour proper is the conformance suite's job (it runs on libsql-ws
and libsql-http too); this module covers what is specific to a server:
URL forms, unreachable/hung/restarted servers, server error codes,
atomic multi-statement calls per transport, and primary/replica setups.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import libsql_client  # type: ignore[import-untyped, unused-ignore]
import pytest

import generated.aiosqlite
import generated.libsql
from conformance.factories import make_audit_log, make_client, make_client_config
from generated import (
    SCHEMA_SQL,
    SCHEMA_STATEMENTS,
    ErrorCode,
    FailedResult,
    SuccessResult,
    connect,
    create_schema,
)
from generated._runtime.libsql import (
    LibsqlDatabase,
    classify_libsql_error,
    normalize_url,
    split_script,
)
from generated._runtime.libsql_errors import retry_busy
from generated._runtime.sqlite import SqliteDatabase
from servers import SqldServer, free_ports

SqldFactory = Callable[..., SqldServer]
WAIT_S = 20.0
REPO = Path(__file__).resolve().parent.parent


def url_of(server: SqldServer, transport: str) -> str:
    return server.ws_url if transport == "ws" else server.http_url


def ok(result: Any) -> Any:
    assert isinstance(result, SuccessResult), result
    return result.client_message


def failed(result: Any, code: ErrorCode) -> str:
    assert isinstance(result, FailedResult), result
    assert result.error_code == code, result
    return result.client_message


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> float:
    """Poll `check` until True (bounded); the seconds it took."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > WAIT_S:
            pytest.fail(f"timed out after {WAIT_S:.0f} s waiting for: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


# ------------------------------------------------------------------ URL forms


@pytest.mark.parametrize(
    ("url", "relative"),
    [
        ("app.db", "app.db"),
        ("sqlite:///app.db", "app.db"),
        ("file:app.db", "app.db"),
        ("./dir:with-colon/app.db", "dir:with-colon/app.db"),
    ],
)
def test_connect_relative_paths_open_sqlite(
    url: str, relative: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    async def main() -> Any:
        async with connect(url) as db:
            return db

    db = asyncio.run(main())
    assert isinstance(db, SqliteDatabase)
    assert db.path == os.path.realpath(tmp_path / relative)


async def test_connect_absolute_forms_share_one_sqlite_database(tmp_path: Path) -> None:
    target = tmp_path / "same.db"
    forms = [str(target), target, f"sqlite:///{target}", f"file:{target}"]
    dbs = [await connect(form) for form in forms]
    assert all(isinstance(db, SqliteDatabase) for db in dbs)
    assert all(db is dbs[0] for db in dbs)  # one shared connection per file
    memory = await connect(":memory:")
    assert isinstance(memory, SqliteDatabase) and memory.path == ":memory:"
    await dbs[0].close()


@pytest.mark.parametrize(
    ("url", "client_url", "transport"),
    [
        ("libsql://db-org.turso.io", "wss://db-org.turso.io", "ws"),
        ("libsql://127.0.0.1:8080?tls=0", "ws://127.0.0.1:8080", "ws"),
        ("libsql://127.0.0.1:8080?tls=1", "wss://127.0.0.1:8080", "ws"),
        ("ws://127.0.0.1:8080", "ws://127.0.0.1:8080", "ws"),
        ("wss://db.example", "wss://db.example", "ws"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081", "http"),
        ("HTTPS://db.example/", "https://db.example/", "http"),
        ("http://127.0.0.1:8081?tls=0", "http://127.0.0.1:8081", "http"),
    ],
)
async def test_connect_remote_forms_open_libsql(url: str, client_url: str, transport: str) -> None:
    async with connect(url) as db:
        assert isinstance(db, LibsqlDatabase)
        assert db.url == client_url
        assert db.transport == transport


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://h/db", "unknown database URL scheme"),
        ("mysql:db", "unknown database URL scheme"),
        ("libsql://127.0.0.1?tls=0", "needs an explicit port"),
        ("http://127.0.0.1:1?tls=1", "contradicts"),
        ("wss://h?tls=0", "contradicts"),
        ("ws://h:1?timeout=3", "unsupported libSQL URL parameter"),
        ("libsql://", "without a host"),
        ("ws://h:1#frag", "fragment"),
        ("ws://h:notaport", "bad port"),
        ("sqlite://relative.db", "sqlite:///path"),
    ],
)
def test_connect_rejects_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        connect(url)


def test_auth_token_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIBSQL_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("TURSO_AUTH_TOKEN", "turso-env")

    def token(url: str, **kw: Any) -> Any:
        return LibsqlDatabase(url, **kw)._auth_token

    assert token("ws://h:1") == "turso-env"
    monkeypatch.setenv("LIBSQL_AUTH_TOKEN", "libsql-env")
    assert token("ws://h:1") == "libsql-env"
    assert normalize_url("ws://h:1?authToken=in-url") == ("ws://h:1", "in-url")
    assert token("ws://h:1?authToken=in-url") == "in-url"
    assert token("ws://h:1?authToken=in-url", auth_token="explicit") == "explicit"


def test_importing_the_package_does_not_import_aiohttp() -> None:
    code = (
        "import sys, generated, generated.aiosqlite; "
        "assert 'aiohttp' not in sys.modules and 'libsql_client' not in sys.modules; "
        "generated.connect('libsql://h:1?tls=0'); assert 'libsql_client' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


# ------------------------------------------------------------------ same application code


async def _application(stores_module: Any, db: Any) -> list[str]:
    """What an application does; it never names the backend."""
    await create_schema(db)
    clients = stores_module.OAuthClientStore(db)
    client = make_client()
    steps = [
        ok(await clients.insert(client, "r1")) == client,
        failed(await clients.insert(client, "r2"), ErrorCode.ALREADY_EXISTS).endswith(
            "already exists"
        ),
        ok(await clients.get_by_client_identifier(client.client_identifier, "r3")) == client,
        ok(await clients.delete_by_id(client.id, "r4")) is None,
        failed(await clients.get_by_id(client.id, "r5"), ErrorCode.NOT_FOUND) != "",
    ]
    return [f"step {i}" for i, passed in enumerate(steps) if not passed]


@pytest.mark.parametrize("stores_module", [generated.libsql, generated.aiosqlite])
@pytest.mark.parametrize("where", ["file", "ws", "http"])
async def test_same_code_runs_on_every_backend(
    stores_module: Any, where: str, sqld: SqldServer, tmp_path: Path
) -> None:
    url = str(tmp_path / "app.db") if where == "file" else url_of(sqld, where)
    async with connect(url) as db:
        assert await _application(stores_module, db) == []


async def test_store_built_from_url_shares_one_database(sqld: SqldServer) -> None:
    a = generated.libsql.OAuthClientStore(sqld.ws_url)
    b = generated.libsql.OAuthUserStore(sqld.ws_url)
    assert a.db is b.db is await connect(sqld.ws_url)
    await create_schema(a.db)
    client = make_client()
    assert ok(await a.insert(client, "r")) == client
    await a.db.close()


def test_one_database_survives_event_loop_changes(sqld: SqldServer) -> None:
    """asyncio.run twice (and pytest's per-test loops): the client is rebuilt per loop."""
    db = LibsqlDatabase(sqld.ws_url)

    async def once() -> Any:
        try:
            return await db.fetch_one("SELECT 41 + 1", ())
        finally:
            await db.close()  # aiohttp needs its sockets closed before the loop ends

    assert asyncio.run(once()) == asyncio.run(once()) == (42,)


# ------------------------------------------------------------------ server errors


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_server_errors_map_to_specific_codes(sqld: SqldServer, transport: str) -> None:
    async with connect(url_of(sqld, transport)) as db:
        await create_schema(db)
        clients = generated.libsql.OAuthClientStore(db)
        configs = generated.libsql.OAuthClientConfigStore(db)
        client = ok(await clients.insert(make_client(), "r"))
        assert (
            failed(
                await clients.insert(make_client(client_identifier=client.client_identifier), "r"),
                ErrorCode.ALREADY_EXISTS,
            )
            == "oauth_clients.client_identifier already exists"
        )
        assert "is_enabled" in failed(
            await clients.insert(make_client(is_enabled=7), "r"), ErrorCode.CHECK_VIOLATION
        )
        failed(
            await clients.insert(make_client(redirect_uris=None), "r"),
            ErrorCode.NOT_NULL_VIOLATION,
        )
        failed(
            await configs.insert(make_client_config("no-such-client"), "r"),
            ErrorCode.FOREIGN_KEY_VIOLATION,
        )
        log = ok(await generated.libsql.AuditLogStore(db).insert(make_audit_log(), "r"))
        with pytest.raises(libsql_client.LibsqlError) as raised:
            await db.execute('DELETE FROM "oauth_audit_logs" WHERE "id" = ?', (log.id,))
        failure = db.classify_error(raised.value, "oauth_audit_logs", "raw")
        assert failure.code == ErrorCode.APPEND_ONLY


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("SQLITE_CONSTRAINT", "SQLite error: UNIQUE constraint failed: t.u", "ALREADY_EXISTS"),
        (
            "PROXY_ERROR",
            "error executing a request on the primary: FOREIGN KEY constraint failed",
            "FOREIGN_KEY_VIOLATION",
        ),
        (
            "PROXY_ERROR",
            "error executing a request on the primary: UNIQUE constraint failed: t.u",
            "ALREADY_EXISTS",
        ),
        ("PROXY_ERROR", "append-only: t", "APPEND_ONLY"),
        ("SQLITE_BUSY", "database is locked", "UNAVAILABLE"),
        ("HRANA_WEBSOCKET_ERROR", "WebSocket was closed", "UNAVAILABLE"),
        ("SERVER_ERROR", "Server returned HTTP status 503", "UNAVAILABLE"),
        ("SERVER_ERROR", "Server returned HTTP status 500", "DB_ERROR"),
        ("SQL_PARSE_ERROR", "SQL string could not be parsed", "DB_ERROR"),
    ],
)
def test_classify_libsql_errors(code: str, text: str, expected: str) -> None:
    failure = classify_libsql_error(libsql_client.LibsqlError(text, code), "t")
    assert failure.code == ErrorCode(expected)


def test_classify_connection_errors() -> None:
    for exc in (ConnectionRefusedError(), TimeoutError(), OSError("unreachable")):
        assert classify_libsql_error(exc, "t").code == ErrorCode.UNAVAILABLE
    assert classify_libsql_error(ValueError("NaN"), "t").code == ErrorCode.DB_ERROR


# ------------------------------------------------------------------ atomic multi-statement calls


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_execute_many_is_all_or_nothing(sqld: SqldServer, transport: str) -> None:
    table = f"many_{uuid.uuid4().hex[:10]}"
    async with connect(url_of(sqld, transport)) as db:
        await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v TEXT UNIQUE)", ())
        insert = f"INSERT INTO {table} (v) VALUES (?)"
        assert await db.execute_many(insert, [("a",), ("b",)]) == 2
        with pytest.raises(libsql_client.LibsqlError) as raised:
            await db.execute_many(insert, [("c",), ("d",), ("a",)])  # the last one collides
        assert db.classify_error(raised.value, table, "x").code == ErrorCode.ALREADY_EXISTS
        assert await db.fetch_all(f"SELECT v FROM {table} ORDER BY v", ()) == [("a",), ("b",)]
        assert await db.execute_many(insert, []) == 0
        # The database object still works after the failed transaction.
        assert await db.execute_many(insert, iter([("c",)])) == 1


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_execute_script_is_atomic(sqld: SqldServer, transport: str) -> None:
    table = f"script_{uuid.uuid4().hex[:10]}"
    async with connect(url_of(sqld, transport)) as db:
        script = (
            f"CREATE TABLE {table} (v TEXT); -- a comment; with a semicolon\n"
            f"INSERT INTO {table} VALUES ('x;y');\n"
            f"INSERT INTO no_such_table VALUES (1);"
        )
        with pytest.raises(libsql_client.LibsqlError):
            await db.execute_script(script)
        assert await db.fetch_one(
            "SELECT count(*) FROM sqlite_master WHERE name = ?", (table,)
        ) == (0,)


def test_split_script_follows_sqlite_tokenizer() -> None:
    assert split_script(SCHEMA_SQL) == [s.strip() for s in SCHEMA_STATEMENTS]
    trigger = (
        "CREATE TRIGGER t BEFORE DELETE ON x BEGIN SELECT RAISE(ABORT, 'no; never'); "
        "SELECT 1; END"
    )
    script = f"/* lead; */ SELECT ';' ; -- c;\n;;\n{trigger};\n-- trailing; comment\n"
    assert split_script(script) == ["/* lead; */ SELECT ';'", trigger]
    assert split_script("  -- nothing\n;") == []
    assert split_script("SELECT 1") == ["SELECT 1"]  # unterminated: kept, the server judges


# ------------------------------------------------------------------ unreachable, hung, restarted


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_refused_port_is_unavailable_within_the_timeout(transport: str) -> None:
    (port,) = free_ports(1)
    url = f"{transport}://127.0.0.1:{port}"
    async with connect(url, timeout=2.0) as db:
        store = generated.libsql.OAuthClientStore(db)
        start = time.monotonic()
        failed(await store.get_by_id("x", "r1"), ErrorCode.UNAVAILABLE)
        failed(await store.insert(make_client(), "r2"), ErrorCode.UNAVAILABLE)
        failed(await store.list_all("r3", limit=10), ErrorCode.UNAVAILABLE)
        assert time.monotonic() - start < 2.0


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_hung_server_times_out_then_recovers(
    sqld_factory: SqldFactory, transport: str
) -> None:
    server = sqld_factory()
    async with connect(url_of(server, transport), timeout=0.5) as db:
        await create_schema(db)
        store = generated.libsql.OAuthClientStore(db)
        client = ok(await store.insert(make_client(), "r1"))
        server.pause()  # SIGSTOP (every thread stopped): the socket stays open, nothing answers
        try:
            start = time.monotonic()
            failed(await store.get_by_id(client.id, "r2"), ErrorCode.UNAVAILABLE)
            assert 0.4 < time.monotonic() - start < 2.0
        finally:
            server.resume()
        assert ok(await store.get_by_id(client.id, "r3")) == client


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_server_restart_same_store_works_again(
    sqld_factory: SqldFactory, transport: str
) -> None:
    server = sqld_factory()
    async with connect(url_of(server, transport), timeout=3.0) as db:
        await create_schema(db)
        store = generated.libsql.OAuthClientStore(db)
        client = ok(await store.insert(make_client(), "r1"))

        server.stop()
        failed(await store.get_by_id(client.id, "r2"), ErrorCode.UNAVAILABLE)
        failed(await store.insert(make_client(), "r3"), ErrorCode.UNAVAILABLE)

        server.start()  # same ports, same data
        assert ok(await store.get_by_id(client.id, "r4")) == client
        assert ok(await store.count_all("r5")) == 1


# ------------------------------------------------------------------ primary and replica


async def test_replica_serves_rows_written_through_the_primary(
    sqld: SqldServer, sqld_replica: SqldServer
) -> None:
    async with connect(sqld.ws_url) as primary:
        await create_schema(primary)
        client = ok(await generated.libsql.OAuthClientStore(primary).insert(make_client(), "r"))
    for transport in ("ws", "http"):
        async with connect(url_of(sqld_replica, transport)) as replica:
            store = generated.libsql.OAuthClientStore(replica)

            async def replicated() -> bool:
                result = await store.get_by_id(client.id, "poll")
                return isinstance(result, SuccessResult) and result.client_message == client

            await eventually(replicated, f"the replica ({transport}) to serve the row")


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_writes_sent_to_a_replica_are_forwarded(
    sqld: SqldServer, sqld_replica: SqldServer, transport: str
) -> None:
    """sqld 0.24.32 forwards writes to the primary; errors come back as PROXY_ERROR."""
    async with connect(sqld.ws_url) as primary:
        await create_schema(primary)
        on_primary = generated.libsql.OAuthClientStore(primary)
        async with connect(url_of(sqld_replica, transport)) as replica:
            on_replica = generated.libsql.OAuthClientStore(replica)
            await eventually(
                lambda: _answers(on_replica.count_all("poll")), "the schema on the replica"
            )
            client = make_client()
            assert ok(await on_replica.insert(client, "r1")) == client  # RETURNING too
            assert ok(await on_primary.get_by_id(client.id, "r2")) == client
            message = failed(await on_replica.insert(client, "r3"), ErrorCode.ALREADY_EXISTS)
            assert message.startswith("oauth_clients.") and message.endswith("already exists")
            configs = generated.libsql.OAuthClientConfigStore(replica)
            failed(
                await configs.insert(make_client_config("nobody"), "r4"),
                ErrorCode.FOREIGN_KEY_VIOLATION,
            )


async def _answers(call: Awaitable[Any]) -> bool:
    return isinstance(await call, SuccessResult)


async def test_write_to_a_replica_whose_primary_is_down_is_unavailable(
    sqld_factory: SqldFactory,
) -> None:
    """The replica retries the primary with back-off; our deadline turns that into UNAVAILABLE."""
    primary = sqld_factory(primary_grpc=True)
    replica = sqld_factory(primary_url=primary.grpc_url)
    async with connect(primary.ws_url) as db:
        await create_schema(db)
    async with connect(replica.ws_url, timeout=1.0) as db:
        store = generated.libsql.OAuthClientStore(db)
        await eventually(lambda: _answers(store.count_all("poll")), "the schema on the replica")
        primary.stop()
        assert ok(await store.count_all("r1")) == 0  # stale reads still work
        start = time.monotonic()
        failed(await store.insert(make_client(), "r2"), ErrorCode.UNAVAILABLE)
        assert time.monotonic() - start < 3.0
        primary.start()
        client = make_client()

        async def written() -> bool:
            return isinstance(await store.insert(client, "r3"), SuccessResult)

        await eventually(written, "a write through the replica after the primary is back")


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_concurrent_calls_share_one_client(sqld: SqldServer, transport: str) -> None:
    async with connect(url_of(sqld, transport)) as db:
        await create_schema(db)
        store = generated.libsql.OAuthClientStore(db)
        rows = [make_client() for _ in range(20)]
        inserted = await asyncio.gather(*(store.insert(r, f"i{i}") for i, r in enumerate(rows)))
        assert [ok(r) for r in inserted] == rows
        found = await asyncio.gather(*(store.get_by_id(r.id, "g") for r in rows))
        assert [ok(r) for r in found] == rows


async def test_cancelled_ws_transaction_is_rolled_back(sqld: SqldServer) -> None:
    table = f"cancel_{uuid.uuid4().hex[:10]}"
    async with connect(sqld.ws_url, timeout=5.0) as db:
        await db.execute(f"CREATE TABLE {table} (v INTEGER)", ())
        insert = f"INSERT INTO {table} (v) VALUES (?)"
        task = asyncio.ensure_future(db.execute_many(insert, [(i,) for i in range(5000)]))
        await asyncio.sleep(0.1)  # some rows are in, the transaction is open
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # Nothing was committed, and the write lock is free again.
        assert await db.execute(insert, (-1,)) == 1
        assert await db.fetch_all(f"SELECT v FROM {table}", ()) == [(-1,)]


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_write_burst_waits_out_a_locked_database(
    sqld_factory: SqldFactory, transport: str
) -> None:
    # 300 single inserts, 60 ten-row batches and 60 reads at once on one client.
    # sqld runs concurrent calls on separate connections, so writes meet
    # SQLITE_BUSY, which must be retried, not reported UNAVAILABLE. And 420
    # streams on one WebSocket are more than sqld takes: without the runtime's
    # in-flight cap it dropped the socket, failing every call, in 40 bursts of 40.
    table = f"burst_{uuid.uuid4().hex[:10]}"
    async with connect(url_of(sqld_factory(), transport), timeout=20.0) as db:
        await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER)", ())
        insert = f"INSERT INTO {table} (v) VALUES (?)"
        singles = [db.execute_returning(insert + " RETURNING v", (i,)) for i in range(300)]
        batches = [
            db.execute_many(insert, [(1000 + 10 * b + i,) for i in range(10)]) for b in range(60)
        ]
        reads = [db.fetch_one(f"SELECT count(*) FROM {table}", ()) for _ in range(60)]
        results = await asyncio.gather(*singles, *batches, *reads)
        assert results[:360] == [(i,) for i in range(300)] + [10] * 60
        assert all(0 <= count <= 900 for (count,) in results[360:])
        assert await db.fetch_one(f"SELECT count(*) FROM {table}", ()) == (900,)
        assert await db.fetch_one(f"SELECT sum(v) FROM {table}", ()) == (
            sum(range(300)) + sum(range(1000, 1600)),
        )


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_calls_past_the_in_flight_cap_wait_their_turn(
    sqld: SqldServer, transport: str
) -> None:
    # With one slot, a read waits behind a write that another connection's
    # transaction holds up, and is answered once the write has given up. Without
    # the cap the read is answered at once (test_a_call_past_its_deadline_fails_alone).
    table = f"cap_{uuid.uuid4().hex[:10]}"
    insert = f"INSERT INTO {table} (v) VALUES (?)"
    async with LibsqlDatabase(url_of(sqld, transport), timeout=1.5, max_in_flight=1) as db:
        await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER)", ())
        async with libsql_client.create_client(sqld.ws_url) as holder:
            tx = holder.transaction()
            await tx.execute(insert, [0])  # holds the write lock
            try:
                start = time.monotonic()
                write = asyncio.ensure_future(db.execute(insert, (1,)))
                await asyncio.sleep(0.2)
                read = asyncio.ensure_future(db.fetch_one(f"SELECT count(*) FROM {table}", ()))
                with pytest.raises(TimeoutError):
                    await write
                assert await read == (0,)  # the holder's row is not committed
                assert time.monotonic() - start >= 1.4
            finally:
                await tx.rollback()
                tx.close()
    with pytest.raises(ValueError, match="max_in_flight"):
        LibsqlDatabase(sqld.ws_url, max_in_flight=0)


@pytest.mark.parametrize("transport", ["ws", "http"])
async def test_a_call_past_its_deadline_fails_alone(sqld: SqldServer, transport: str) -> None:
    # Writes A and B wait behind another connection's transaction while a read
    # on the same client is answered. A runs out of time first; the lock is
    # released only after A has failed. B, in flight all along, must still get
    # its answer: a link that answers is not dropped because one call was slow.
    table = f"deadline_{uuid.uuid4().hex[:10]}"
    insert = f"INSERT INTO {table} (v) VALUES (?)"
    async with connect(url_of(sqld, transport), timeout=2.0) as db:
        await db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER)", ())
        async with libsql_client.create_client(sqld.ws_url) as holder:
            tx = holder.transaction()
            await tx.execute(insert, [0])  # holds the write lock
            try:
                write_a = asyncio.ensure_future(db.execute(insert, (1,)))
                await asyncio.sleep(1.0)
                write_b = asyncio.ensure_future(db.execute(insert, (2,)))
                # The link answers while A waits (reads are not locked out).
                assert await db.fetch_one(f"SELECT count(*) FROM {table}", ()) == (0,)
                with pytest.raises(TimeoutError):
                    await write_a
                assert not write_b.done()  # the premise: B is in flight as A fails
            finally:
                await tx.rollback()
                tx.close()
        assert await write_b == 1
        found = await db.fetch_all(f"SELECT v FROM {table} WHERE v IN (0, 2)", ())
        assert found == [(2,)]


async def test_busy_retries_stop_at_the_deadline() -> None:
    # The retry loop alone, fed the error a locked sqld answers with (sqld says
    # BUSY only to concurrent HTTP requests, which no test can time reliably).
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def locked(client: object) -> None:
        starts.append(loop.time())
        raise libsql_client.LibsqlError("database is locked", "SQLITE_BUSY")

    deadline = loop.time() + 0.3
    with pytest.raises(libsql_client.LibsqlError, match="SQLITE_BUSY"):
        await retry_busy(locked, None, deadline)
    assert len(starts) >= 5  # retried, with pauses of 2 ms doubling up to 50 ms
    assert all(start < deadline for start in starts)  # no try starts past it
    assert loop.time() < deadline + 0.06  # and it gives up within one pause

    starts.clear()

    async def refused(client: object) -> None:
        starts.append(loop.time())
        raise libsql_client.LibsqlError("UNIQUE constraint failed: t.id", "SQLITE_CONSTRAINT")

    with pytest.raises(libsql_client.LibsqlError, match="SQLITE_CONSTRAINT"):
        await retry_busy(refused, None, loop.time() + 0.3)
    assert len(starts) == 1  # only a busy answer is retried
