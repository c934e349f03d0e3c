"""A plain-WSGI app on the sync stores: no framework, no event loop, threads.

    python -m examples.wsgi_app --db app.db --port 8000

    curl -X POST localhost:8000/clients -d '{"id": "c1", "client_identifier": "my-app",
         "redirect_uris": "https://app/cb", "grant_types": "authorization_code"}'
    curl localhost:8000/clients/c1
    curl 'localhost:8000/clients?limit=10'

The server is the standard library's wsgiref, one thread per request (as
Flask's threaded server or gunicorn's gthread workers run an app): every
thread shares ONE `SyncSqliteDatabase`, which is safe (see "Sync or async"
in docs/usage.md). Any WSGI server can serve `make_app(path)` instead.
A FailedResult becomes an HTTP status and its client-safe message.
"""

from __future__ import annotations

import argparse
import json
import socketserver
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIServer, make_server

from generated import ErrorCode, FailedResult, OAuthClient, Result
from generated.sqlite3 import OAuthClientStore, SyncSqliteDatabase, migrate

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_STATUS = {
    ErrorCode.NOT_FOUND: "404 Not Found",
    ErrorCode.ALREADY_EXISTS: "409 Conflict",
    ErrorCode.INVALID_DATA: "400 Bad Request",
    ErrorCode.CHECK_VIOLATION: "400 Bad Request",
    ErrorCode.NOT_NULL_VIOLATION: "400 Bad Request",
    ErrorCode.UNAVAILABLE: "503 Service Unavailable",
}


def client_json(client: OAuthClient) -> dict[str, object]:
    """What the API shows of a client: never its secret."""
    return {
        "id": client.id,
        "client_identifier": client.client_identifier,
        "redirect_uris": client.redirect_uris,
        "grant_types": client.grant_types,
        "is_enabled": client.is_enabled,
    }


def make_app(db_path: str) -> WsgiApp:
    """The WSGI callable: migrates the database once, then serves /clients."""
    db = SyncSqliteDatabase.shared(db_path)
    migrate(db)  # at start-up, as an app does; a no-op when current
    clients = OAuthClientStore(db)

    def respond(start: StartResponse, status: str, body: object) -> list[bytes]:
        data = json.dumps(body).encode()
        start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def result_response(
        start: StartResponse, result: Result[Any], ok: str, show: Any
    ) -> list[bytes]:
        if isinstance(result, FailedResult):
            status = _STATUS.get(result.error_code, "500 Internal Server Error")
            error = {"error": result.error_code.value, "message": result.client_message}
            return respond(start, status, {**error, "ray_id": result.ray_id})
        return respond(start, ok, show(result.client_message))

    def app(environ: dict[str, Any], start: StartResponse) -> list[bytes]:
        ray_id = environ.get("HTTP_X_REQUEST_ID") or f"req-{time.monotonic_ns()}"
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path == "/clients" and method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                fields = json.loads(environ["wsgi.input"].read(size) or b"{}")
                now = int(time.time())
                client = OAuthClient(
                    id=str(fields["id"]),
                    client_identifier=str(fields["client_identifier"]),
                    client_secret=None,
                    is_confidential=False,
                    redirect_uris=str(fields["redirect_uris"]),
                    grant_types=str(fields["grant_types"]),
                    is_enabled=True,
                    created_at=now,
                    created_by="wsgi",
                    updated_at=now,
                    updated_by="wsgi",
                )
            except (ValueError, KeyError, TypeError):
                return respond(start, "400 Bad Request", {"error": "bad JSON body"})
            return result_response(
                start, clients.insert(client, ray_id), "201 Created", client_json
            )
        if path.startswith("/clients/") and method == "GET":
            found = clients.get_by_id(path.removeprefix("/clients/"), ray_id)
            return result_response(start, found, "200 OK", client_json)
        if path == "/clients" and method == "GET":
            limit = int(environ.get("QUERY_STRING", "").partition("limit=")[2] or 100)
            listed = clients.list_all(ray_id, limit=limit)
            return result_response(start, listed, "200 OK", lambda cs: [client_json(c) for c in cs])
        return respond(start, "404 Not Found", {"error": "no such route"})

    return app


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per request."""

    daemon_threads = True


def serve(db_path: str, host: str = "127.0.0.1", port: int = 8000) -> WSGIServer:
    """A threaded server for the app (call serve_forever() on it)."""
    return make_server(host, port, make_app(db_path), server_class=ThreadingWSGIServer)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="app.db")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    server = serve(args.db, args.host, args.port)
    print(f"serving {args.db} on http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
