"""Smoke-run the generated stores on an embedded SQLite file.

`make generate` runs this after regenerating: it brings a throwaway database
file to the schema with the embedded migrations (`migrate`, as an app does at
start-up), drives one client through insert → get → update → list → delete,
and prints what it did, so a broken generation shows at once.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from generated import OAuthClient, SuccessResult, migrate, schema_drift
from generated.aiosqlite import OAuthClientStore, SqliteDatabase


async def smoke(db_file: Path) -> None:
    db = SqliteDatabase(str(db_file))
    async with db:
        applied = await migrate(db)
        print(f"  migrate                    applied {', '.join(applied)}")
        if await migrate(db) or await schema_drift(db):
            raise SystemExit("smoke run failed: a second migrate() or schema_drift() found work")
        clients = OAuthClientStore(db)
        now = int(time.time())
        client = OAuthClient(
            id="smoke-client",
            client_identifier="smoke-app",
            client_secret="not-shown",
            is_confidential=True,
            redirect_uris="https://app.example/callback",
            grant_types="authorization_code",
            is_enabled=True,
            created_at=now,
            created_by="smoke",
            updated_at=now,
            updated_by="smoke",
        )
        steps = [
            ("insert", await clients.insert(client, "smoke-1")),
            (
                "get_by_client_identifier",
                await clients.get_by_client_identifier("smoke-app", "smoke-2"),
            ),
            ("update", await clients.update(replace(client, is_enabled=False), "smoke-3")),
            ("count_by_is_enabled", await clients.count_by_is_enabled(False, "smoke-4")),
            ("delete_by_id", await clients.delete_by_id("smoke-client", "smoke-5")),
            ("get_by_id after delete", await clients.get_by_id("smoke-client", "smoke-6")),
        ]
    expected_failures = {"get_by_id after delete"}
    for name, result in steps:
        if isinstance(result, SuccessResult):
            outcome = "ok" if name not in expected_failures else "UNEXPECTED success"
        elif name in expected_failures:
            outcome = f"ok ({result.error_code}, as expected)"
        else:
            outcome = f"failed ({result.error_code})"
        print(f"  {name:<26} {outcome}")
    broken = [n for n, r in steps if isinstance(r, SuccessResult) == (n in expected_failures)]
    if broken:
        raise SystemExit(f"smoke run failed at: {', '.join(broken)}")
    print(f"smoke: generated stores work on {db_file}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="storegen-smoke-") as folder:
        asyncio.run(smoke(Path(folder) / "smoke.db"))


if __name__ == "__main__":
    main()
