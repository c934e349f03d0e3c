"""Views, triggers and FTS5 tables in a migration: what to drop first and create last.

SQLite's table-rebuild procedure (sqlite.org/lang_altertable.html) says to
drop the views and triggers that refer to a table before it is rebuilt, and
to re-create them after: a view over a dropped table makes the rename of the
new one fail ("error in view ...: no such table"). The same holds for a
table that is renamed or dropped, and for a virtual table that is dropped
and re-created, so each of those "touches" its dependents, transitively
through views.

A virtual table cannot be altered: a changed definition is a drop and a
create. An external-content FTS5 table is then rebuilt from its content
table; one that holds its own text has its rows copied across (every old
column must still be there, or the change loses data and is refused unless
allowed); a contentless one cannot be refilled and is refused likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SchemaError
from ..schema.ir import Location, Schema
from ..schema.lex import scan_source
from ..schema.objects import parse_virtual_table, referenced_names
from .replay import DbObject, Snapshot
from .sqltext import quote, strip_comments

__all__ = [
    "ObjectChanges",
    "plan_objects",
    "rebuild_statements",
    "virtual_create_statements",
    "virtual_drop_statements",
]

COPY_PREFIX = "_storegen_copy_"
_ROWID = "_storegen_rowid"


@dataclass
class ObjectChanges:
    """The views, triggers and virtual tables a migration drops and creates."""

    drop_views: list[DbObject] = field(default_factory=list)
    create_views: list[DbObject] = field(default_factory=list)
    drop_triggers: list[DbObject] = field(default_factory=list)
    create_triggers: list[DbObject] = field(default_factory=list)
    drop_virtual: list[DbObject] = field(default_factory=list)
    create_virtual: list[DbObject] = field(default_factory=list)
    copy_virtual: dict[str, tuple[str, ...]] = field(default_factory=dict)  # lower name -> cols
    rebuild_virtual: list[str] = field(default_factory=list)  # external content: 'rebuild'
    refusals: list[SchemaError] = field(default_factory=list)


def _refers_to(obj: DbObject, names: dict[str, str]) -> set[str]:
    statements = scan_source("<sql>", obj.sql).statements
    if not statements:
        return set()
    return {n.lower() for n in referenced_names(statements[0].tokens, names, obj.name)}


def plan_objects(
    current: Snapshot, target: Snapshot, schema: Schema, touched_tables: set[str], renamed: set[str]
) -> ObjectChanges:
    """Plan the views, triggers and virtual tables, given the tables that change.

    Args:
        current: The migrated database, after table renames.
        target: The database the schema files make.
        schema: The schema IR, for the location of a refused change.
        touched_tables: Lower names of the tables dropped, created or rebuilt.
        renamed: Lower names (new) of tables renamed or with renamed columns.
    """
    changes = ObjectChanges()
    touched = set(touched_tables) | renamed
    for key, obj in current.virtual.items():
        wanted = target.virtual.get(key)
        if wanted is not None and wanted.canon == obj.canon:
            continue
        touched.add(key)
        changes.drop_virtual.append(obj)
        _plan_virtual_change(changes, current, obj, wanted, schema)
    dropped_virtual = {o.name.lower() for o in changes.drop_virtual}
    changes.create_virtual = [
        obj
        for key, obj in target.virtual.items()
        if key not in current.virtual or key in dropped_virtual
    ]
    names = current.all_names()
    refers = {
        key: _refers_to(obj, names)
        for key, obj in (*current.views.items(), *current.triggers.items())
    }
    dropped_views: set[str] = set()
    grew = True
    while grew:  # a view over a touched view is touched too
        grew = False
        for key, obj in current.views.items():
            if key in dropped_views:
                continue
            if (
                key not in target.views
                or obj.canon != target.views[key].canon
                or (refers[key] & touched)
            ):
                dropped_views.add(key)
                touched.add(key)
                grew = True
    changes.drop_views = [o for k, o in reversed(current.views.items()) if k in dropped_views]
    changes.create_views = [
        o for k, o in target.views.items() if k not in current.views or k in dropped_views
    ]
    dropped_triggers = {
        key
        for key, obj in current.triggers.items()
        if key not in target.triggers
        or obj.canon != target.triggers[key].canon
        or obj.table.lower() in renamed
        or refers[key] & touched
    }
    changes.drop_triggers = [o for k, o in current.triggers.items() if k in dropped_triggers]
    changes.create_triggers = [
        o
        for k, o in target.triggers.items()
        if k not in current.triggers or k in dropped_triggers or o.table.lower() in touched_tables
    ]
    return changes


def _plan_virtual_change(
    changes: ObjectChanges,
    current: Snapshot,
    obj: DbObject,
    wanted: DbObject | None,
    schema: Schema,
) -> None:
    """How a dropped or changed virtual table keeps its rows, or why it cannot."""
    old = parse_virtual_table(scan_source("<sql>", obj.sql).statements[0])
    declared = schema.virtual_table(obj.name)
    where = declared.location if declared else Location("(migrations)", 1, 1)
    if wanted is None:
        if old.content is None or old.content == "":
            changes.refusals.append(
                SchemaError(
                    f"virtual table {obj.name} would be dropped, losing the text it holds: "
                    "pass --allow-destructive",
                    where,
                )
            )
        return
    new = parse_virtual_table(scan_source("<sql>", wanted.sql).statements[0])
    if new.content:
        changes.rebuild_virtual.append(wanted.name)
        return
    old_columns = current.virtual_columns.get(obj.name.lower(), old.columns)
    new_lower = {c.lower() for c in new.columns}
    lost = [c for c in old_columns if c.lower() not in new_lower]
    if old.content == "" or lost:
        what = f"its column(s) {', '.join(lost)}" if lost else "its index (it is contentless)"
        changes.refusals.append(
            SchemaError(
                f"virtual table {obj.name} changes, losing {what}: a virtual table cannot be "
                "altered, only dropped and created again; pass --allow-destructive",
                where,
            )
        )
    if old.content is None:
        kept = tuple(c for c in old_columns if c.lower() in new_lower)
        changes.copy_virtual[obj.name.lower()] = kept


def virtual_drop_statements(changes: ObjectChanges) -> list[str]:
    """Copy out the rows of content-holding tables that change, then drop the old tables."""
    statements = []
    for obj in changes.drop_virtual:
        columns = changes.copy_virtual.get(obj.name.lower())
        if columns is not None:
            listed = "".join(f", {quote(c)}" for c in columns)
            statements.append(
                f"CREATE TABLE {quote(COPY_PREFIX + obj.name)} AS "
                f"SELECT rowid AS {_ROWID}{listed} FROM {quote(obj.name)}"
            )
        statements.append(f"DROP TABLE {quote(obj.name)}")
    return statements


def virtual_create_statements(changes: ObjectChanges) -> list[str]:
    """Create the new and changed virtual tables, and copy their rows back in."""
    statements = []
    for obj in changes.create_virtual:
        statements.append(strip_comments(obj.sql))
        columns = changes.copy_virtual.get(obj.name.lower())
        if columns is not None:
            listed = "".join(f", {quote(c)}" for c in columns)
            copy = quote(COPY_PREFIX + obj.name)
            statements += [
                f"INSERT INTO {quote(obj.name)} (rowid{listed})\n"
                f"  SELECT {_ROWID}{listed} FROM {copy}",
                f"DROP TABLE {copy}",
            ]
    return statements


def rebuild_statements(changes: ObjectChanges) -> list[str]:
    """Refill each re-created external-content index from its content table."""
    return [
        f"INSERT INTO {quote(n)} ({quote(n)}) VALUES ('rebuild')" for n in changes.rebuild_virtual
    ]
