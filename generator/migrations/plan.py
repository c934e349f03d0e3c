"""A `Diff` as SQLite statements: ALTER TABLE where it suffices, else the 12-step rebuild.

The rebuild follows sqlite.org/lang_altertable.html ("Making Other Kinds Of
Table Schema Changes"): create the new table under a temporary name, copy
the rows, drop the old table, rename the new one, recreate its indexes and
triggers. The views and triggers that refer to a changed table are dropped
before any table changes and created again at the end (`objects.py`).
Foreign keys must be off for it (or dropping a parent would fire its ON
DELETE CASCADE), and `PRAGMA foreign_keys` is a no-op inside a transaction,
so the file asks the runtime for it in its header; the runtime runs
`PRAGMA foreign_key_check` before COMMIT.
"""

from __future__ import annotations

from ..schema.ir import Table
from ..schema.lex import scan_source
from .diff import Diff, TablePlan, alter_statements
from .fill import fill_statements
from .objects import rebuild_statements as fts_rebuild_statements
from .objects import virtual_create_statements, virtual_drop_statements
from .sqltext import quote, strip_comments

__all__ = ["REBUILD_PREFIX", "create_table", "needs_foreign_keys_off", "sqlite_statements"]

REBUILD_PREFIX = "_storegen_new_"


def needs_foreign_keys_off(diff: Diff) -> bool:
    """A rebuild or a dropped table: run with foreign keys off, checked before COMMIT."""
    return bool(diff.drop_tables) or any(p.rebuild for p in diff.tables)


def create_table(table: Table, name: str) -> str:
    """The table's CREATE TABLE as written (comments dropped), under `name`."""
    text = strip_comments(table.sql)
    tokens = scan_source("<sql>", text).statements[0].tokens
    open_at = next(t for t in tokens if t.text == "(")
    return f"CREATE TABLE {quote(name)} {text[open_at.start:]}"


def sqlite_statements(diff: Diff) -> list[str]:
    """Every statement of the migration, in an order SQLite accepts."""
    statements = [f"DROP VIEW {quote(obj.name)}" for obj in diff.objects.drop_views]
    statements += [f"DROP TRIGGER {quote(obj.name)}" for obj in diff.drop_triggers]
    statements += virtual_drop_statements(diff.objects)
    statements += [f"DROP TABLE {quote(name)}" for name in diff.drop_tables]
    statements += [
        f"ALTER TABLE {quote(plan.old_name or '')} RENAME TO {quote(plan.table.name)}"
        for plan in diff.tables
        if plan.renamed
    ]
    statements += [f"DROP INDEX {quote(obj.name)}" for obj in diff.drop_indexes]
    for plan in diff.tables:
        if plan.old_name is None:
            statements.append(create_table(plan.table, plan.table.name))
        elif plan.rebuild:
            statements += rebuild_statements(plan)
        elif plan.changed:
            statements += alter_statements(plan) + fill_statements(plan.table.name, plan.fill)
    statements += [strip_comments(obj.sql) for obj in diff.create_indexes]
    statements += virtual_create_statements(diff.objects)
    statements += [strip_comments(obj.sql) for obj in diff.objects.create_views]
    statements += [strip_comments(obj.sql) for obj in diff.create_triggers]
    statements += fts_rebuild_statements(diff.objects)
    return statements


def rebuild_statements(plan: TablePlan) -> list[str]:
    """Steps 3-6 of the 12-step rebuild; indexes and triggers follow with the others."""
    name = plan.table.name
    temporary = REBUILD_PREFIX + name
    copied = [(column, source) for column, source in plan.copy.items() if source]
    columns = ", ".join(quote(column) for column, _ in copied)
    sources = ", ".join(source for _, source in copied)
    statements = [create_table(plan.table, temporary)]
    if copied:
        statements.append(
            f"INSERT INTO {quote(temporary)} ({columns})\n  SELECT {sources} FROM {quote(name)}"
        )
    statements += [
        f"DROP TABLE {quote(name)}",
        f"ALTER TABLE {quote(temporary)} RENAME TO {quote(name)}",
    ]
    return statements
