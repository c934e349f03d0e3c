"""Named writes with RETURNING on the embedded replica run on the primary.

A `:many` (or `:one`) query that writes returns rows, so the store once sent
it down the read path, and the replica ran it on its LOCAL file: the primary
never saw it, the local file forked from it. Each write here runs with the
file caught up (the state in which reads are local), and is checked three
ways: the rows returned, the primary through a plain libSQL client, and a
read through the replica (read-your-writes). Against a real sqld; the store
package is the replica_backend golden (tests/golden/replica_backend).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from servers import SqldServer
from test_golden import GOLDEN, materialise_golden

SqldFactory = Callable[..., SqldServer]
ROWS = "SELECT id, body, pinned, updated_at FROM notes ORDER BY id"


@pytest.fixture
def package(tmp_path: Path) -> Iterator[ModuleType]:
    materialise_golden(GOLDEN / "replica_backend", tmp_path / "rb_golden", tmp_path / "gen")
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("rb_golden")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "rb_golden" or m.startswith("rb_golden.")]:
            del sys.modules[name]


def ok(result: Any) -> Any:
    assert result.status is True, result
    return result.client_message


async def test_writes_with_returning_reach_the_primary(
    package: ModuleType, sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    stores = importlib.import_module("rb_golden.libsql_replica")
    libsql = importlib.import_module("rb_golden._runtime.libsql")
    db = stores.LibsqlReplicaDatabase(
        tmp_path / "local.db", f"libsql://127.0.0.1:{server.http_port}?tls=0", timeout=10
    )
    primary = libsql.LibsqlDatabase(server.ws_url, timeout=10)
    notes = stores.NoteStore(db)
    Note = package.Note

    async def on_primary() -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await primary.fetch_all(ROWS, ())]

    async def caught_up() -> None:
        """Sync: reads are local now, the state in which a write was misrouted."""
        await db.sync()
        assert [tuple(r) for r in await db.fetch_all(ROWS, ())] == await on_primary()

    try:
        await package.create_schema(db)
        for ident, at in (("a", 1), ("b", 2), ("c", 10)):
            ok(await notes.insert(Note(id=ident, body=ident, updated_at=at), "r"))

        # :many UPDATE ... RETURNING *
        await caught_up()
        pinned = ok(await notes.pin_notes_before(20, 5, "r"))
        assert sorted((n.id, n.pinned, n.updated_at) for n in pinned) == [
            ("a", True, 20),
            ("b", True, 20),
        ]
        assert await on_primary() == [("a", "a", 1, 20), ("b", "b", 1, 20), ("c", "c", 0, 10)]
        assert [n.id for n in ok(await notes.pinned_notes("r"))] == ["a", "b"]  # read-your-writes

        # :many WITH ... UPDATE ... RETURNING (the statement starts with WITH)
        await caught_up()
        assert sorted(ok(await notes.unpin_notes_before(25, "r"))) == ["a", "b", "c"]
        assert [r[2] for r in await on_primary()] == [0, 0, 0]
        assert ok(await notes.pinned_notes("r")) == []

        # :one UPDATE ... RETURNING *
        await caught_up()
        touched = ok(await notes.touch_note(30, "c", "r"))
        assert (touched.id, touched.updated_at) == ("c", 30)
        assert (await on_primary())[2] == ("c", "c", 0, 30)
        assert ok(await notes.get_by_id("c", "r")).updated_at == 30

        # :one INSERT OR REPLACE ... RETURNING *
        await caught_up()
        replaced = ok(await notes.replace_note("b", "B", 40, "r"))
        assert (replaced.id, replaced.body, replaced.updated_at) == ("b", "B", 40)
        assert (await on_primary())[1] == ("b", "B", 0, 40)
        assert ok(await notes.get_by_id("b", "r")).body == "B"

        # :many DELETE ... RETURNING id
        await caught_up()
        assert sorted(ok(await notes.delete_notes_before(35, "r"))) == ["a", "c"]
        assert await on_primary() == [("b", "B", 0, 40)]
        assert [n.id for n in ok(await notes.list_all("r"))] == ["b"]

        # The local file never forked: after a sync it is the primary's.
        await caught_up()
    finally:
        await db.close()
        await primary.close()


async def test_writes_in_a_transaction_and_the_file_refuses_writes(
    package: ModuleType, sqld_factory: SqldFactory, tmp_path: Path
) -> None:
    server = sqld_factory()
    stores = importlib.import_module("rb_golden.libsql_replica")
    libsql = importlib.import_module("rb_golden._runtime.libsql")
    db = stores.LibsqlReplicaDatabase(
        tmp_path / "local.db", f"libsql://127.0.0.1:{server.http_port}?tls=0", timeout=10
    )
    primary = libsql.LibsqlDatabase(server.ws_url, timeout=10)
    notes = stores.NoteStore(db)
    try:
        await package.create_schema(db)
        ok(await notes.insert(package.Note(id="a", body="a", updated_at=1), "r"))
        await db.sync()

        # Inside the primary's transaction: the block sees its write, a rollback undoes it.
        with pytest.raises(RuntimeError, match="undo"):
            async with db.transaction():
                assert [n.id for n in ok(await notes.pin_notes_before(5, 2, "r"))] == ["a"]
                assert [n.id for n in ok(await notes.pinned_notes("r"))] == ["a"]
                raise RuntimeError("undo")
        assert [tuple(r) for r in await primary.fetch_all(ROWS, ())] == [("a", "a", 0, 1)]
        async with db.transaction():
            assert [n.id for n in ok(await notes.pin_notes_before(5, 2, "r"))] == ["a"]
        assert [tuple(r) for r in await primary.fetch_all(ROWS, ())] == [("a", "a", 1, 5)]
        assert [n.id for n in ok(await notes.pinned_notes("r"))] == ["a"]

        # The safety net: a write that reached the file's own connection is refused
        # by SQLite before it changes anything, so the file cannot fork.
        await db.sync()
        with pytest.raises(ValueError, match="readonly"):
            await db._read_thread(lambda conn: conn.execute("DELETE FROM notes").fetchall())
        assert [tuple(r) for r in await db.fetch_all(ROWS, ())] == [("a", "a", 1, 5)]
    finally:
        await db.close()
        await primary.close()
