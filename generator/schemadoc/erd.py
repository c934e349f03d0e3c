"""The schema as a Mermaid `erDiagram`: every table, its key columns, every foreign key.

Cardinality is read off the schema, not guessed: the parent end is "exactly
one" when every foreign-key column is NOT NULL and "zero or one" otherwise;
the child end is "zero or one" when the foreign-key columns cover a primary
or unique key of the child (so a parent has at most one such child), else
"zero or many". A solid line marks an identifying relationship (the foreign
key is part of the child's primary key), a dotted line any other.
"""

from __future__ import annotations

import re

from ..schema.ir import Column, ForeignKey, Schema, Table

_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def er_diagram(schema: Schema) -> str:
    """The Mermaid source (without the code fence) of the schema's diagram."""
    lines = ["erDiagram"]
    for table in schema.tables:
        lines.extend(_entity(table))
    for table in schema.tables:
        for fk in table.foreign_keys:
            parent = schema.table(fk.ref_table)
            lines.append(
                f"    {_name(parent.name)} {relationship(table, fk)} {_name(table.name)} : "
                f'"{_label(", ".join(fk.columns))}"'
            )
    return "\n".join(lines) + "\n"


def relationship(child: Table, fk: ForeignKey) -> str:
    """Mermaid's spelling of the parent end, the line and the child end of `fk`."""
    parent_end = "|o" if any(is_nullable(child, c) for c in fk.columns) else "||"
    child_end = "o|" if _covers_a_key(child, fk.columns) else "o{"
    primary = set(child.primary_key.columns) if child.primary_key else set()
    line = "--" if set(fk.columns) <= primary else ".."
    return parent_end + line + child_end


def is_nullable(table: Table, column_name: str) -> bool:
    """True when the database accepts NULL in this column.

    A rowid alias (INTEGER PRIMARY KEY) never holds NULL, whatever it declares, nor
    does a WITHOUT ROWID table's key; other keys may (SQLite's legacy quirk).
    """
    column = table.column(column_name)
    pk = table.primary_key
    if pk is not None and column.name in pk.columns:
        if table.without_rowid or (pk.rowid_alias and pk.columns == (column.name,)):
            return False
    return not column.not_null


def key_marks(table: Table, column: Column) -> tuple[str, ...]:
    """The column's key roles in the diagram's order: PK, FK, UK."""
    marks = []
    if table.primary_key is not None and column.name in table.primary_key.columns:
        marks.append("PK")
    if any(column.name in fk.columns for fk in table.foreign_keys):
        marks.append("FK")
    if any(column.name in uk.columns for uk in table.unique_keys):
        marks.append("UK")
    return tuple(marks)


def _covers_a_key(table: Table, columns: tuple[str, ...]) -> bool:
    keys = [uk.columns for uk in table.unique_keys]
    if table.primary_key is not None:
        keys.append(table.primary_key.columns)
    return any(set(key) <= set(columns) for key in keys)


def _entity(table: Table) -> list[str]:
    """An entity block of the key columns, or the bare name when it has none."""
    rows = []
    for column in table.columns:
        marks = key_marks(table, column)
        if not marks:
            continue
        attribute = _word(column.name, "column")
        note = "" if attribute == column.name else f' "{_label(column.name)}"'
        rows.append(
            f"        {_word(column.declared_type, column.affinity.value)} {attribute} "
            f"{', '.join(marks)}{note}"
        )
    if not rows:
        return [f"    {_name(table.name)}"]
    return [f"    {_name(table.name)} {{", *rows, "    }"]


def _name(name: str) -> str:
    """An entity name: bare when Mermaid accepts it, quoted otherwise."""
    return name if _WORD.match(name) else f'"{_label(name)}"'


def _word(text: str, fallback: str) -> str:
    """An attribute type or name as the one word Mermaid accepts there."""
    word = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    if not word:
        return fallback
    return word if word[0].isalpha() or word[0] == "_" else f"_{word}"


def _label(text: str) -> str:
    """Text inside Mermaid's double quotes, which cannot hold one."""
    return " ".join(text.replace('"', "'").split())
