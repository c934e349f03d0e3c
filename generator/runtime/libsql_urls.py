"""What a libSQL URL and an SQL script mean, before anything is sent.

`normalize_url` checks a URL and maps `libsql://` to the WebSocket scheme
libsql-client speaks; `parse_replica_url` takes an embedded replica's
`replica=` and `sync_interval=` off a URL; the auth token comes from the URL, the caller or the
environment; `split_script` cuts a script into statements the way SQLite's
own tokenizer does (HTTP batches need one statement per entry).
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse

TOKEN_ENV_VARS = ("LIBSQL_AUTH_TOKEN", "TURSO_AUTH_TOKEN")
_WS_SCHEMES = ("ws", "wss")
_HTTP_SCHEMES = ("http", "https")


def normalize_url(url: str) -> tuple[str, str | None]:
    """Check a remote URL; return the URL libsql-client gets and any `authToken`.

    `libsql://host` means `wss://host`; `libsql://host:port?tls=0` means
    `ws://host:port` (a local server without TLS). `ws`, `wss`, `http` and
    `https` pass through. Raises ValueError for anything else.
    """
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("libsql", *_WS_SCHEMES, *_HTTP_SCHEMES):
        raise ValueError(
            f"not a libSQL URL (want libsql://, ws://, wss://, http:// or https://): {url!r}"
        )
    if not parts.hostname:
        raise ValueError(f"libSQL URL without a host: {url!r}")
    if parts.fragment:
        raise ValueError(f"libSQL URL with a #fragment: {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"libSQL URL with a bad port: {url!r}") from None
    tls: bool | None = None
    token: str | None = None
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if key == "tls" and value in ("0", "1"):
            tls = value == "1"
        elif key == "authToken":
            token = value or None
        else:
            raise ValueError(f"unsupported libSQL URL parameter {key}={value!r} (want tls=0|1)")
    if scheme == "libsql":
        if tls is False and port is None:
            raise ValueError(f"libsql://...?tls=0 needs an explicit port: {url!r}")
        scheme = "ws" if tls is False else "wss"
    elif tls is not None and tls != scheme.endswith("s"):
        raise ValueError(f"?tls={int(tls)} contradicts the {scheme}:// scheme: {url!r}")
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path, "", "")), token


def parse_replica_url(url: str) -> tuple[str, str, float | None]:
    """`libsql://host?replica=/path/local.db[&sync_interval=S]` → (path, primary URL, interval).

    Any libSQL scheme works (`libsql`, `ws(s)`, `http(s)`), with `tls=0` and
    `authToken=` as for `LibsqlDatabase`; the primary URL keeps those.
    """
    parts = urllib.parse.urlsplit(url)
    kept: list[tuple[str, str]] = []
    path: str | None = None
    interval: float | None = None
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if key == "replica":
            path = value
        elif key == "sync_interval":
            try:
                interval = float(value)
            except ValueError:
                raise ValueError(f"sync_interval must be seconds: {url!r}") from None
        else:
            kept.append((key, value))
    if not path:
        raise ValueError(f"replica URL without replica=/path/local.db: {url!r}")
    query = urllib.parse.urlencode(kept)
    primary = urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, parts.path, query, parts.fragment)
    )
    return path, primary, interval


def split_script(script: str) -> list[str]:
    """Split an SQL script into statements, the way SQLite's own tokenizer sees them.

    `sqlite3.complete_statement` knows about strings, comments and trigger
    bodies (`BEGIN ... ; ... END`), so a `;` inside any of them never splits.
    Empty statements and comment-only text are dropped; an unterminated last
    statement is kept (the server reports it).
    """
    statements: list[str] = []
    current = ""
    for piece in script.split(";"):
        current = f"{current};{piece}" if current else piece
        if sqlite3.complete_statement(current + ";"):
            if _has_sql(current):
                statements.append(current.strip())
            current = ""
    if _has_sql(current):
        statements.append(current.strip())
    return statements


def _has_sql(text: str) -> bool:
    """Whether `text` holds anything but whitespace, `;` and comments."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == ";":
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            return True
    return False


def _env_token() -> str | None:
    for name in TOKEN_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value
    return None
