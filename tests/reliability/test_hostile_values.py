"""Hostile text values are data, never SQL: stored and read back verbatim.

Quotes, semicolons, SQL fragments, NUL bytes, 1 MB strings, emoji, bidi
controls and Unicode line separators go into key, unique and plain text
columns through the stores, come back equal from every read path (get by
key, get by unique column, list, keyset paging), and every table still
exists afterwards. Values SQLite cannot bind (lone surrogates, integers past
64 bits) fail as a FailedResult, never as an exception or a half write.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from ._support import FIGURES

from generated.aiosqlite import AuditLogStore, OAuthClientStore, SqliteDatabase  # noqa: E402
from generated.models import AuditLog, OAuthClient  # noqa: E402
from generated.results import FailedResult, SuccessResult  # noqa: E402
from generated.schema import SCHEMA_STATEMENTS, create_schema  # noqa: E402

HOSTILE = [
    "'",
    '"',
    "''; --",
    "'; DROP TABLE oauth_clients; --",
    '"; DROP TABLE "oauth_clients"; --',
    "1; DELETE FROM oauth_audit_logs WHERE 1=1",
    "') OR ('1'='1",
    "Robert'); DROP TABLE students;--",
    "a\x00b",
    "\x00",
    "trailing nul\x00",
    "\x00\x00\x00 three nuls",
    "x" * (1024 * 1024),
    "é" * (512 * 1024),  # 1 MB of UTF-8 too
    "emoji 😀🔥👩‍👩‍👧‍👦 🇺🇦",
    "line\u2028separator\u2029paragraph\x85nel",
    "cr\rlf\n\r\ncrlf",
    "bidi \u202e reversed \u202c and zero\u200bwidth",
    "tab\tbackslash\\ percent% underscore_ star* question?",
    "%s %d {0} {name} $1 :name ?1 ?",
    "SELECT * FROM oauth_clients",
    "\ufeffBOM at the start",
    "",
    " ",
]


def client(ident: str, text: str) -> OAuthClient:
    return OAuthClient(
        id=ident,
        client_identifier=text,
        client_secret=text,
        is_confidential=False,
        redirect_uris=text,
        grant_types=text,
        scopes=text,
        is_enabled=True,
        created_at=1,
        created_by=text,
        updated_at=1,
        updated_by=text,
    )


async def scenario(path: Path) -> int:
    checks = 0
    async with SqliteDatabase(path) as db:
        await create_schema(db)
        clients, audit = OAuthClientStore(db), AuditLogStore(db)
        for n, text in enumerate(HOSTILE):
            # As a primary key, as a unique key and in every other text column.
            as_key = client(text, f"ident-{n}")
            as_unique = client(f"id-{n}", text)
            for row in (as_key, as_unique):
                inserted = await clients.insert(row, "ray")
                assert isinstance(inserted, SuccessResult), (n, inserted)
                assert inserted.client_message == row, n
            got = await clients.get_by_id(text, "ray")
            assert isinstance(got, SuccessResult) and got.client_message == as_key, n
            got = await clients.get_by_client_identifier(text, "ray")
            assert isinstance(got, SuccessResult) and got.client_message == as_unique, n
            changed = dataclasses.replace(as_key, scopes=text + text, updated_by=text[::-1])
            updated = await clients.update(changed, "ray")
            assert isinstance(updated, SuccessResult) and updated.client_message == changed, n
            log = AuditLog(
                id=text,
                event_type=text,
                subject=text,
                client_id=text,
                user_id=text,
                metadata=text,
                created_at=0,
                created_by=text,
                updated_at=0,
                updated_by=text,
            )
            assert (await audit.insert(log, "ray")).client_message == log, n
            assert (await audit.get_by_id(text, "ray")).client_message == log, n
            listed = await audit.list_by_event_type(text, "ray")
            assert isinstance(listed, SuccessResult) and listed.client_message == [log], n
            checks += 8
        # Keyset paging walks past every hostile key without skipping one.
        seen, after = [], None
        while True:
            page = await clients.list_all("ray", limit=5, after=after)
            assert isinstance(page, SuccessResult)
            seen += page.client_message
            if len(page.client_message) < 5:
                break
            after = seen[-1].id
        assert len(seen) == 2 * len(HOSTILE) == (await clients.count_all("ray")).client_message
        assert sorted(r.id for r in seen) == sorted(
            [*HOSTILE, *(f"id-{n}" for n in range(len(HOSTILE)))]
        )
        # Every table is still there, with the rows we wrote.
        tables = {
            row[0]
            for row in await db.fetch_all("SELECT name FROM sqlite_master WHERE type='table'", ())
        }
        assert {
            s.split("EXISTS ")[1].split(" ")[0]
            for s in SCHEMA_STATEMENTS
            if s.startswith("CREATE TABLE")
        } <= tables
        assert (await audit.count_all("ray")).client_message == len(HOSTILE)
        assert await db.fetch_one("PRAGMA integrity_check", ()) == ("ok",)
    return checks


def test_hostile_text_round_trips_verbatim(tmp_path: Path) -> None:
    checks = asyncio.run(scenario(tmp_path / "hostile.db"))
    FIGURES["hostile values: values stored and read back"] = len(HOSTILE)
    print(f"hostile values: {len(HOSTILE)} values, {checks} checks, every table intact")


@pytest.mark.parametrize(
    "row",
    [
        client("lone-surrogate", "bad \ud800 text"),
        dataclasses.replace(client("too-big", "x"), created_at=2**63),
        dataclasses.replace(client("too-small", "x"), created_at=-(2**63) - 1),
    ],
    ids=["lone-surrogate", "int-past-64-bits", "int-below-64-bits"],
)
def test_unbindable_values_fail_cleanly_and_write_nothing(tmp_path: Path, row: OAuthClient) -> None:
    async def scenario() -> None:
        async with SqliteDatabase(tmp_path / "unbindable.db") as db:
            await create_schema(db)
            store = OAuthClientStore(db)
            result = await store.insert(row, "ray")
            assert isinstance(result, FailedResult), result
            assert (await store.count_all("ray")).client_message == 0

    asyncio.run(scenario())
