"""The same `Diff` as PostgreSQL statements, for backends with `ddl_dialect = "postgres"`.

Each change mirrors the SQLite file: plain ALTER TABLE where SQLite used it,
and a rebuild (new table, copy, drop, rename) where SQLite rebuilt, so both
engines hold the same rows afterwards. PostgreSQL differs in three places:
`DROP TABLE ... CASCADE` also drops the children's foreign keys, which are
added back (checking every row, as `foreign_key_check` does on SQLite);
constraints of the new table are renamed to the names a fresh CREATE TABLE
gives; and the identity sequence of an INTEGER PRIMARY KEY moves past the
copied keys.

Views and the user's triggers are dropped and created as on SQLite, in their
PostgreSQL form (`backends/pg_objects.py`). An FTS5 table's PostgreSQL form
is the user's own table: it is created when new and dropped when gone, but a
changed FTS5 definition leaves it as it is (storegen cannot know how to
carry its rows); the file says so in a comment.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from ..backends.dialect import (
    postgres_nocase_keys,
    postgres_column_definitions,
    postgres_column_type,
    postgres_create_table,
    postgres_index,
    transpile_expression,
)
from ..backends.pg_objects import PostgresObject, postgres_objects
from ..backends.pg_triggers import postgres_table_triggers
from ..config import Options
from ..schema.ir import ForeignKey, Schema, Table
from .diff import Diff, TablePlan
from .plan import REBUILD_PREFIX
from ..backends.sql import quote_identifier as _q, sql_string as _s

__all__ = ["postgres_statements"]


def postgres_statements(
    diff: Diff, schema: Schema, options: Options, append_only: dict[str, bool]
) -> list[str]:
    """Every statement of the PostgreSQL migration, in order."""
    objects = {o.name.lower(): o for o in postgres_objects(schema, options)}
    statements = _drop_objects(diff, schema)
    statements += [f"DROP TABLE {_q(name)} CASCADE" for name in diff.drop_tables]
    statements += [_drop_functions(name) for name in diff.drop_tables]
    trigger_tables = {o.table.lower() for o in (*diff.drop_triggers, *diff.create_triggers)}
    for plan in diff.tables:
        if plan.renamed:
            old, new = plan.old_name or "", plan.table.name
            statements.append(f"ALTER TABLE {_q(old)} RENAME TO {_q(new)}")
            statements += _drop_triggers(old, new)
            trigger_tables.add(new.lower())
    statements += [f"DROP INDEX IF EXISTS {_q(obj.name)}" for obj in diff.drop_indexes]
    rebuilt: list[str] = []
    for plan in diff.tables:
        table = plan.table
        if plan.old_name is None:
            statements.append(postgres_create_table(table, options))
            statements += postgres_table_triggers(table, append_only.get(table.name, False))
        elif plan.rebuild:
            statements += _rebuild(plan, options, append_only.get(table.name, False))
            rebuilt.append(table.name.lower())
        else:
            if plan.changed:
                statements += _alters(plan, options)
            if table.name.lower() in trigger_tables:
                if not plan.renamed:
                    statements += _drop_triggers(table.name, table.name)
                statements += postgres_table_triggers(table, append_only.get(table.name, False))
    statements += _restore_child_keys(schema, diff, rebuilt)
    by_name = {t.name.lower(): t for t in schema.tables}
    statements += [
        postgres_index(by_name[obj.table.lower()], obj.sql) for obj in diff.create_indexes
    ]
    # A NOCASE key's lower() index belongs to the table: made with it, and again after a rebuild.
    made = {p.table.name.lower() for p in diff.tables if p.old_name is None} | set(rebuilt)
    for name in sorted(made):
        statements += postgres_nocase_keys(by_name[name])
    return statements + _create_objects(diff, schema, objects)


def _user_trigger(schema: Schema, name: str) -> bool:
    return any(t.name.lower() == name.lower() for t in schema.triggers)


def _drop_objects(diff: Diff, schema: Schema) -> list[str]:
    """Views and the user's triggers that change or go, before any table changes."""
    old_names = {p.table.name.lower(): p.old_name or "" for p in diff.tables if p.renamed}
    statements = [f"DROP VIEW IF EXISTS {_q(o.name)}" for o in diff.objects.drop_views]
    for trigger in diff.drop_triggers:
        if trigger.name.endswith(("_append_only_update", "_append_only_delete",
                                  "_append_only_replace")):  # fmt: skip
            continue  # SQLite's append-only triggers: PostgreSQL has its own (see below)
        table = old_names.get(trigger.table.lower(), trigger.table)
        statements.append(f"DROP TRIGGER IF EXISTS {_q(trigger.name)} ON {_q(table)}")
    for virtual in diff.objects.drop_virtual:
        if schema.virtual_table(virtual.name) is None:
            statements.append(f"DROP TABLE IF EXISTS {_q(virtual.name)}")
        else:
            statements.append(
                f"-- {virtual.name}: its FTS5 definition changed; its PostgreSQL form is left "
                "as it is"
            )
    return statements


def _create_objects(diff: Diff, schema: Schema, objects: dict[str, PostgresObject]) -> list[str]:
    """New virtual tables, then the views and the user's triggers to (re-)create."""
    changed = {o.name.lower() for o in diff.objects.drop_virtual}
    statements = [
        objects[o.name.lower()].create
        for o in diff.objects.create_virtual
        if o.name.lower() not in changed
    ]
    statements += [objects[o.name.lower()].create for o in diff.objects.create_views]
    statements += [
        objects[o.name.lower()].create
        for o in diff.create_triggers
        if _user_trigger(schema, o.name)
    ]
    return statements


def _drop_functions(table: str) -> str:
    return f"DROP FUNCTION IF EXISTS {_q(table + '_rowid')}(), " f"{_q(table + '_append_only')}()"


def _drop_triggers(old: str, table: str) -> list[str]:
    """The rowid and append-only triggers named after `old`, now on `table`."""
    return [
        *(
            f"DROP TRIGGER IF EXISTS {_q(old + suffix)} ON {_q(table)}"
            for suffix in ("_rowid", "_append_only", "_append_only_truncate")
        ),
        _drop_functions(old),
    ]


def _alters(plan: TablePlan, options: Options) -> list[str]:
    name = _q(plan.table.name)
    definitions = postgres_column_definitions(plan.table, options)
    statements = [
        f"ALTER TABLE {name} RENAME COLUMN {_q(old)} TO {_q(new)}" for old, new in plan.renames
    ]
    statements += [f"ALTER TABLE {name} ADD COLUMN {definitions[c.lower()]}" for c in plan.adds]
    statements += [f"ALTER TABLE {name} DROP COLUMN {_q(c)}" for c in plan.drops]
    return statements


def _cast_copy(source: str, to: str) -> str:
    """One copied column of a rebuild, as its new type.

    The arguments of a COALESCE (a column made NOT NULL: `COALESCE(old,
    default)`) are cast first: PostgreSQL gives a COALESCE one type from its
    arguments, so a BIGINT column and a '' default would fail to mix.
    """
    expression = transpile_expression(source, "postgres")
    tree = sqlglot.parse_one(expression, read="postgres")
    if isinstance(tree, exp.Coalesce):
        target = exp.DataType.build(to, dialect="postgres")
        for argument in [tree.this, *tree.expressions]:
            argument.replace(exp.Cast(this=argument.copy(), to=target.copy()))
        expression = tree.sql(dialect="postgres")
    return f"CAST({expression} AS {to})"


def _rebuild(plan: TablePlan, options: Options, append_only: bool) -> list[str]:
    table = plan.table
    name, temporary = table.name, REBUILD_PREFIX + table.name
    copied = [(column, source) for column, source in plan.copy.items() if source]
    columns = ", ".join(_q(column) for column, _ in copied)
    sources = ", ".join(
        _cast_copy(source, postgres_column_type(table, column, options))
        for column, source in copied
    )
    statements = [postgres_create_table(table, options, temporary)]
    if copied:
        statements.append(
            f"INSERT INTO {_q(temporary)} ({columns})\n  SELECT {sources} FROM {_q(name)}"
        )
    statements += [
        f"DROP TABLE {_q(name)} CASCADE",
        f"ALTER TABLE {_q(temporary)} RENAME TO {_q(name)}",
        _rename_constraints(temporary, name),
    ]
    key = table.primary_key
    if key is not None and key.rowid_alias:
        column = key.columns[0]
        statements.append(
            f"SELECT setval(pg_get_serial_sequence({_s(_q(name))}, {_s(column)}), "
            f"COALESCE(MAX({_q(column)}), 0) + 1, false) FROM {_q(name)}"
        )
    return statements + postgres_table_triggers(table, append_only)


def _rename_constraints(temporary: str, name: str) -> str:
    """Constraints named after the temporary table get the names a fresh table has."""
    return (
        "DO $storegen$\nDECLARE r record;\nBEGIN\n"
        f"  FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = {_s(_q(name))}::regclass\n"
        f"      AND starts_with(conname, {_s(temporary)}) LOOP\n"
        f"    EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', {_s(name)}, r.conname,\n"
        f"      {_s(name)} || substr(r.conname, {len(temporary) + 1}));\n"
        "  END LOOP;\nEND\n$storegen$"
    )


def _restore_child_keys(schema: Schema, diff: Diff, rebuilt: list[str]) -> list[str]:
    """Foreign keys that `DROP TABLE ... CASCADE` took from the children of a rebuilt table.

    A child rebuilt after its parent already has its keys; a new child too. A
    rebuilt table's reference to itself named the old table, so it goes too.
    """
    created = {p.table.name.lower() for p in diff.tables if p.old_name is None}
    order = {name: at for at, name in enumerate(rebuilt)}
    statements = []
    for child in schema.tables:
        key = child.name.lower()
        if key in created:
            continue
        for fk in child.foreign_keys:
            parent = fk.ref_table.lower()
            if parent not in order:
                continue
            if parent != key and key in order and order[key] > order[parent]:
                continue
            statements.append(_add_foreign_key(child, fk))
    return statements


def _add_foreign_key(child: Table, fk: ForeignKey) -> str:
    named = f"CONSTRAINT {_q(fk.name)} " if fk.name else ""
    return (
        f"ALTER TABLE {_q(child.name)} ADD {named}FOREIGN KEY "
        f"({', '.join(_q(c) for c in fk.columns)}) REFERENCES {_q(fk.ref_table)} "
        f"({', '.join(_q(c) for c in fk.ref_columns)}) "
        f"ON DELETE {fk.on_delete.value} ON UPDATE {fk.on_update.value}"
    )
