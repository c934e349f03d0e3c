"""One table's PyPika terms, built once and shared by every statement of that table.

A table's SELECT list is the same in each of its get and list (page)
statements, its RETURNING list the same in insert, update, upsert and patch,
and its INSERT column list the same in insert, insert_many and upsert.
Building them per statement made PyPika print (and, for RETURNING, check)
the same columns a dozen times per table. Here each column is one term, and
each list of columns one `Columns` term that prints once per set of printing
options. Everything is per `TableTerms` instance, made per table (and per
dialect and placeholder style) in `store_sql.table_statements`: nothing is
shared between tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pypika import Table
from pypika.terms import Field, LiteralValue, Term


class _Table(Table):
    """A Table whose hash is computed once.

    PyPika hashes a table by printing it, and checks every RETURNING term
    against the written table with sets of tables: a few prints per column.
    These tables are never renamed nor aliased once built, so the hash stays.
    """

    _hash: int | None = None

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = super().__hash__()
        return self._hash


class Qualified(Field):
    """A column as `"table"."column"` wherever it is printed (see `sql`'s module docstring).

    PyPika namespaces fields only in queries with joins; this one always is.
    Its hash (PyPika prints a field to hash it, and hashes every field of a
    WHERE to check its tables) is computed once: the column is never renamed,
    aliased nor moved to another table once built.
    """

    _hash: int | None = None

    def get_sql(self, secondary_quote_char: str = "'", **kwargs: Any) -> str:
        kwargs["with_namespace"] = True
        return super().get_sql(secondary_quote_char=secondary_quote_char, **kwargs)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = super().__hash__()
        return self._hash


class Columns(Term):
    """Several columns as one term, printed as PyPika prints a list of terms: each
    with the options it passes, joined by "," (SELECT, RETURNING, INSERT column lists).

    Its text is kept per `quote_char` and truth of `with_namespace`, the only
    options a column (a `Field`, or a `LiteralValue` expression) without an
    alias prints from (pypika/terms.py: `Field.get_sql`; the other options go
    to `format_alias_sql`, which returns the text as is without an alias). The
    columns are never changed once built, so the SQL is what PyPika prints for
    them one by one, printed once per table. `with_namespace` is keyed by its
    truth value: an UPDATE's RETURNING passes it as a bound method of the
    query (`self._update_table and self.from_`, pypika/dialects.py).
    `nodes_` shows PyPika every column; the fields and tables its checks ask
    for are computed once.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        super().__init__()
        if not all(isinstance(t, (Field, LiteralValue)) and t.alias is None for t in terms):
            raise TypeError("Columns holds columns (or expressions) without an alias")
        self.terms = tuple(terms)
        self._printed: dict[tuple[str | None, bool], str] = {}
        self._fields: set[Field] | None = None
        self._tables: set[Table] | None = None

    def nodes_(self) -> Iterator[Any]:
        yield self
        for term in self.terms:
            yield from term.nodes_()

    @property
    def tables_(self) -> set[Table]:
        if self._tables is None:
            self._tables = set(self.find_(Table))
        return self._tables

    def fields_(self) -> set[Field]:
        """One field per table: PyPika's checks of a term's fields (a RETURNING list's,
        a WHERE's) read only each field's table and the term's tables, so one field per
        table gets the same verdict as every field, in one pass instead of one per column."""
        if self._fields is None:
            by_table = {id(f.table): f for f in self.find_(Field)}
            self._fields = set(by_table.values())
        return self._fields

    def get_sql(self, **kwargs: Any) -> str:
        key = (kwargs.get("quote_char"), bool(kwargs.get("with_namespace")))
        text = self._printed.get(key)
        if text is None:
            text = self._printed[key] = ",".join(term.get_sql(**kwargs) for term in self.terms)
        return text


class TableTerms:
    """One table's PyPika `Table`, its columns and its lists of columns, each built once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.table: Table = _Table(name)
        self._qualified: dict[str, Qualified] = {}
        self._bare: dict[str, Field] = {}
        self._lists: dict[tuple[bool, tuple[str, ...]], Columns] = {}

    def column(self, column: str) -> Field:
        """`column` for an expression: qualified, so never a string literal."""
        field = self._qualified.get(column)
        if field is None:
            field = self._qualified[column] = Qualified(column, table=self.table)
        return field

    def bare(self, column: str) -> Field:
        """`column` for an INSERT column list, a SET target or an ON CONFLICT target."""
        field = self._bare.get(column)
        if field is None:
            field = self._bare[column] = self.table.field(column)
        return field

    def columns(self, columns: Sequence[str], *, bare: bool = False) -> Columns:
        """The qualified (or bare) columns as one list term."""
        key = (bare, tuple(columns))
        listed = self._lists.get(key)
        if listed is None:
            pick = self.bare if bare else self.column
            listed = self._lists[key] = Columns([pick(c) for c in columns])
        return listed
