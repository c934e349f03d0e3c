"""examples/wsgi_app.py: a plain-WSGI app on the sync stores, served by threads.

Runs the example's own threaded wsgiref server on loopback and drives it over
HTTP from 8 client threads at once: created clients are read back, a
duplicate is 409 with a client-safe message, a missing one 404, and the
listing holds every client created. mypy --strict accepts the example.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from examples.wsgi_app import serve

REPO = Path(__file__).resolve().parent.parent


def call(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_threaded_wsgi_app_on_one_sync_database(tmp_path: Path) -> None:
    server = serve(str(tmp_path / "app.db"), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:

        def client_session(n: int) -> list[str]:
            made = []
            for i in range(10):
                ident = f"c{n}-{i}"
                body = {
                    "id": ident,
                    "client_identifier": f"app-{ident}",
                    "redirect_uris": "https://app/cb",
                    "grant_types": "authorization_code",
                }
                status, created = call(base, "POST", "/clients", body)
                assert status == 201, created
                assert created["client_identifier"] == f"app-{ident}"
                status, read = call(base, "GET", f"/clients/{ident}")
                assert (status, read) == (200, created)
                made.append(ident)
            status, again = call(base, "POST", "/clients", {**body, "id": f"x{n}"})
            assert status == 409 and again["error"] == "ALREADY_EXISTS", again
            assert "client_identifier" in again["message"]
            return made

        with ThreadPoolExecutor(8) as pool:
            made = [ident for batch in pool.map(client_session, range(8)) for ident in batch]
        status, missing = call(base, "GET", "/clients/nobody")
        assert status == 404 and missing["error"] == "NOT_FOUND"
        status, listed = call(base, "GET", "/clients?limit=500")
        assert status == 200 and sorted(c["id"] for c in listed) == sorted(made)
        assert call(base, "POST", "/clients", {"id": "only"})[0] == 400
    finally:
        server.shutdown()
        server.server_close()


def test_the_example_passes_mypy_strict() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "examples/wsgi_app.py"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
