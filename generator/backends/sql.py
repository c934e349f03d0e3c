"""SQL text for the generated stores, built once with PyPika at generation time.

Every statement uses placeholders only, never values. The placeholder style
comes from the backend (`?` for SQLite and libSQL, `$1` for asyncpg).
PyPika's PostgreSQL builder is used for every dialect because it is the one
that knows RETURNING and ON CONFLICT, and its output runs on SQLite too.
Column references in expressions (SELECT list, WHERE, ORDER BY, RETURNING)
are qualified, `"t"."col"`: SQLite reads an unknown bare `"col"` as the
string 'col' (its DQS quirk), so a database behind the code would answer
wrong data or no row, where `"t"."col"` fails "no such column", i.e.
SCHEMA_MISMATCH. INSERT column lists, SET targets and ON CONFLICT targets
stay bare: they cannot be qualified, and a missing one already fails.
Builders are made with `immutable=False`: each statement is built once and
never reused, so PyPika need not copy the query at every builder call. The
terms inside them (the table, its columns, its column lists) are one table's
`TableTerms` (sql_terms.py), built once and shared by that table's statements.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from pypika import Order, Parameter, PostgreSQLQuery, Tuple
from pypika import functions as fn
from pypika.terms import Criterion, LiteralValue, Term

from .sql_terms import Columns, TableTerms


class Placeholders:
    """Hands out placeholders in order: `?, ?` or `$1, $2`."""

    def __init__(self, style: str) -> None:
        self._style = style
        self._count = 0

    def next(self) -> Parameter:
        self._count += 1
        if self._style == "marker":  # numbered later, per combination (patch_sql.py)
            return _MARKER
        return _QMARK if self._style == "qmark" else Parameter(f"${self._count}")


# A parameter prints the same text wherever it is, and PyPika never changes one.
_QMARK, _MARKER = Parameter("?"), Parameter("\x00")


def _coalesce(mark: Term, default_sql: str) -> Term:
    coalesce: Term = fn.Coalesce(mark, LiteralValue(default_sql))  # type: ignore[no-untyped-call]
    return coalesce


class Nocase:
    """Columns compared case-insensitively, and how the dialect says so.

    SQLite: `"col" = ? COLLATE NOCASE` (the comparison's collation, which a
    NOCASE index serves). PostgreSQL has no NOCASE: `lower("col") = lower($1)`,
    which the DDL's `lower()` indexes serve.
    """

    def __init__(self, columns: Sequence[str] = (), *, lower: bool = False) -> None:
        self.columns = frozenset(columns)
        self.lower = lower

    def equal(self, table: TableTerms, column: str, mark: Term) -> Criterion:
        field = table.column(column)
        if column not in self.columns:
            return field == mark
        if self.lower:
            folded: Criterion = fn.Lower(field) == fn.Lower(mark)
            return folded
        return _CollateNocase(field, mark)


class _CollateNocase(Criterion):
    """`left=right COLLATE NOCASE`: SQLite compares with the explicit collation."""

    def __init__(self, left: Term, right: Term) -> None:
        super().__init__()
        self.left, self.right = left, right

    def nodes_(self) -> Iterator[Any]:
        yield self
        yield from self.left.nodes_()
        yield from self.right.nodes_()

    def get_sql(self, **kwargs: Any) -> str:
        return f"{self.left.get_sql(**kwargs)}={self.right.get_sql(**kwargs)} COLLATE NOCASE"


NO_NOCASE = Nocase()


def _where_equal(
    table: TableTerms,
    columns: Sequence[str],
    marks: Placeholders,
    nocase: Nocase = NO_NOCASE,
    blobs: Collection[str] = (),
) -> Criterion:
    criteria = [nocase.equal(table, c, _blob(marks.next(), c, blobs)) for c in columns]
    return Criterion.all(criteria)


def _returning(table: TableTerms, columns: Sequence[str], real_columns: frozenset[str]) -> Term:
    """RETURNING terms, working around SQLite 3.40's RETURNING affinity bug.

    When a table's first column has REAL affinity, SQLite 3.40 applies it to
    every RETURNING column, turning integers into (inexact) floats. Given the
    REAL columns of such a table, return the others as `+"col"` (an expression
    has no affinity) and the REAL ones as `CAST("col" AS REAL)`.
    """
    if not real_columns:
        return table.columns(columns)
    quoted = {c: table.column(c).get_sql(quote_char='"') for c in columns}
    return Columns(
        [
            LiteralValue(f"CAST({quoted[c]} AS REAL)" if c in real_columns else f"+{quoted[c]}")
            for c in columns
        ]
    )


def _blob(mark: Parameter, column: str, blobs: Collection[str]) -> Term:
    """`CAST(? AS BLOB)` for a column in `blobs`: stored as given, whatever its affinity."""
    return LiteralValue(f"CAST({mark.get_sql()} AS BLOB)") if column in blobs else mark


def _insert(
    table: TableTerms,
    columns: Sequence[str],
    defaults: dict[str, str],
    style: str,
    blobs: Collection[str] = (),
) -> Any:
    """INSERT INTO table (columns) VALUES (?...); an expression DEFAULT becomes
    `COALESCE(?, <default>)` so passing None applies the schema's default."""
    marks = Placeholders(style)
    values = [
        _coalesce(mark, defaults[column]) if column in defaults else mark
        for column, mark in ((column, _blob(marks.next(), column, blobs)) for column in columns)
    ]
    return (
        PostgreSQLQuery.into(table.table, immutable=False)
        .columns(table.columns(columns, bare=True))
        .insert(*values)
    )


def insert_sql(
    table: TableTerms,
    columns: Sequence[str],
    returning: Sequence[str],
    defaults: dict[str, str],
    style: str,
    real_columns: frozenset[str] = frozenset(),
    blobs: Collection[str] = (),
) -> str:
    """INSERT ... RETURNING the row as stored."""
    query = _insert(table, columns, defaults, style, blobs)
    return str(query.returning(_returning(table, returning, real_columns)))


def select_by_sql(
    table: TableTerms,
    columns: Sequence[str],
    keys: Sequence[str],
    style: str,
    nocase: Nocase = NO_NOCASE,
    blobs: Collection[str] = (),
) -> str:
    """SELECT the row whose `keys` equal the parameters."""
    marks = Placeholders(style)
    query = PostgreSQLQuery.from_(table.table, immutable=False).select(table.columns(columns))
    return str(query.where(_where_equal(table, keys, marks, nocase, blobs)))


def update_sql(
    table: TableTerms,
    set_columns: Sequence[str],
    keys: Sequence[str],
    returning: Sequence[str],
    style: str,
    real_columns: frozenset[str] = frozenset(),
    nocase: Nocase = NO_NOCASE,
    blobs: Collection[str] = (),
) -> str:
    """UPDATE the mutable columns of the row with `keys`, RETURNING it."""
    marks = Placeholders(style)
    query: Any = PostgreSQLQuery.update(table.table, immutable=False)
    for column in set_columns:
        query = query.set(table.bare(column), _blob(marks.next(), column, blobs))
    query = query.where(_where_equal(table, keys, marks, nocase, blobs))
    return str(query.returning(_returning(table, returning, real_columns)))


def delete_by_sql(
    table: TableTerms,
    keys: Sequence[str],
    style: str,
    nocase: Nocase = NO_NOCASE,
    blobs: Collection[str] = (),
) -> str:
    """DELETE the row whose `keys` equal the parameters."""
    marks = Placeholders(style)
    return str(
        PostgreSQLQuery.from_(table.table, immutable=False)
        .delete()
        .where(_where_equal(table, keys, marks, nocase, blobs))
    )


def count_by_sql(
    table: TableTerms,
    keys: Sequence[str],
    style: str,
    nocase: Nocase = NO_NOCASE,
    blobs: Collection[str] = (),
) -> str:
    """COUNT(*) of the rows whose `keys` equal the parameters (all rows if none)."""
    marks = Placeholders(style)
    query = PostgreSQLQuery.from_(table.table, immutable=False).select(fn.Count("*"))
    return str(query.where(_where_equal(table, keys, marks, nocase, blobs)) if keys else query)


def list_by_sql(
    table: TableTerms,
    columns: Sequence[str],
    keys: Sequence[str],
    order_by: Sequence[str],
    style: str,
    *,
    after: bool,
    nocase: Nocase = NO_NOCASE,
    rowless_order: Sequence[str] = (),
    blobs: Collection[str] = (),
) -> str:
    """One page of rows with `keys`, ordered by `order_by` (the primary key).

    With `after`, the page starts past a keyset cursor: `(pk...) > (?...)`.
    Without an `order_by` (no primary key), pages are by `LIMIT ? OFFSET ?` on
    rowid, or on `rowless_order` where there is no rowid (PostgreSQL).
    """
    marks = Placeholders(style)
    query: Any = PostgreSQLQuery.from_(table.table, immutable=False).select(table.columns(columns))
    criteria: list[Criterion] = [
        nocase.equal(table, c, _blob(marks.next(), c, blobs)) for c in keys
    ]
    if after and order_by:
        ordered = [table.column(c) for c in order_by]
        cursor = [_blob(marks.next(), c, blobs) for c in order_by]
        criteria.append(
            ordered[0] > cursor[0] if len(ordered) == 1 else Tuple(*ordered) > Tuple(*cursor)
        )
    if criteria:
        query = query.where(Criterion.all(criteria))
    if order_by:
        return str(
            query.orderby(*[table.column(c) for c in order_by], order=Order.asc).limit(marks.next())
        )
    if rowless_order:
        query = query.orderby(*[table.column(c) for c in rowless_order], order=Order.asc)
    else:
        query = query.orderby(LiteralValue("rowid"))
    query = query.limit(marks.next())
    return str(query.offset(marks.next()))


def insert_many_sql(
    table: TableTerms,
    columns: Sequence[str],
    defaults: dict[str, str],
    style: str,
    blobs: Collection[str] = (),
) -> str:
    """The INSERT of `insert_sql` without RETURNING, for executemany."""
    query = _insert(table, columns, defaults, style, blobs)
    return str(query)


def upsert_sql(
    table: TableTerms,
    columns: Sequence[str],
    keys: Sequence[str],
    set_columns: Sequence[str],
    returning: Sequence[str],
    defaults: dict[str, str],
    style: str,
    real_columns: frozenset[str] = frozenset(),
    blobs: Collection[str] = (),
) -> str:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET <mutable columns> ... RETURNING.

    Only `set_columns` are taken from the new row, so immutable columns
    (created_at, created_by) keep what the first insert stored.
    """
    query = _insert(table, columns, defaults, style, blobs)
    query = query.on_conflict(*[table.bare(c) for c in keys])
    for column in set_columns:
        query = query.do_update(table.bare(column))
    return str(query.returning(_returning(table, returning, real_columns)))


def quote_identifier(identifier: str) -> str:
    """`"name"`, with embedded quotes doubled: SQLite and PostgreSQL read it alike."""
    return '"' + identifier.replace('"', '""') + '"'


def sql_string(text: str) -> str:
    """`'text'`, with embedded quotes doubled: a string literal in either dialect."""
    return "'" + text.replace("'", "''") + "'"
