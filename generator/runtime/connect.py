"""`connect(url)`: one entry point for a local SQLite file or a libSQL server.

The URL picks the backend, so application code is the same on both:

* a plain path, `sqlite:///relative.db`, `sqlite:////absolute.db`,
  `file:path.db` or `:memory:` → `SqliteDatabase` (aiosqlite, one shared
  connection per file);
* `libsql://host` (TLS; `libsql://host:port?tls=0` without), `ws://`,
  `wss://`, `http://`, `https://` → `LibsqlDatabase` (libsql-client);
* `postgresql://user@host:port/db` (or `postgres://`) → `PostgresDatabase`
  (an asyncpg pool);
* a libSQL URL with `replica=/path/local.db` (`libsql://host?replica=...`,
  optionally `&sync_interval=SECONDS`) → `LibsqlReplicaDatabase`, a Turso
  embedded replica: reads from that local file, writes to the primary.

Both drivers are imported only when a URL needs them, so importing the
package does not import aiohttp.
"""

from __future__ import annotations

import importlib
import os
import re
import urllib.parse
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .database import Database

__all__ = ["LOCAL_SCHEMES", "REMOTE_SCHEMES", "Connecting", "backend_for", "connect"]

LOCAL_SCHEMES = ("sqlite", "file")
REMOTE_SCHEMES = ("libsql", "ws", "wss", "http", "https")
POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def backend_for(url: str | os.PathLike[str]) -> str:
    """The backend for this URL or path: "sqlite", "libsql", "libsql_replica" or "postgres".

    ValueError if the scheme is unknown.
    """
    if not isinstance(url, str):
        return "sqlite"
    match = _SCHEME_RE.match(url)
    if match is None or len(match.group(1)) == 1:  # no scheme, or a drive letter (C:\)
        return "sqlite"
    scheme = match.group(1).lower()
    if scheme in LOCAL_SCHEMES:
        return "sqlite"
    if scheme in REMOTE_SCHEMES:
        query = urllib.parse.urlsplit(url).query
        replica = any(k == "replica" for k, _ in urllib.parse.parse_qsl(query))
        return "libsql_replica" if replica else "libsql"
    if scheme in POSTGRES_SCHEMES:
        return "postgres"
    known = ", ".join(f"{s}:" for s in (*LOCAL_SCHEMES, *REMOTE_SCHEMES, *POSTGRES_SCHEMES))
    raise ValueError(f"unknown database URL scheme {scheme!r} in {url!r}; use a path or {known}")


class Connecting:
    """What `connect()` returns: `await` it, or use it as `async with`.

    `await connect(url)` gives the database and leaves closing to you;
    `async with connect(url) as db:` closes it when the block ends.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def __await__(self) -> Generator[Any, None, Database]:
        return self._ready().__await__()

    async def _ready(self) -> Database:
        return self._db

    async def __aenter__(self) -> Database:
        return self._db

    async def __aexit__(self, *exc_info: object) -> None:
        await self._db.close()


def connect(
    url: str | os.PathLike[str],
    *,
    auth_token: str | None = None,
    timeout: float | None = None,
) -> Connecting:
    """Open a database by URL; every store class accepts what this returns.

    Args:
        url: A path or URL (see the module docstring).
        auth_token: For libSQL servers; falls back to `authToken=` in the URL,
            then LIBSQL_AUTH_TOKEN, then TURSO_AUTH_TOKEN. Ignored for files.
        timeout: Seconds per call before it fails as UNAVAILABLE (libSQL,
            default 10), or SQLite's busy timeout (default 5).

    Nothing is opened yet: the connection is made on first use, and a server
    that cannot be reached shows as UNAVAILABLE results, not as an exception.
    A malformed URL raises ValueError here.
    """
    backend = backend_for(url)
    options: dict[str, Any]
    if backend == "sqlite":
        sqlite = _runtime_module("sqlite", url)
        options = {} if timeout is None else {"busy_timeout_ms": int(timeout * 1000)}
        db = sqlite.SqliteDatabase.shared(url, **options)
    elif backend == "postgres":
        postgres = _runtime_module("postgres", url)  # imports asyncpg only now
        options = {} if timeout is None else {"timeout": timeout}
        db = postgres.PostgresDatabase.shared(str(url), **options)
    elif backend == "libsql_replica":
        replica = _runtime_module("libsql_replica", url)  # imports libsql-experimental now
        options = {} if timeout is None else {"timeout": timeout}
        db = replica.LibsqlReplicaDatabase.from_url(str(url), auth_token=auth_token, **options)
    else:
        libsql = _runtime_module("libsql", url)
        options = {} if timeout is None else {"timeout": timeout}
        db = libsql.LibsqlDatabase.shared(str(url), auth_token=auth_token, **options)
    return Connecting(cast("Database", db))


def _runtime_module(name: str, url: str | os.PathLike[str]) -> Any:
    """Import a backend's runtime module only now (libsql pulls in aiohttp)."""
    try:
        return importlib.import_module(f".{name}", __package__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.{name}":
            raise
        backend = "aiosqlite" if name == "sqlite" else name
        raise ValueError(
            f"{os.fspath(url)!r} needs the {backend} backend, which this package was "
            f"generated without (add it to [tool.storegen] backends)"
        ) from None
