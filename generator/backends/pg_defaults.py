"""SQLite expression DEFAULTs in PostgreSQL, kept exact or refused.

A DEFAULT expression runs twice on PostgreSQL: in the DDL, and in the insert
(`COALESCE($n, <default>)`). Plain transpiling keeps SQLite's functions
(`datetime('now')` does not exist there) or changes the stored text
(`CURRENT_TIMESTAMP` gains fractions and a zone). So only what can produce
the same value as SQLite is translated; the rest is refused with the column's
position.

Kept: constant expressions (numbers, strings, NULL, operators), blob
literals (`x'00ff'`, as bytea), SQLite's
clock (`CURRENT_TIMESTAMP`, `CURRENT_DATE`, `CURRENT_TIME`, `datetime('now')`,
`date('now')`, `time('now')`, `unixepoch()`, and `strftime(fmt, 'now')` with
%Y %m %d %H %M %S %f %s %%), all in UTC as SQLite's are.
"""

from __future__ import annotations

import re

from ..config import Options
from ..render.typemap import column_codec
from ..schema.ir import Table

__all__ = ["postgres_column_type", "postgres_default", "postgres_defaults"]

_NOW = "now() AT TIME ZONE 'UTC'"
_SECOND = "date_trunc('second', now())"
_EPOCH = "floor(extract(epoch FROM now()))::bigint"
_CLOCK = {
    "current_timestamp": "YYYY-MM-DD HH24:MI:SS",
    "datetime('now')": "YYYY-MM-DD HH24:MI:SS",
    "current_date": "YYYY-MM-DD",
    "date('now')": "YYYY-MM-DD",
    "current_time": "HH24:MI:SS",
    "time('now')": "HH24:MI:SS",
}
_STRFTIME = re.compile(r"strftime\('((?:[^']|'')*)','now'\)", re.IGNORECASE)
_FORMAT = {"Y": "YYYY", "m": "MM", "d": "DD", "H": "HH24", "M": "MI", "S": "SS", "f": "SS.MS"}
_BLOB = re.compile(r"[xX]'([0-9a-fA-F]*)'")
_SPACE_OUTSIDE_STRINGS = re.compile(r"('(?:[^']|'')*')|\s+")
_CONSTANT = re.compile(
    r"""(?:'(?:[^']|'')*'|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+|null|true|false|[-+*/%()|]|\s)+""",
    re.IGNORECASE | re.VERBOSE,
)


def postgres_default(sql: str, column_type: str) -> str | None:
    """PostgreSQL SQL giving the value SQLite's DEFAULT ``sql`` gives, or None.

    ``column_type`` is the column's PostgreSQL type: the clock's text fits a
    TEXT column, the epoch a BIGINT (or TEXT) one; a TIMESTAMPTZ column takes
    CURRENT_TIMESTAMP and datetime('now'), to the whole second as SQLite's.
    """
    text = sql.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    if _CONSTANT.fullmatch(text):  # typed, or COALESCE($n, '...') would make it text
        cast = {"JSONB": "::jsonb", "TIMESTAMPTZ": "::timestamptz"}.get(column_type, "")
        return f"({text}){cast}"
    blob = _BLOB.fullmatch(text)
    if blob and column_type == "BYTEA":
        return f"'\\x{blob.group(1)}'::bytea"
    compact = _SPACE_OUTSIDE_STRINGS.sub(lambda m: m.group(1) or "", text)
    lowered = _lower_outside_strings(compact)
    is_text = column_type == "TEXT"
    if column_type == "TIMESTAMPTZ":  # SQLite's clock has whole seconds
        return _SECOND if lowered in ("current_timestamp", "datetime('now')") else None
    epoch = _EPOCH + ("::text" if is_text else "")
    if lowered in _CLOCK and is_text:
        return f"to_char({_NOW}, '{_CLOCK[lowered]}')"
    if lowered in ("unixepoch()", "unixepoch('now')") and column_type in ("TEXT", "BIGINT"):
        return epoch
    match = _STRFTIME.fullmatch(compact)
    if match and match.group(1) == "%s" and column_type in ("TEXT", "BIGINT"):
        return epoch
    if match and is_text:
        return _strftime(match.group(1))
    return None


def _strftime(fmt: str) -> str | None:
    """to_char with SQLite's strftime format; None for a code it has no match for."""
    fmt = fmt.replace("''", "'")
    parts: list[str] = []
    literal = ""
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char != "%":
            literal += char
            i += 1
            continue
        code = fmt[i + 1 : i + 2]
        if code == "%":
            literal += "%"
        elif code in _FORMAT:
            if literal:
                parts.append('"' + literal.replace('"', '\\"') + '"')
                literal = ""
            parts.append(_FORMAT[code])
        else:
            return None
        i += 2
    if literal:
        parts.append('"' + literal.replace('"', '\\"') + '"')
    pattern = "".join(parts).replace("'", "''")
    return f"to_char({_NOW}, '{pattern}')"


def _balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r"'(?:[^']|'')*'", "''", text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _lower_outside_strings(text: str) -> str:
    return re.sub(r"('(?:[^']|'')*')|[^']+", lambda m: m.group(1) or m.group(0).lower(), text)


# Column type per codec: what the generated code sends for that codec.
POSTGRES_TYPES = {
    "int": "BIGINT",
    "bool": "BIGINT",
    "epoch_date": "BIGINT",
    "epoch_datetime": "BIGINT",
    "float": "DOUBLE PRECISION",
    "bytes": "BYTEA",
    "str": "TEXT",
    "decimal": "TEXT",
    "date": "TEXT",
    "datetime": "TIMESTAMPTZ",
    "json": "JSONB",
}


def postgres_defaults(table: Table, options: Options) -> dict[str, str]:
    """Each expression DEFAULT PostgreSQL can compute exactly, in PostgreSQL SQL."""
    found = {}
    for column in table.columns:
        if column.default is None:
            continue
        pg_type = postgres_column_type(table, column.name, options)
        # A literal of a type the text does not name is cast: `COALESCE($1, '{}')` is text.
        if not column.default.is_literal or pg_type in ("JSONB", "TIMESTAMPTZ"):
            translated = postgres_default(column.default.sql, pg_type)
            if translated is not None:
                found[column.name] = translated
    return found


def postgres_column_type(table: Table, column_name: str, options: Options) -> str:
    """The PostgreSQL type a column gets: what its codec sends."""
    codec = column_codec(table, table.column(column_name), options)
    return POSTGRES_TYPES.get(codec, "TEXT")
