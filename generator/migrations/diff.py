"""Compare what the migrations produce with the schema files, table by table.

The result says, for every table of the schema files, whether it is new,
renamed (only ever by a `-- @renamed-from` directive), unchanged, changed by
plain ALTER TABLE statements, or rebuilt; and which tables, indexes and
triggers go away. Changes that lose data are refused here, at the place in
the schema (or migration) file that causes them, unless allowed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from ..errors import SchemaError
from ..schema.ir import Column, Location, Schema, Table
from ..schema.lex import affinity_of
from .fill import adds_in_place, must_rebuild_to_fill, stores_real_default
from .objects import ObjectChanges, plan_objects
from .replay import ColumnInfo, DbObject, Replay, Snapshot, clone_db, snapshot
from .sqltext import quote, split_table

__all__ = ["Diff", "TablePlan", "diff_schemas", "describe_differences"]

# Type changes that keep every value: the same affinity, or one that stores more.
_WIDENING = {("INTEGER", "NUMERIC"), ("INTEGER", "TEXT")}


@dataclass
class TablePlan:
    """What happens to one table of the schema files."""

    table: Table
    old_name: str | None  # None: a new table
    renames: list[tuple[str, str]] = field(default_factory=list)  # columns, old -> new
    adds: list[str] = field(default_factory=list)
    drops: list[str] = field(default_factory=list)
    copy: dict[str, str] = field(default_factory=dict)  # rebuild: column -> SQL over the old
    fill: list[str] = field(default_factory=list)  # adds SQLite writes into every row
    rebuild: bool = False
    changed: bool = False

    @property
    def renamed(self) -> bool:
        return self.old_name is not None and self.old_name.lower() != self.table.name.lower()


@dataclass
class Diff:
    """Every change from the migrated schema to the schema files."""

    tables: list[TablePlan]
    drop_tables: list[str]
    drop_indexes: list[DbObject]
    create_indexes: list[DbObject]
    drop_triggers: list[DbObject]
    create_triggers: list[DbObject]
    objects: ObjectChanges = field(default_factory=ObjectChanges)

    @property
    def empty(self) -> bool:
        objects = self.objects
        return not (
            objects.drop_views
            or objects.create_views
            or objects.drop_virtual
            or objects.create_virtual
            or self.drop_tables
            or self.drop_indexes
            or self.create_indexes
            or self.drop_triggers
            or self.create_triggers
            or any(p.changed for p in self.tables)
        )

    def summary(self) -> list[str]:
        """One line per change, in the order the SQL makes them."""
        objects = self.objects
        lines = [f"drop view {o.name}" for o in objects.drop_views]
        lines += [f"drop trigger {o.name}" for o in self.drop_triggers]
        lines += [f"drop table {name}" for name in self.drop_tables]
        for plan in self.tables:
            name = plan.table.name
            if plan.old_name is None:
                lines.append(f"create table {name}")
                continue
            if plan.renamed:
                lines.append(f"rename table {plan.old_name} to {name}")
            lines += [f"rename column {name}.{old} to {new}" for old, new in plan.renames]
            lines += [f"add column {name}.{c}" for c in plan.adds]
            lines += [f"drop column {name}.{c}" for c in plan.drops]
            if plan.rebuild:
                lines.append(f"rebuild table {name}")
        lines += [f"drop index {o.name}" for o in self.drop_indexes]
        lines += [f"create index {o.name}" for o in self.create_indexes]
        lines += [f"drop virtual table {o.name}" for o in objects.drop_virtual]
        lines += [f"create virtual table {o.name}" for o in objects.create_virtual]
        lines += [f"create view {o.name}" for o in objects.create_views]
        lines += [f"create trigger {o.name}" for o in self.create_triggers]
        lines += [f"rebuild search index {name}" for name in objects.rebuild_virtual]
        return lines


def diff_schemas(
    replayed: Replay, schema: Schema, target: Snapshot, *, allow_destructive: bool
) -> Diff:
    """Plan the change from the replayed migrations to `target` (the schema files).

    Raises SchemaError for a change that loses data (a dropped table or
    column, a narrowed type, a NOT NULL column with no value for existing
    rows) unless `allow_destructive`; a NOT NULL column may instead say
    `-- @backfill EXPR`.
    """
    original = snapshot(replayed.db)
    plans = [_map_table(table, original, schema) for table in schema.tables]
    mapped = {p.old_name.lower() for p in plans if p.old_name}
    drop_tables = [obj.name for key, obj in original.tables.items() if key not in mapped]
    refusals: list[SchemaError] = [
        SchemaError(
            f"table {name} would be dropped, losing its rows: pass --allow-destructive, or put "
            f"`-- @renamed-from {name}` above the table that replaces it",
            replayed.created_at.get(name.lower(), Location("(migrations)", 1, 1)),
        )
        for name in drop_tables
    ]
    work = replayed.clone()  # renames first: SQLite rewrites the references to them
    try:
        for plan in plans:
            if plan.renamed:
                work.execute(
                    f"ALTER TABLE {quote(plan.old_name or '')} RENAME TO {quote(plan.table.name)}"
                )
        current = snapshot(work)
        for plan in plans:
            if plan.old_name is not None:
                refusals += _plan_columns(plan, current, target)
        if refusals and not allow_destructive:
            raise refusals[0]
        _try_plain_alters(work, plans, target)
    finally:
        work.close()
    changed = {p.table.name.lower() for p in plans if p.old_name is None or p.rebuild}
    # A rename makes SQLite rewrite the statements that name it (quoting the new
    # name): recreate them, so the database holds the schema's own text.
    renamed = {p.table.name.lower() for p in plans if p.renamed or p.renames}
    drop_indexes, create_indexes = _objects(current.indexes, target.indexes, changed, renamed)
    dropped = {name.lower() for name in drop_tables}
    # A column drop fails under a view that reads the column (SQLite and PostgreSQL).
    shrunk = {p.table.name.lower() for p in plans if p.drops}
    objects = plan_objects(current, target, schema, changed | dropped | shrunk, renamed)
    if objects.refusals and not allow_destructive:
        raise objects.refusals[0]
    return Diff(
        tables=plans,
        drop_tables=drop_tables,
        drop_indexes=[o for o in drop_indexes if o.table.lower() not in dropped],
        create_indexes=create_indexes,
        drop_triggers=objects.drop_triggers,
        create_triggers=objects.create_triggers,
        objects=objects,
    )


def _map_table(table: Table, current: Snapshot, schema: Schema) -> TablePlan:
    key = table.name.lower()
    if key in current.tables:
        return TablePlan(table, current.tables[key].name)
    old = table.renamed_from
    targets = {t.name.lower() for t in schema.tables}
    if old and old.lower() in current.tables and old.lower() not in targets:
        return TablePlan(table, current.tables[old.lower()].name, changed=True)
    return TablePlan(table, None, changed=True)


def _plan_columns(plan: TablePlan, current: Snapshot, target: Snapshot) -> list[SchemaError]:
    """Map columns old -> new, decide rebuild vs ALTER, and list the losses."""
    table, old_name = plan.table, plan.table.name  # renames already applied
    old_columns = {c.name.lower(): c for c in current.columns[old_name.lower()]}
    new_columns = {c.name.lower(): c for c in target.columns[table.name.lower()]}
    old_text, new_text = current.text(old_name), target.text(table.name)
    refusals: list[SchemaError] = []
    sources: dict[str, str] = {}  # new column (lower) -> old column name
    for column in table.columns:
        key = column.name.lower()
        if key in old_columns:
            sources[key] = old_columns[key].name
        elif (
            column.renamed_from
            and column.renamed_from.lower() in old_columns
            and column.renamed_from.lower() not in new_columns
        ):
            sources[key] = old_columns[column.renamed_from.lower()].name
            plan.renames.append((sources[key], column.name))
        elif not column.generated:
            plan.adds.append(column.name)
    used = {s.lower() for s in sources.values()}
    plan.drops = [c.name for k, c in old_columns.items() if k not in used and not c.hidden]
    refusals += [
        SchemaError(
            f"column {table.name}.{name} would be dropped, losing its values: pass "
            f"--allow-destructive, or put `-- @renamed-from {name}` on the column that replaces it",
            table.location,
        )
        for name in plan.drops
    ]
    modified = False
    for column in table.columns:
        key = column.name.lower()
        new = new_columns[key]
        old = old_columns.get(sources[key].lower()) if key in sources else None
        if old is not None:
            same_text = (
                old_text.canon[1][old_text.column_order.index(old.name.lower())][1:]
                == new_text.canon[1][new_text.column_order.index(key)][1:]
            )
            if not same_text or _info(old) != _info(new):
                modified = True
            refusals += _losses(table, column, old, new)
        elif column.not_null and column.default is None and not column.generated:
            if column.backfill is None:
                refusals.append(
                    SchemaError(
                        f"new column {table.name}.{column.name} is NOT NULL without a DEFAULT, "
                        "so existing rows have no value for it: add `-- @backfill EXPR` to the "
                        "column, give it a DEFAULT, or pass --allow-destructive",
                        column.location,
                    )
                )
            modified = True  # ALTER TABLE cannot add it: rebuild with the backfill
        elif old is None and column.generated:
            modified = True  # a new generated column: rebuild, SQLite computes it
        elif old is None and not adds_in_place(new):
            modified = True  # a DEFAULT computed per row: rebuild, SQLite fills every row
        elif column.not_null and stores_real_default(new):
            plan.fill.append(column.name)  # see .fill
        plan.copy[column.name] = _copy_expression(column, old)
    if plan.fill and must_rebuild_to_fill(table, plan.fill, current, target):
        modified = True
    if modified or new_text.canon[2] != old_text.canon[2] or new_text.canon[3] != old_text.canon[3]:
        plan.rebuild = True
    if plan.renames or plan.adds or plan.drops or plan.rebuild:
        plan.changed = True
    elif plan.renamed:
        plan.changed = True
    elif _column_order(old_text.column_order, plan) != list(new_text.column_order):
        plan.rebuild = plan.changed = True
    for column in table.columns:  # generated columns are never copied
        if column.generated:
            plan.copy.pop(column.name, None)
    return refusals


def _info(column: ColumnInfo) -> tuple[object, ...]:
    return (column.type.upper(), column.not_null, column.default, column.pk, column.hidden)


def _losses(table: Table, column: Column, old: ColumnInfo, new: ColumnInfo) -> list[SchemaError]:
    losses = []
    before, after = affinity_of(old.type), affinity_of(new.type)
    if before != after and (before, after) not in _WIDENING and after != "BLOB":
        losses.append(
            SchemaError(
                f"column {table.name}.{column.name} changes type from {old.type or '(none)'} "
                f"to {new.type or '(none)'} ({before} to {after} affinity), which can change "
                "or lose stored values: pass --allow-destructive",
                column.location,
            )
        )
    if new.not_null and not old.not_null and column.default is None and column.backfill is None:
        losses.append(
            SchemaError(
                f"column {table.name}.{column.name} becomes NOT NULL without a DEFAULT, so rows "
                "holding NULL have no value: add `-- @backfill EXPR` to the column, give it a "
                "DEFAULT, or pass --allow-destructive",
                column.location,
            )
        )
    return losses


def _copy_expression(column: Column, old: ColumnInfo | None) -> str:
    """What the rebuild copies into `column`, as SQL over the old table's row."""
    fallback = column.backfill or (column.default.sql if column.default else None)
    if old is None:
        return f"({column.backfill})" if column.backfill else ""
    if column.not_null and not old.not_null and fallback:
        return f"COALESCE({quote(old.name)}, {fallback})"
    return quote(old.name)


def _column_order(old_order: tuple[str, ...], plan: TablePlan) -> list[str]:
    renames = {old.lower(): new.lower() for old, new in plan.renames}
    kept = [renames.get(c, c) for c in old_order if c not in {d.lower() for d in plan.drops}]
    return kept + [c.lower() for c in plan.adds]


def _try_plain_alters(work: sqlite3.Connection, plans: list[TablePlan], target: Snapshot) -> None:
    """Keep ALTER TABLE for a table only if SQLite then stores exactly the target definition."""
    candidates = [p for p in plans if p.changed and p.old_name is not None and not p.rebuild]
    if not candidates:
        return
    trial = clone_db(work)
    try:
        # Views and triggers are dropped before the ALTERs and made again after
        # them (objects.py): one that reads a dropped column must not force a rebuild.
        kept = "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger')"
        for kind, name in trial.execute(kept).fetchall():
            trial.execute(f"DROP {kind.upper()} IF EXISTS {quote(name)}")
        for plan in candidates:
            for statement in alter_statements(plan):
                try:
                    trial.execute(statement)
                except sqlite3.Error:
                    plan.rebuild = True
                    break
        after = snapshot(trial)
        for plan in candidates:
            key = plan.table.name.lower()
            if not plan.rebuild and after.tables[key].canon != target.tables[key].canon:
                plan.rebuild = True
    finally:
        trial.close()


def alter_statements(plan: TablePlan) -> list[str]:
    """The plain ALTER TABLE statements for a table that is not rebuilt."""
    name = quote(plan.table.name)
    text = split_table(plan.table.sql)
    statements = [
        f"ALTER TABLE {name} RENAME COLUMN {quote(old)} TO {quote(new)}"
        for old, new in plan.renames
    ]
    statements += [f"ALTER TABLE {name} ADD COLUMN {text.columns[c.lower()]}" for c in plan.adds]
    statements += [f"ALTER TABLE {name} DROP COLUMN {quote(c)}" for c in plan.drops]
    return statements


def _objects(
    current: dict[str, DbObject],
    target: dict[str, DbObject],
    changed: set[str],
    renamed: set[str],
) -> tuple[list[DbObject], list[DbObject]]:
    """Indexes or triggers to drop first and to create last.

    Those of new and rebuilt tables are all created again (a rebuild drops
    them with the old table); those of renamed tables are dropped and created
    again; others only when added or changed.
    """
    drop = [
        obj
        for key, obj in current.items()
        if key not in target or obj.canon != target[key].canon or obj.table.lower() in renamed
    ]
    dropped = {obj.name.lower() for obj in drop}
    create = [
        obj
        for key, obj in target.items()
        if obj.table.lower() in changed or key not in current or key in dropped
    ]
    return drop, create


def describe_differences(current: Snapshot, target: Snapshot) -> list[str]:
    """Readable lines naming every object that differs (for check and errors)."""
    lines: list[str] = []
    for kind, have, want in (
        ("table", current.tables, target.tables),
        ("index", current.indexes, target.indexes),
        ("trigger", current.triggers, target.triggers),
        ("view", current.views, target.views),
        ("virtual table", current.virtual, target.virtual),
    ):
        for key, obj in want.items():
            if key not in have:
                lines.append(f"{kind} {obj.name}: in the schema files, not made by the migrations")
            elif have[key].canon != obj.canon:
                lines.append(f"{kind} {obj.name}: defined differently by the migrations")
        lines += [
            f"{kind} {obj.name}: made by the migrations, not in the schema files"
            for key, obj in have.items()
            if key not in want
        ]
    return lines
