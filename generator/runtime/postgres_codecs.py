"""How values travel through asyncpg so that the shared codecs serve PostgreSQL too.

The row encoders and decoders in `_rows.py` are written once for every
backend and speak SQLite's storage forms: a datetime is canonical UTC text
(`2026-12-05 04:34:34[.ffffff]`), JSON is text. Each pooled connection is set
up to match:

* the session runs in UTC (`server_settings`), so text without an offset is
  read as UTC by a `timestamptz` column, and values print in UTC;
* `timestamptz` travels as text both ways: PostgreSQL's `+00` suffix is cut,
  leaving the canonical text the decoder parses fastest;
* `jsonb` is text in asyncpg already.

Queries of your own through `db.connection()` see timestamptz as that text too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SERVER_SETTINGS", "init_connection", "utc_text"]

SERVER_SETTINGS = {"timezone": "UTC"}


def utc_text(text: str) -> str:
    """PostgreSQL's UTC timestamptz text without its `+00`: the canonical form."""
    return text[:-3] if text.endswith("+00") else text


async def init_connection(conn: Any) -> None:
    """Run on every new pooled connection (asyncpg's `init`)."""
    await conn.set_type_codec(
        "timestamptz", schema="pg_catalog", encoder=str, decoder=utc_text, format="text"
    )
