"""Declared types one edit away from a type name: `INTERGER`, `TEXTT`, `BOLEAN`.

SQLite accepts any type name, and these still get an affinity (`INTERGER`
contains INT), so nothing fails: the column works by luck, or (`BOLEAN` →
NUMERIC) maps to another Python type than meant. `storegen generate` and
`check` print a warning; `--strict-types` (or `strict_types = true`) makes
it exit 2. A `type` override in config confirms a name on purpose.
"""

from __future__ import annotations

from ..config import Options
from ..errors import SchemaError
from ..schema.ir import Schema
from .typemap import base_type_name

__all__ = ["KNOWN_TYPE_NAMES", "near_miss_types"]

KNOWN_TYPE_NAMES = (
    "INTEGER", "INT", "TINYINT", "SMALLINT", "MEDIUMINT", "BIGINT", "INT2", "INT4", "INT8",
    "TEXT", "CHAR", "CHARACTER", "VARCHAR", "NCHAR", "NVARCHAR", "CLOB", "BLOB",
    "REAL", "DOUBLE", "FLOAT", "NUMERIC", "DECIMAL", "BOOLEAN", "BOOL",
    "DATE", "DATETIME", "TIMESTAMP", "TIME", "JSON", "UUID",
)  # fmt: skip
_KNOWN = frozenset(KNOWN_TYPE_NAMES)


def near_miss_types(schema: Schema, options: Options) -> list[SchemaError]:
    """One warning per column whose single-word type is one edit from a known name."""
    found = []
    for table in schema.tables:
        for column in table.columns:
            base = base_type_name(column.declared_type)
            if not base or " " in base or base in _KNOWN:
                continue
            override = options.table(table.name).columns.get(column.name)
            if override is not None and override.type is not None:
                continue
            close = [name for name in KNOWN_TYPE_NAMES if _one_edit(base, name)]
            if close:
                found.append(
                    SchemaError(
                        f"column {table.name}.{column.name}: declared type "
                        f"'{column.declared_type}' is not a type name; did you mean {close[0]}? "
                        f"(SQLite gives it {column.affinity.value} affinity)",
                        column.location,
                    )
                )
    return found


def _one_edit(a: str, b: str) -> bool:
    """True when one insertion, deletion, substitution or swap turns `a` into `b`."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
