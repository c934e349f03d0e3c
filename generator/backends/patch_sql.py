"""The fragments a `patch_by_<key>` UPDATE is joined from, per table and dialect.

A partial update writes only the columns the caller passes, so its text
depends on which ones: 2**n statements for n mutable columns, too many to
print. The generator prints the pieces instead (head, one SET fragment per
column, tail, with "\\x00" where a parameter goes); the runtime joins and
numbers them once per combination and caches the text (`_runtime/dynamic.py`).
Every piece comes from the same builder as `update`, so both write alike.
"""

from __future__ import annotations

from pypika.terms import Field

from . import sql
from .sql_terms import TableTerms
from ..render.views import TableView

MARK = "\x00"


def patch_parts(
    table: TableView,
    terms: TableTerms,
    style: str,
    real: frozenset[str],
    nocase: sql.Nocase,
    blobs: set[str],
) -> tuple[str, tuple[str, ...], str, str]:
    """(head, SET fragment per update column, tail, placeholder style) for `table`."""
    columns = [f.column for f in table.update_fields]
    full = sql.update_sql(
        terms,
        columns,
        table.key_columns,
        [f.column for f in table.fields],
        "marker",
        real,
        nocase,
        blobs,
    )
    head = f"UPDATE {terms.table.get_sql(quote_char=chr(34))} SET "
    sets = tuple(
        Field(c).get_sql(quote_char='"') + "=" + (f"CAST({MARK} AS BLOB)" if c in blobs else MARK)
        for c in columns
    )
    body = head + ",".join(sets)
    if not full.startswith(body):
        raise AssertionError(f"patch fragments of {table.name} do not rebuild its UPDATE")
    return head, sets, full[len(body) :], style
