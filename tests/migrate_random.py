"""Random schemas, random edit sequences, and the rows each edit should leave behind.

`RandomSchema` is a small model of a schema (tables with an INTEGER PRIMARY
KEY `id`, typed columns, foreign keys to earlier tables, indexes; with
`objects=True` also views over them, views over those views, triggers and
external-content FTS5 tables with their sync triggers) that prints itself as
a schema file (and, for PostgreSQL, the objects file those need). `edit()` applies one random change to the model and
records, per column, how the values the database holds must change: the
property test compares the rows after `migrate()` with that expectation.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TYPES = ("INTEGER", "TEXT", "REAL", "BLOB")
Value = Any


@dataclass
class Col:
    name: str
    type: str
    not_null: bool = False
    default: str | None = None  # SQL literal
    check: str | None = None
    renamed_from: str | None = None
    backfill: str | None = None
    references: str | None = None  # parent table (ON DELETE CASCADE)

    def sql(self) -> tuple[str, str]:
        """The definition, and its trailing directive comment ("" when none)."""
        parts = [self.name, self.type]
        if self.not_null:
            parts.append("NOT NULL")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.check:
            parts.append(f"CHECK ({self.check})")
        if self.references:
            parts.append(f"REFERENCES {self.references} (id) ON DELETE CASCADE")
        comments = []
        if self.renamed_from:
            comments.append(f"@renamed-from {self.renamed_from}")
        if self.backfill:
            comments.append(f"@backfill {self.backfill}")
        return " ".join(parts), (" -- " + " ".join(comments) if comments else "")


@dataclass
class Tab:
    name: str
    columns: list[Col]
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (name, column)
    renamed_from: str | None = None
    objects: frozenset[str] = frozenset()  # "view", "view2", "trigger", "fts"
    old_name: str | None = None  # name in v1 (None: new in v2)
    old_columns: dict[str, str] = field(default_factory=dict)  # v2 column -> v1 column
    transforms: dict[str, Callable[[Value], Value]] = field(default_factory=dict)

    def sql(self) -> str:
        lines = [("id INTEGER PRIMARY KEY", ""), *(c.sql() for c in self.columns)]
        body = []
        for at, (text, comment) in enumerate(lines):
            comma = "," if at < len(lines) - 1 else ""
            body.append(f"    {text}{comma}{comment}")
        head = f"-- @renamed-from {self.renamed_from}\n" if self.renamed_from else ""
        out = f"{head}CREATE TABLE {self.name} (\n" + "\n".join(body) + "\n);\n"
        for name, column in self.indexes:
            out += f"CREATE INDEX {name} ON {self.name} ({column});\n"
        return out


class RandomSchema:
    """A random v1; `edit()` turns it step by step into v2."""

    def __init__(self, rng: random.Random, prefix: str, objects: bool = False) -> None:
        self.rng, self.prefix, self.counter = rng, prefix, 0
        # Objects are drawn from their own generator: the tables and edits stay
        # those of the same seed without objects.
        self.objects_rng = random.Random(rng.random()) if objects else None
        self.tables: list[Tab] = []
        for _ in range(rng.randint(2, 3)):
            self._new_table(v1=True)

    def fresh(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}{self.counter}"

    def _new_table(self, v1: bool) -> Tab:
        name = f"{self.prefix}_{self.fresh('t')}"
        columns = [self._new_column() for _ in range(self.rng.randint(1, 4))]
        if self.tables and self.rng.random() < 0.7:
            parent = self.rng.choice(self.tables)
            columns.append(Col(self.fresh("ref"), "INTEGER", references=parent.name))
        table = Tab(name, columns, old_name=name if v1 else None)
        if self.objects_rng is not None:
            draw = self.objects_rng.random
            table.objects = frozenset(
                kind
                for kind, chance in (("view", 0.6), ("view2", 0.3), ("trigger", 0.5), ("fts", 0.5))
                if draw() < chance
            )
        table.old_columns = {c.name: c.name for c in columns} if v1 else {}
        if self.rng.random() < 0.5:
            plain = [c for c in columns if not c.references]
            if plain:
                table.indexes.append((f"{name}_{self.fresh('ix')}", self.rng.choice(plain).name))
        self.tables.append(table)
        return table

    def _new_column(self) -> Col:
        kind = self.rng.choice(TYPES)
        column = Col(self.fresh("c"), kind)
        if self.rng.random() < 0.4:
            column.not_null = True
            column.default = _literal(kind, self.rng)
        return column

    def text(self) -> str:
        return "\n".join(t.sql() for t in self.tables) + "".join(
            sql for t in self.tables for sql, _ in _objects(t)
        )

    def postgres_text(self) -> str:
        """The PostgreSQL objects file: a no-op trigger, an FTS stand-in table."""
        return "".join(pg for t in self.tables for _, pg in _objects(t) if pg)

    def clear_directives(self) -> None:
        for table in self.tables:
            table.renamed_from = None
            for column in table.columns:
                column.renamed_from = column.backfill = None

    # ----------------------------------------------------------- edits
    def edit(self) -> str:
        """Apply one random edit; what it was, for failure messages."""
        edits = [
            self._add_nullable, self._add_with_default, self._add_backfilled,
            self._drop_column, self._rename_column, self._rename_table, self._widen,
            self._require_with_default, self._toggle_index, self._add_check,
            self._add_table, self._change_default,
        ]  # fmt: skip
        while True:
            done = self.rng.choice(edits)()
            if done:
                return done

    def _table(self) -> Tab:
        return self.rng.choice(self.tables)

    def _plain_columns(self, table: Tab) -> list[Col]:
        return [c for c in table.columns if not c.references]

    def _add_nullable(self) -> str:
        table = self._table()
        column = Col(self.fresh("c"), self.rng.choice(TYPES))
        table.columns.append(column)
        return f"add nullable {table.name}.{column.name}"

    def _add_with_default(self) -> str:
        table, kind = self._table(), self.rng.choice(TYPES)
        column = Col(self.fresh("c"), kind, not_null=True, default=_literal(kind, self.rng))
        if self.rng.random() < 0.5:  # not at the end: a rebuild, not an ALTER
            table.columns.insert(0, column)
        else:
            table.columns.append(column)
        return f"add NOT NULL DEFAULT {table.name}.{column.name}"

    def _add_backfilled(self) -> str:
        table = self._table()
        column = Col(self.fresh("c"), "TEXT", not_null=True, backfill="'b' || id")
        table.columns.append(column)
        return f"add NOT NULL backfilled {table.name}.{column.name}"

    def _drop_column(self) -> str:
        table = self._table()
        plain = self._plain_columns(table)
        if not plain:
            return ""
        column = self.rng.choice(plain)
        table.columns.remove(column)
        table.indexes = [(n, c) for n, c in table.indexes if c != column.name]
        table.old_columns.pop(column.name, None)
        return f"drop {table.name}.{column.name}"

    def _rename_column(self) -> str:
        table = self._table()
        plain = self._plain_columns(table)
        if not plain:
            return ""
        column = self.rng.choice(plain)
        new = self.fresh("c")
        old = column.name
        column.renamed_from = column.renamed_from or old  # the name the database has
        column.name = new
        table.indexes = [(n, new if c == old else c) for n, c in table.indexes]
        if column.check:
            column.check = column.check.replace(old, new)
        if old in table.old_columns:
            table.old_columns[new] = table.old_columns.pop(old)
        if old in table.transforms:
            table.transforms[new] = table.transforms.pop(old)
        return f"rename {table.name}.{old} to {new}"

    def _rename_table(self) -> str:
        table = self._table()
        old, new = table.name, f"{self.prefix}_{self.fresh('t')}"
        table.renamed_from = table.renamed_from or old  # the name the database has
        table.name = new
        for other in self.tables:
            for column in other.columns:
                if column.references == old:
                    column.references = new
        return f"rename table {old} to {new}"

    def _widen(self) -> str:
        table = self._table()
        ints = [c for c in self._plain_columns(table) if c.type == "INTEGER"]
        if not ints:
            return ""
        column = self.rng.choice(ints)
        column.type = "TEXT"
        if column.default is not None:
            column.default = f"'{column.default}'"
        _chain(table, column.name, lambda v: None if v is None else str(v))
        return f"widen {table.name}.{column.name} to TEXT"

    def _require_with_default(self) -> str:
        table = self._table()
        nullable = [c for c in self._plain_columns(table) if not c.not_null]
        if not nullable:
            return ""
        column = self.rng.choice(nullable)
        column.not_null, column.default = True, _literal(column.type, self.rng)
        # The migration fills NULLs with the DEFAULT v2 ends with (a later edit may change it).
        _chain(table, column.name, lambda v: _value_of(column.default or "") if v is None else v)
        return f"require {table.name}.{column.name} DEFAULT {column.default}"

    def _toggle_index(self) -> str:
        table = self._table()
        if table.indexes and self.rng.random() < 0.5:
            gone = table.indexes.pop()
            return f"drop index {gone[0]}"
        plain = self._plain_columns(table)
        if not plain:
            return ""
        name = f"{table.name}_{self.fresh('ix')}"
        table.indexes.append((name, self.rng.choice(plain).name))
        return f"add index {name}"

    def _add_check(self) -> str:
        table = self._table()
        plain = [c for c in self._plain_columns(table) if not c.check]
        if not plain:
            return ""
        column = self.rng.choice(plain)
        column.check = f"{column.name} IS NULL OR {column.name} = {column.name}"
        return f"add CHECK on {table.name}.{column.name}"

    def _add_table(self) -> str:
        return f"add table {self._new_table(v1=False).name}"

    def _change_default(self) -> str:
        table = self._table()
        with_default = [c for c in table.columns if c.default is not None and not c.references]
        if not with_default:
            return ""
        column = self.rng.choice(with_default)
        for _ in range(20):  # a default drawn equal to the old one is no edit at all
            default = _literal(column.type, self.rng)
            if default != column.default:
                column.default = default
                return f"change default of {table.name}.{column.name}"
        return ""  # this type has one literal (BLOB): another edit is drawn


def _objects(table: Tab) -> list[tuple[str, str]]:
    """(SQLite DDL, PostgreSQL section) of the table's views, triggers and FTS5 table.

    Each is printed from the table's current columns and name, so a renamed
    or dropped column or table changes it; the view and the trigger also
    read the parent table, so its rebuild must carry them.
    """
    name, found = table.name, []
    parent = next((c for c in table.columns if c.references), None)
    if "view" in table.objects:
        picked = ", ".join(["t.id", *(f"t.{c.name}" for c in table.columns)])
        join = ""
        if parent is not None:
            picked += ", p.id AS parent_id"
            join = f" LEFT JOIN {parent.references} AS p ON p.id = t.{parent.name}"
        found.append((f"CREATE VIEW {name}_v AS SELECT {picked} FROM {name} AS t{join};\n", ""))
        if "view2" in table.objects:
            found.append((f"CREATE VIEW {name}_vv AS SELECT id FROM {name}_v WHERE id > 0;\n", ""))
    triggers: list[tuple[str, str, str]] = []  # (name, event, body)
    if "trigger" in table.objects:
        guard = f" AND EXISTS (SELECT 1 FROM {parent.references})" if parent else ""
        body = f"SELECT RAISE(ABORT, 'negative id') WHERE NEW.id < 0{guard};"
        triggers.append((f"{name}_guard", "UPDATE", body))
    text = [c.name for c in table.columns if c.type == "TEXT" and not c.references]
    if "fts" in table.objects and text:
        fts, column = f"{name}_fts", text[0]
        found.append(
            (
                f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{name}', "
                "content_rowid='id');\n",
                f'-- storegen: {fts}\nCREATE TABLE IF NOT EXISTS {fts} ("rowid" BIGINT PRIMARY KEY);\n',
            )
        )
        add = f"INSERT INTO {fts} (rowid, {column}) VALUES (new.id, new.{column});"
        remove = (
            f"INSERT INTO {fts} ({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
        )
        triggers += [
            (f"{fts}_ai", "INSERT", add),
            (f"{fts}_ad", "DELETE", remove),
            (f"{fts}_au", "UPDATE", f"{remove} {add}"),
        ]
    for trigger, event, body in triggers:
        found.append(
            (
                f"CREATE TRIGGER {trigger} AFTER {event} ON {name} BEGIN {body} END;\n",
                f"-- storegen: {trigger}\nCREATE OR REPLACE FUNCTION {trigger}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;\n"
                f"CREATE OR REPLACE TRIGGER {trigger} AFTER {event} ON {name} "
                f"FOR EACH ROW EXECUTE FUNCTION {trigger}();\n",
            )
        )
    return found


def _chain(table: Tab, column: str, step: Callable[[Value], Value]) -> None:
    before = table.transforms.get(column, lambda v: v)
    table.transforms[column] = lambda v: step(before(v))


def _literal(kind: str, rng: random.Random) -> str:
    if kind == "INTEGER":
        return str(rng.randint(0, 99))
    if kind == "REAL":
        return f"{rng.randint(0, 99)}.5"
    if kind == "BLOB":
        return "X'00ff'"
    return "'" + rng.choice(["", "x", "it''s"]) + "'"


def _value_of(literal: str) -> Value:
    if literal.startswith("X'"):
        return bytes.fromhex(literal[2:-1])
    if literal.startswith("'"):
        return literal[1:-1].replace("''", "'")
    return float(literal) if "." in literal else int(literal)


def random_value(kind: str, rng: random.Random, nullable: bool) -> Value:
    if nullable and rng.random() < 0.25:
        return None
    if kind == "INTEGER":
        return rng.choice([0, -1, 7, 2**40, -(2**62), rng.randint(-1000, 1000)])
    if kind == "REAL":
        return rng.choice([0.5, -1.25, 3.0, 1e-3, 123456.75])
    if kind == "BLOB":
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 6)))
    return rng.choice(["", "plain", "it's", "ünï", "line\nbreak", "x" * 40])
