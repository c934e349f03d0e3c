"""A user script calling every new query kind passes `mypy --strict` (issue 22).

The same run checks a second script with mistakes a type checker must catch:
a list where one value is expected, an order_by outside its Literal, a
patch keyword the table does not have, a wrong type for an IN-list's items.
(A str where a Sequence[str] is expected is a valid Sequence to mypy: the
runtime refuses it with INVALID_ARGUMENT; see the conformance tests.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

GOOD = """\
from __future__ import annotations

from generated.aiosqlite import AccessTokenStore, AuditLogStore, OAuthClientStore, DeviceCodeStore
from generated.models import AccessToken, AuditLog, OAuthClient, ListDeviceCodesWithUsersRow
from generated.results import Result


async def every_kind(
    clients: OAuthClientStore,
    tokens: AccessTokenStore,
    logs: AuditLogStore,
    devices: DeviceCodeStore,
) -> None:
    by_ids: Result[list[OAuthClient]] = await clients.list_clients_by_ids(["a", "b"], "r")
    revoked: Result[int] = await tokens.revoke_access_tokens_by_ids(1, "me", ("a",), "r")
    batch: Result[int] = await tokens.revoke_access_tokens_by_value([(1, "me", "t")], "r")
    page: Result[list[AccessToken]] = await tokens.search_access_tokens(
        "r", client_id="c", order_by="-expires_at", limit=10
    )
    if page.status and page.client_message:
        await tokens.search_access_tokens("r", after=page.client_message[-1])
    found: Result[list[AuditLog]] = await logs.search_audit_logs(
        "r", event_types=["token.issued"], since=3, order_by="created_at"
    )
    rows: Result[list[ListDeviceCodesWithUsersRow]] = await devices.list_device_codes_with_users("c", "r")
    if rows.status:
        for row in rows.client_message:
            name: str | None = row.oauth_user.external_id if row.oauth_user else None
            state: str = row.device_code.state
    patched: Result[OAuthClient] = await clients.patch_by_id("c", "r", scopes=None, is_enabled=True)
    print(by_ids, revoked, batch, found, patched, name, state)
"""

BAD = """\
from __future__ import annotations

from generated.aiosqlite import AccessTokenStore, AuditLogStore, OAuthClientStore


async def mistakes(clients: OAuthClientStore, tokens: AccessTokenStore, logs: AuditLogStore) -> None:
    await tokens.search_access_tokens("r", client_id=["a", "b"])  # BAD list for a scalar
    await tokens.search_access_tokens("r", order_by="title")  # BAD unknown order_by
    await logs.search_audit_logs("r", order_by="-id")  # BAD unknown order_by
    await clients.list_clients_by_ids([1, 2], "r")  # BAD ints for str ids
    await clients.patch_by_id("c", "r", created_at=5)  # BAD immutable column
    await clients.patch_by_id("c", "r", is_enabled="yes")  # BAD wrong type
    await tokens.revoke_access_tokens_by_value([("me", 1, "t")], "r")  # BAD tuple order
"""


def test_every_kind_type_checks_and_mistakes_do_not(tmp_path: Path) -> None:
    (tmp_path / "good_script.py").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad_script.py").write_text(BAD, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         str(tmp_path / "good_script.py"), str(tmp_path / "bad_script.py")],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    good = [line for line in errors if "good_script.py" in line]
    assert good == [], "\n".join(good)
    flagged = {int(m[1]) for line in errors if (m := re.search(r"bad_script\.py:(\d+):", line))}
    expected = {n for n, line in enumerate(BAD.splitlines(), start=1) if "# BAD" in line}
    assert flagged == expected, done.stdout
