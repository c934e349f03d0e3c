"""Added NOT NULL columns whose DEFAULT SQLite must write into every row.

ALTER TABLE ADD COLUMN rewrites no row: the rows already there lack the new
column and read its DEFAULT. `PRAGMA integrity_check` and `quick_check` of
SQLite 3.42.0 to 3.45.1 (fixed in 3.45.2) read a missing REAL DEFAULT as
NULL and report "NULL value in t.c" for a NOT NULL column. sqld and Turso
run libSQL 3.45.1, and so does Ubuntu 24.04's SQLite. So after such an ADD
COLUMN the SQLite file writes the value into every row (`UPDATE t SET c = c`);
PostgreSQL keeps its plain ALTER. Rebuilt instead: a table with triggers,
since the UPDATE would fire them (an append-only table's would abort it), and
a new column with a CHECK or a STRICT table, since then ADD COLUMN itself
verifies the rows with `quick_check`, and fails on sqld with "NOT NULL
constraint failed".
"""

from __future__ import annotations

import sqlite3

from ..schema.ir import Table
from ..schema.lex import scan_source
from .replay import ColumnInfo, Snapshot
from .sqltext import quote, split_table

__all__ = [
    "adds_in_place",
    "fill_statements",
    "must_rebuild_to_fill",
    "stores_real_default",
]


def stores_real_default(column: ColumnInfo) -> bool:
    """Whether the column's DEFAULT, after its type affinity, is a REAL value.

    SQLite itself answers: the affinity rules (a REAL column stores DEFAULT 7
    as 7.0, an INTEGER column keeps 1.5, a TEXT column makes it '1.5').
    """
    if column.default is None:
        return False
    probe = sqlite3.connect(":memory:")
    try:  # PRAGMA table_xinfo gives `DEFAULT (expr)` without its parentheses
        probe.execute(f"CREATE TABLE probe (v {column.type} DEFAULT ({column.default}))")
        probe.execute("INSERT INTO probe DEFAULT VALUES")
        return bool(probe.execute("SELECT typeof(v) = 'real' FROM probe").fetchone()[0])
    finally:
        probe.close()


def adds_in_place(column: ColumnInfo) -> bool:
    """Whether ALTER TABLE ADD COLUMN can add `column` to a table that holds rows.

    SQLite refuses there a DEFAULT it computes per row (CURRENT_TIMESTAMP, an
    expression in parentheses: "Cannot add a column with non-constant
    default"), yet takes it on an empty table, so a migration tested on an
    empty database would fail on the real one. SQLite itself answers, on a
    table with one row; the table is rebuilt instead.
    """
    if column.default is None:
        return True
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE TABLE probe (k)")
        probe.execute("INSERT INTO probe VALUES (1)")
        probe.execute(f"ALTER TABLE probe ADD COLUMN v {column.type} DEFAULT ({column.default})")
        return True
    except sqlite3.Error:
        return False
    finally:
        probe.close()


def must_rebuild_to_fill(
    table: Table, columns: list[str], current: Snapshot, target: Snapshot
) -> bool:
    """Whether ADD COLUMN + UPDATE cannot fill `columns` of `table`: rebuild it.

    An UPDATE fires the table's triggers. SQLite's ADD COLUMN re-verifies the
    table with `quick_check` when the new column has a CHECK or the table is
    STRICT, and the bug makes that fail (measured on sqld).
    """
    key = table.name.lower()
    triggers = (*current.triggers.values(), *target.triggers.values())
    if table.strict or any(obj.table.lower() == key for obj in triggers):
        return True
    definitions = split_table(table.sql).columns
    return any(
        token.keyword == "CHECK"
        for column in columns
        for token in scan_source("<sql>", definitions[column.lower()]).statements[0].tokens
    )


def fill_statements(table: str, columns: list[str]) -> list[str]:
    """SQLite only: write the added columns' DEFAULT into every row of `table`."""
    if not columns:
        return []
    values = ", ".join(f"{quote(c)} = {quote(c)}" for c in columns)
    return [
        "-- write the DEFAULT into every row: PRAGMA integrity_check of SQLite\n"
        "-- 3.42-3.45.1 (sqld) reports NULL where ADD COLUMN left a REAL DEFAULT unwritten\n"
        f"UPDATE {quote(table)} SET {values}"
    ]
