"""The typed intermediate representation between parsing and rendering.

Plain, frozen data, with no sqlglot and no Jinja: `schema/parse.py` builds it,
`render/context.py` reads it, and ``to_json`` lets ``storegen inspect`` show
exactly what the generator understood.

The classes have no `__slots__`: the schema is parsed in a child process and
sent back pickled (generator/background.py), and slotted frozen dataclasses
pickle through Python-level `__getstate__`/`__setstate__`, 2-3x slower.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from ..records import record


class Affinity(enum.StrEnum):
    """SQLite column affinity (https://sqlite.org/datatype3.html §3.1)."""

    INTEGER = "INTEGER"
    TEXT = "TEXT"
    BLOB = "BLOB"
    REAL = "REAL"
    NUMERIC = "NUMERIC"


class FkAction(enum.StrEnum):
    """What the database does to a child row when its parent changes."""

    NO_ACTION = "NO ACTION"
    RESTRICT = "RESTRICT"
    CASCADE = "CASCADE"
    SET_NULL = "SET NULL"
    SET_DEFAULT = "SET DEFAULT"


@record
class Location:
    """A 1-based position in a schema file, for error messages."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@record
class Default:
    """A column DEFAULT: its SQL text, and its Python value when it is a literal.

    ``is_literal`` distinguishes ``DEFAULT NULL`` (literal, value None) from an
    expression such as ``DEFAULT (strftime('%s','now'))`` (not a literal).
    """

    sql: str
    is_literal: bool
    value: int | float | str | None = None


@record
class Column:
    """One column as declared, plus what SQLite itself reported about it."""

    name: str
    declared_type: str
    affinity: Affinity
    not_null: bool
    location: Location
    default: Default | None = None
    check_in: tuple[int | str, ...] | None = None
    json_check: bool = False  # CHECK (json_valid(col)): the column holds JSON text
    generated: bool = False
    hidden: bool = False
    autoincrement: bool = False
    comment: str | None = None
    secret: bool = False
    collation: str | None = None  # COLLATE name, upper-cased: NOCASE, RTRIM, BINARY
    renamed_from: str | None = None  # `-- @renamed-from old`, for `storegen migrate`
    backfill: str | None = None  # `-- @backfill EXPR`, for `storegen migrate`


@record
class PrimaryKey:
    """The table's primary key; ``rowid_alias`` is true for INTEGER PRIMARY KEY."""

    columns: tuple[str, ...]
    rowid_alias: bool = False
    autoincrement: bool = False
    nocase: tuple[str, ...] = ()  # key columns SQLite compares with NOCASE


@record
class UniqueKey:
    """A UNIQUE constraint, from a column, the table, or a UNIQUE INDEX."""

    columns: tuple[str, ...]
    origin: str  # "column" | "table" | "index"
    name: str | None = None
    # Key columns whose uniqueness (and so lookup) is case-insensitive: the key
    # list says COLLATE NOCASE, or says nothing and the column is NOCASE.
    nocase: tuple[str, ...] = ()


@record
class ForeignKey:
    """A foreign key with its actions, already resolved to the parent's key."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: FkAction = FkAction.NO_ACTION
    on_update: FkAction = FkAction.NO_ACTION
    name: str | None = None


@record
class Index:
    """A CREATE INDEX; ``columns`` lists its plain columns (``expression``: it has others too)."""

    name: str
    columns: tuple[str, ...]
    sql: str
    unique: bool = False
    where: str | None = None
    expression: bool = False  # an expression is indexed: created as written, no lookup key


@record
class Table:
    """One CREATE TABLE, with its constraints, indexes and directives."""

    name: str
    columns: tuple[Column, ...]
    location: Location
    sql: str
    primary_key: PrimaryKey | None = None
    unique_keys: tuple[UniqueKey, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    comment: str | None = None
    append_only: bool = False
    without_rowid: bool = False
    strict: bool = False
    # "INSERT" / "UPDATE": events whose AFTER triggers write this table's rows
    # (RETURNING cannot see those writes, so the stores read the row back).
    rewritten_after: tuple[str, ...] = ()
    renamed_from: str | None = None  # `-- @renamed-from old`, for `storegen migrate`

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (case-insensitive, as in SQLite)."""
        for col in self.columns:
            if col.name.lower() == name.lower():
                return col
        raise KeyError(name)


@record
class View:
    """A CREATE VIEW, created as written once the objects it reads exist.

    ``columns`` are the view's result columns as SQLite reports them
    (declared type from the column they come from, if any); ``depends_on``
    names the tables, views and virtual tables its SELECT mentions.
    """

    name: str
    sql: str
    location: Location
    depends_on: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    comment: str | None = None


@record
class Trigger:
    """A user's CREATE TRIGGER, created as written after the tables and views.

    ``table`` is the table or view it fires on; ``depends_on`` every table,
    view or virtual table its text mentions (the ON table included).
    """

    name: str
    table: str
    sql: str
    location: Location
    depends_on: tuple[str, ...] = ()


@record
class VirtualTable:
    """A CREATE VIRTUAL TABLE ... USING fts5(...): the one module storegen carries.

    ``content`` is the external-content table (``content='notes'``), ``""``
    for a contentless table (``content=''``), None when the table holds its
    own text; ``columns`` are the indexed columns, in order.
    """

    name: str
    module: str
    sql: str
    location: Location
    columns: tuple[str, ...] = ()
    content: str | None = None
    content_rowid: str | None = None
    depends_on: tuple[str, ...] = ()

    @property
    def holds_content(self) -> bool:
        """Whether dropping it loses text that lives nowhere else."""
        return self.content is None


@record
class PassedOver:
    """A statement that is not schema (PRAGMA, data INSERT, DROP ... IF EXISTS), passed over."""

    kind: str
    location: Location
    summary: str


@record
class Schema:
    """Every table, view, trigger and virtual table from every schema file, in declaration order."""

    tables: tuple[Table, ...]
    files: tuple[str, ...]
    passed_over: tuple[PassedOver, ...] = ()
    queries: tuple[Query, ...] = ()  # named queries from the query files, in file order
    views: tuple[View, ...] = ()
    triggers: tuple[Trigger, ...] = ()  # the user's own, not the append-only ones
    virtual_tables: tuple[VirtualTable, ...] = ()

    def view(self, name: str) -> View | None:
        """The view called ``name`` (case-insensitive), or None."""
        return next((v for v in self.views if v.name.lower() == name.lower()), None)

    def virtual_table(self, name: str) -> VirtualTable | None:
        """The virtual table called ``name`` (case-insensitive), or None."""
        return next((v for v in self.virtual_tables if v.name.lower() == name.lower()), None)

    def objects_sql(self) -> tuple[str, ...]:
        """Virtual tables, views, then triggers, each kind in file order: an order SQLite accepts.

        A view may read a virtual table, and a trigger may fire on a view or
        write a virtual table, so each kind follows the ones it can need.
        """
        return (
            tuple(v.sql for v in self.virtual_tables)
            + tuple(v.sql for v in self.views)
            + tuple(t.sql for t in self.triggers)
        )

    def table(self, name: str) -> Table:
        """Return the table called ``name`` (case-insensitive, as in SQLite)."""
        # Built on the first lookup and kept on the instance, not a field: `replace` and
        # `__eq__` see fields only. A lookup per query, column and store made a scan of
        # every table quadratic (4,000 scans of 500 tables in the 500-table bench parse).
        by_name: dict[str, Table] | None = self.__dict__.get("_tables_by_name")
        if by_name is None:
            by_name = {}
            for table in self.tables:
                by_name.setdefault(table.name.lower(), table)
            self.__dict__["_tables_by_name"] = by_name
        found = by_name.get(name.lower())
        if found is None:
            raise KeyError(name)
        return found


class QueryKind(enum.StrEnum):
    """What a named query's method returns (the `:kind` of its `-- name:` line)."""

    ONE = "one"  # one row, or NOT_FOUND
    MANY = "many"  # a list of rows
    SCALAR = "scalar"  # the first column of the first row, or NOT_FOUND
    EXEC = "exec"  # nothing
    EXECROWS = "execrows"  # the number of rows changed
    EXECLASTID = "execlastid"  # the integer key of the row inserted
    BATCHEXEC = "batchexec"  # one write per parameter set, one transaction; rows changed


@record
class QueryParam:
    """A `:name` parameter of a named query, typed like the column it meets.

    Typed either by a schema column (``table``/``column``: the value travels
    with that column's codec, Literal or bool included) or by a plain Python
    type (``primitive``: int, str, float, bytes or bool).
    """

    name: str
    location: Location
    table: str | None = None
    column: str | None = None
    primitive: str | None = None
    nullable: bool = False
    sequence: bool = False  # used as `IN (:name)`: the method takes a Sequence[T]
    optional: bool = False  # named by `-- @optional`: None leaves its predicate out


@record
class QueryVariant:
    """One precomputed statement of a query whose text depends on the call.

    ``mask`` has bit i set when the i-th `@optional` parameter is given;
    ``order`` is the `@order-by` choice ("" without one, "-col" descending);
    ``after`` is whether a keyset cursor is given. ``sql`` is SQLite text
    with ``:name`` parameters (``:__limit``, ``:__after_<column>`` added).
    """

    mask: int
    order: str
    after: bool
    sql: str


@record
class QueryEmbed:
    """`embed(t)` in a select list: result columns [start, stop) are table t's row."""

    table: str
    start: int
    stop: int
    outer: bool  # the optional side of an outer join: the model may be None


@record
class QueryColumn:
    """One result column of a named query, typed like `QueryParam`."""

    name: str
    table: str | None = None
    column: str | None = None
    primitive: str | None = None
    nullable: bool = False


@record
class Query:
    """A named query: annotated SQL, its typed parameters and result columns.

    ``sql`` is the statement as written (SQLite dialect, ``:name``
    parameters). ``row_table`` names the table whose model the result is
    when the columns are exactly that table's row; otherwise the result gets
    its own dataclass (or, for a single column, its plain type).
    """

    name: str
    kind: QueryKind
    table: str
    sql: str
    location: Location
    params: tuple[QueryParam, ...] = ()
    columns: tuple[QueryColumn, ...] = ()
    row_table: str | None = None
    writes: bool = False
    comment: str | None = None
    optional: tuple[str, ...] = ()  # `-- @optional` parameters, in mask-bit order
    order_by: tuple[str, ...] = ()  # `-- @order-by` result columns; choices col / -col
    cursor: tuple[str, ...] = ()  # result columns a keyset cursor row supplies
    variants: tuple[QueryVariant, ...] = ()  # set when the text depends on the call
    embeds: tuple[QueryEmbed, ...] = ()


def to_json(value: Any) -> Any:
    """Turn IR objects into JSON-ready dicts and lists, keeping field order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    return value
