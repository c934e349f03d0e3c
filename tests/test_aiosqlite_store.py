"""What only the aiosqlite backend promises: stores built from a path.

The backend-neutral behaviour is in tests/conformance/; this file covers the
path constructors, the one shared connection per file, its pragmas, reuse
across event loops, a deleted database file, and other processes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from conformance import factories as f
from conformance.support import expect_failure, expect_success, new_ray_id
from generated.aiosqlite import AccessTokenStore, OAuthClientStore, OAuthUserStore, SqliteDatabase
from generated.results import ErrorCode
from generated.schema import create_schema

REPO = Path(__file__).resolve().parent.parent


@pytest_asyncio.fixture
async def db_file(tmp_path: Path) -> AsyncIterator[Path]:
    """A database file with the schema; every connection to it closed afterwards."""
    path = tmp_path / "app.db"
    async with SqliteDatabase(path) as setup:
        await create_schema(setup)
    yield path
    await SqliteDatabase.shared(path).close()


@pytest.fixture
def sync_db_file(tmp_path: Path) -> Iterator[Path]:
    """`db_file` for sync tests, which run their own event loops."""
    path = tmp_path / "app.db"

    async def setup() -> None:
        async with SqliteDatabase(path) as db:
            await create_schema(db)

    asyncio.run(setup())
    yield path
    asyncio.run(SqliteDatabase.shared(path).close())


async def test_path_constructors(db_file: Path) -> None:
    by_str = OAuthClientStore(str(db_file))
    by_path = OAuthClientStore(db_file)
    by_keyword = OAuthClientStore(db_path=str(db_file))
    client = f.make_client()
    ray_id = new_ray_id()
    assert expect_success(await by_str.insert(client, ray_id), ray_id) == client
    for store in (by_path, by_keyword):
        ray_id = new_ray_id()
        assert expect_success(await store.get_by_id(client.id, ray_id), ray_id) == client


async def test_one_shared_connection_per_file(db_file: Path, tmp_path: Path) -> None:
    plain = OAuthClientStore(str(db_file))
    url = OAuthClientStore(f"sqlite:///{db_file}")  # sqlite:////abs/path
    assert str(db_file).startswith("/")
    relative_spelling = OAuthUserStore(str(tmp_path / "." / "app.db"))
    assert plain.db is url.db
    assert relative_spelling.db is plain.db  # another store class, same file: same connection
    assert isinstance(plain.db, SqliteDatabase) and plain.db.path == str(db_file.resolve())
    other = OAuthClientStore(tmp_path / "other.db")
    assert other.db is not plain.db

    # A database object passed in is used as is.
    own = SqliteDatabase(db_file)
    try:
        assert OAuthClientStore(own).db is own
    finally:
        await own.close()


async def test_foreign_keys_are_on(db_file: Path) -> None:
    store = AccessTokenStore(str(db_file))
    db = store.db
    assert isinstance(db, SqliteDatabase)
    assert await db.fetch_one("PRAGMA foreign_keys", ()) == (1,)
    assert await db.fetch_one("PRAGMA journal_mode", ()) == ("wal",)
    # ...and they act: a token for an unknown client is refused.
    token = f.make_access_token("no-such-client", None)
    ray_id = new_ray_id()
    expect_failure(await store.insert(token, ray_id), ErrorCode.FOREIGN_KEY_VIOLATION, ray_id)


def test_store_survives_sequential_event_loops(sync_db_file: Path) -> None:
    """Built once from a path, used from two asyncio.run() calls (as scripts and CLIs do)."""
    store = OAuthClientStore(str(sync_db_file))
    client = f.make_client()
    changed = f.make_client(
        id=client.id, client_identifier=client.client_identifier, is_enabled=False
    )

    first = asyncio.run(store.insert(client, "ray-loop-1"))
    assert expect_success(first, "ray-loop-1") == client
    second = asyncio.run(store.update(changed, "ray-loop-2"))
    assert expect_success(second, "ray-loop-2") == changed
    third = asyncio.run(store.get_by_id(client.id, "ray-loop-3"))
    assert expect_success(third, "ray-loop-3") == changed


@pytest.mark.usefixtures("file_watch")
async def test_deleted_file_reconnects(db_file: Path) -> None:
    store = OAuthClientStore(str(db_file))
    old = f.make_client()
    ray_id = new_ray_id()
    expect_success(await store.insert(old, ray_id), ray_id)

    db_file.unlink()

    # The store reopens a NEW, empty file: the table is gone. A clean failure, no exception:
    # the database is behind the code (SCHEMA_MISMATCH, issue 12).
    ray_id = new_ray_id()
    message = expect_failure(
        await store.get_by_id(old.id, ray_id), ErrorCode.SCHEMA_MISMATCH, ray_id
    )
    assert old.id not in message
    assert db_file.exists()

    # Recreating the schema on the same store's database makes it usable again.
    await create_schema(store.db)
    ray_id = new_ray_id()
    expect_failure(await store.get_by_id(old.id, ray_id), ErrorCode.NOT_FOUND, ray_id)
    new = f.make_client()
    ray_id = new_ray_id()
    assert expect_success(await store.insert(new, ray_id), ray_id) == new
    ray_id = new_ray_id()
    assert expect_success(await store.count_all(ray_id), ray_id) == 1


@pytest.mark.usefixtures("file_watch")
async def test_other_processes_see_committed_rows(db_file: Path) -> None:
    """Another process writes through its own store; this process reads it, and back."""
    store = OAuthClientStore(str(db_file))
    mine = f.make_client()
    ray_id = new_ray_id()
    expect_success(await store.insert(mine, ray_id), ray_id)  # our connection is open

    script = textwrap.dedent("""
        import asyncio, sys
        from generated.aiosqlite import OAuthClientStore, OAuthUserStore
        from generated.models import OAuthUser

        async def main() -> None:
            clients = OAuthClientStore(sys.argv[1])
            seen = await clients.get_by_id(sys.argv[2], "ray-child")
            assert seen.status, seen
            user = OAuthUser(id=sys.argv[3], external_id="child", is_active=True,
                             created_at=1, created_by="child", updated_at=1, updated_by="child")
            stored = await OAuthUserStore(sys.argv[1]).insert(user, "ray-child")
            assert stored.status, stored

        asyncio.run(main())
        """)
    user_id = f.new_id()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        str(db_file),
        mine.id,
        user_id,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), timeout=30)
    assert child.returncode == 0, err.decode()

    ray_id = new_ray_id()
    user = expect_success(await OAuthUserStore(str(db_file)).get_by_id(user_id, ray_id), ray_id)
    assert user.external_id == "child"
