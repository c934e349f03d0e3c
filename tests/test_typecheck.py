"""`mypy --strict` passes on the generator and on the committed generated package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_mypy_strict() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "generated", "generator"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"mypy --strict generated generator:\n{done.stdout}{done.stderr}"


SYNC_USER_SCRIPT = '''\
"""A user's script on the sync stores: no await, the same models and results."""

from __future__ import annotations

import sys

from generated import AccessToken, ErrorCode, FailedResult, OAuthClient, SuccessResult
from generated.sqlite3 import AccessTokenStore, OAuthClientStore, SyncSqliteDatabase, migrate
from generated.sync_contracts import ClientTable


def newest_scopes(tokens: AccessTokenStore, client_id: str) -> list[str | None]:
    listed = tokens.list_by_client_id(client_id, "ray-1", limit=10)
    if isinstance(listed, FailedResult):
        return []
    return [token.scopes for token in listed.client_message]


def register(clients: ClientTable, client: OAuthClient) -> str:
    result = clients.insert(client, "ray-2")
    if isinstance(result, SuccessResult):
        return result.client_message.client_identifier
    assert result.error_code is not ErrorCode.NOT_FOUND
    return result.client_message or ""


def main(path: str) -> int:
    db = SyncSqliteDatabase(path)
    applied: list[str] = migrate(db)
    with db.transaction():
        count = OAuthClientStore(db).count_all("ray-3")
    token: AccessToken | None = None
    print(applied, count, token, newest_scopes(AccessTokenStore(db), "c"))
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
'''


def test_mypy_strict_on_a_user_script_of_the_sync_stores(tmp_path: Path) -> None:
    """The sync package types a user's script exactly; an `await` on it is an error."""
    good = tmp_path / "sync_user.py"
    good.write_text(SYNC_USER_SCRIPT, encoding="utf-8")
    bad = tmp_path / "sync_user_bad.py"
    bad.write_text(
        SYNC_USER_SCRIPT
        + "\n\nasync def wrong(store: OAuthClientStore) -> None:\n"
        + '    await store.count_all("r")\n',
        encoding="utf-8",
    )
    env = {**os.environ, "MYPYPATH": str(REPO)}
    for script, expect_ok in ((good, True), (bad, False)):
        done = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
            cwd=REPO, capture_output=True, text=True, env=env,
        )  # fmt: skip
        assert (done.returncode == 0) is expect_ok, f"{script.name}:\n{done.stdout}{done.stderr}"
    assert 'Incompatible types in "await"' in done.stdout, done.stdout
