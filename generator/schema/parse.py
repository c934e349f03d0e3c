"""Schema files to IR: read them, dispatch each statement, then link tables.

Statements are dispatched on their leading keywords. CREATE TABLE and CREATE
INDEX become IR (`parse_table`); statements with no bearing on the generated
code are listed as ignored, so ``storegen inspect`` can show them; anything
else fails loudly rather than being skipped. Linking happens once every file
is read, because a foreign key may name a table from a later file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from ..errors import SchemaError
from .ir import ForeignKey, IgnoredStatement, Index, Location, Schema, Table, UniqueKey
from .sqlglot_adapter import parse_create
from .tables import ParsedTable, parse_table
from .lex import SCHEMA_PHRASES, SourceFile, Statement, check_parentheses, scan_source

# Statements that cannot change the tables the generator sees.
_IGNORED = frozenset(
    {
        "PRAGMA", "INSERT", "REPLACE", "UPDATE", "DELETE", "SELECT", "WITH", "VALUES",
        "DROP", "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE",
        "ANALYZE", "VACUUM", "REINDEX", "EXPLAIN", "ATTACH", "DETACH",
        "CREATE VIEW", "CREATE TEMP VIEW", "CREATE TRIGGER", "CREATE TEMP TRIGGER",
    }
)  # fmt: skip
_UNSUPPORTED = {
    "ALTER": "ALTER TABLE is not supported: write the final shape in the CREATE TABLE",
    "CREATE VIRTUAL TABLE": "virtual tables (CREATE VIRTUAL TABLE) are not supported",
    "CREATE TEMP TABLE": "temporary tables are not supported: they vanish with the connection",
}


@dataclass(frozen=True, slots=True)
class _ParsedIndex:
    """An index, before it is attached to its table."""

    table_name: str
    index: Index
    location: Location


def read_schema_files(
    paths: Sequence[Path], display: Callable[[Path], str] = str, kind: str = "schema file"
) -> list[tuple[str, str]]:
    """Read schema files as text, so that parsing itself never touches the disk.

    Args:
        paths: The schema files, in the order their statements should run.
        display: How a path appears in messages; the path as given by default.
        kind: What the files are, for messages (``schema file``, ``query file``).

    Returns:
        ``(display_path, sql_text)`` pairs, ready for `parse_schema`.

    Raises:
        SchemaError: A file is unreadable, binary (has a NUL byte) or not
            UTF-8; the location is that of the first offending byte.
    """
    sources = []
    for path in paths:
        shown = display(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise SchemaError(f"{shown}: cannot read {kind}: {error.strerror}") from None
        if b"\0" in data:
            raise SchemaError(
                f"binary data (a NUL byte) in a {kind}: is this really SQL?",
                _byte_location(shown, data, data.index(b"\0")),
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SchemaError(
                f"not valid UTF-8 (byte 0x{data[error.start]:02x}): save the file as UTF-8",
                _byte_location(shown, data, error.start),
            ) from None
        sources.append((shown, text.removeprefix("\ufeff")))
    return sources


def parse_schema(sources: Sequence[tuple[str, str]]) -> Schema:
    """Turn schema files into the IR every later step reads.

    Args:
        sources: ``(display_path, sql_text)`` pairs, in execution order.

    Returns:
        Every table (with its indexes, and foreign keys resolved to the
        parent's columns) and every statement skipped on purpose.

    Raises:
        SchemaError: At ``file:line:col``, for anything that cannot be
            honoured: syntax errors, duplicate tables or columns, foreign keys
            to unknown tables or columns, unusable enum CHECKs, unsupported
            statements and misplaced directives.
    """
    tables: dict[str, ParsedTable] = {}
    indexes: list[_ParsedIndex] = []
    ignored: list[IgnoredStatement] = []
    for path, text in sources:
        source = scan_source(path, text)
        for statement in source.statements:
            phrase = statement.phrase
            if phrase in _IGNORED:
                ignored.append(_ignored(statement, phrase.removeprefix("CREATE ").lower()))
            elif phrase == "CREATE TABLE":
                check_parentheses(statement, source)
                _add_table(tables, parse_table(statement, source))
            elif phrase in SCHEMA_PHRASES:
                check_parentheses(statement, source)
                index = _parse_index(statement, source)
                if index is None:
                    ignored.append(_ignored(statement, "expression index"))
                else:
                    indexes.append(index)
            else:
                raise SchemaError(
                    _UNSUPPORTED.get(phrase) or _unknown(statement), statement.location
                )
        source.check_directives_claimed()
    _attach_indexes(tables, indexes)
    linked = [_link_foreign_keys(parsed, tables) for parsed in tables.values()]
    return Schema(tuple(linked), tuple(path for path, _ in sources), tuple(ignored))


def _parse_index(statement: Statement, source: SourceFile) -> _ParsedIndex | None:
    """Turn a CREATE [UNIQUE] INDEX into an Index; None for an expression index."""
    create = parse_create(statement, source, _index_schema_prefix(statement))
    node = create.this
    if not isinstance(node, exp.Index):
        raise SchemaError(
            "storegen misread this CREATE INDEX; please report it", statement.location
        )
    columns = []
    for ordered in node.args["params"].args.get("columns") or ():
        target = ordered.this if isinstance(ordered, exp.Ordered) else ordered
        target = target.this if isinstance(target, exp.Collate) else target
        if not isinstance(target, exp.Column):
            return None
        columns.append(target.name)
    tokens = statement.tokens
    where_at = next((i for i, t in enumerate(tokens) if t.keyword == "WHERE"), None)
    where = None
    if where_at is not None:
        where = source.text[tokens[where_at + 1].start : tokens[-1].end]
    index = Index(node.name, tuple(columns), statement.text, bool(create.args.get("unique")), where)
    return _ParsedIndex(node.args["table"].name, index, statement.location)


def _index_schema_prefix(statement: Statement) -> list[tuple[int, int, str]]:
    """Hide ``main.`` before an index name: sqlglot reads ``main.i ON t`` as index main on i."""
    tokens = statement.tokens
    at = next(i for i, t in enumerate(tokens) if t.keyword == "INDEX") + 1
    if [t.keyword for t in tokens[at : at + 3]] == ["IF", "NOT", "EXISTS"]:
        at += 3
    if at + 1 >= len(tokens) or tokens[at + 1].text != ".":
        return []
    schema = tokens[at].text[1:-1] if tokens[at].kind == "quoted" else tokens[at].text
    if schema.lower() != "main":
        raise SchemaError(
            f"indexes in attached schema '{schema}' are not supported", statement.location
        )
    return [(tokens[at].start, tokens[at + 1].end, "")]


def _add_table(tables: dict[str, ParsedTable], parsed: ParsedTable) -> None:
    table = parsed.table
    first = tables.get(table.name.lower())
    if first:
        raise SchemaError(
            f"table {table.name} is defined twice (first at {first.table.location})",
            table.location,
        )
    tables[table.name.lower()] = parsed


def _attach_indexes(tables: dict[str, ParsedTable], indexes: Sequence[_ParsedIndex]) -> None:
    """Give each table its indexes; a full UNIQUE index also counts as a unique key."""
    seen: dict[str, Location] = {}
    for parsed in indexes:
        index, location = parsed.index, parsed.location
        if index.name.lower() in seen:
            raise SchemaError(
                f"index {index.name} is defined twice (first at {seen[index.name.lower()]})",
                location,
            )
        seen[index.name.lower()] = location
        owner = tables.get(parsed.table_name.lower())
        if owner is None:
            raise SchemaError(
                f"index {index.name} is on table '{parsed.table_name}', "
                "which no schema file defines",
                location,
            )
        table = owner.table
        columns = tuple(
            _column_name(table, name, f"index {index.name}", location) for name in index.columns
        )
        index = dataclasses.replace(index, columns=columns)
        unique_keys = table.unique_keys
        if index.unique and index.where is None:
            unique_keys += (UniqueKey(columns, "index", index.name),)
        table = dataclasses.replace(
            table, indexes=table.indexes + (index,), unique_keys=unique_keys
        )
        tables[table.name.lower()] = dataclasses.replace(owner, table=table)


def _link_foreign_keys(parsed: ParsedTable, tables: dict[str, ParsedTable]) -> Table:
    """Check every foreign key against its parent and fill in omitted parent columns."""
    child = parsed.table
    linked = tuple(
        _link(child, fk, location, tables)
        for fk, location in zip(child.foreign_keys, parsed.fk_locations)
    )
    return dataclasses.replace(child, foreign_keys=linked)


def _link(
    child: Table, fk: ForeignKey, location: Location, tables: dict[str, ParsedTable]
) -> ForeignKey:
    shown = f"foreign key {child.name}({', '.join(fk.columns)})"
    owner = tables.get(fk.ref_table.lower())
    if owner is None:
        raise SchemaError(
            f"{shown} references table '{fk.ref_table}', which no schema file defines", location
        )
    parent = owner.table
    if fk.ref_columns:
        ref_columns = tuple(_column_name(parent, name, shown, location) for name in fk.ref_columns)
    elif parent.primary_key:
        ref_columns = parent.primary_key.columns
    else:
        raise SchemaError(
            f"{shown} names no columns of {parent.name}, and {parent.name} has no PRIMARY KEY "
            "to stand in for them",
            location,
        )
    if len(ref_columns) != len(fk.columns):
        raise SchemaError(
            f"{shown} has {len(fk.columns)} column(s) but references {len(ref_columns)} "
            f"in {parent.name}",
            location,
        )
    keys = [key.columns for key in parent.unique_keys]
    keys += [parent.primary_key.columns] if parent.primary_key else []
    if {c.lower() for c in ref_columns} not in [{c.lower() for c in key} for key in keys]:
        raise SchemaError(
            f"{shown} references {parent.name}({', '.join(ref_columns)}), which is neither its "
            "PRIMARY KEY nor UNIQUE: SQLite would fail every write with 'foreign key mismatch'",
            location,
        )
    return dataclasses.replace(fk, ref_table=parent.name, ref_columns=ref_columns)


def _column_name(table: Table, name: str, user: str, location: Location) -> str:
    """The column's declared spelling, or a SchemaError naming who wanted it."""
    try:
        return table.column(name).name
    except KeyError:
        raise SchemaError(
            f"{user} names column '{name}', which table {table.name} does not have", location
        ) from None


def _ignored(statement: Statement, kind: str) -> IgnoredStatement:
    first_line = statement.text.split("\n", 1)[0]
    summary = first_line if len(first_line) <= 80 else first_line[:77] + "..."
    return IgnoredStatement(kind, statement.location, summary)


def _unknown(statement: Statement) -> str:
    return (
        f"unrecognised statement '{statement.phrase or statement.tokens[0].text}': storegen reads "
        "CREATE TABLE and CREATE INDEX, and skips PRAGMA, DML, views and triggers"
    )


def _byte_location(path: str, data: bytes, offset: int) -> Location:
    """line:col of a byte offset, counting characters of the valid text before it."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return Location(path, data.count(b"\n", 0, offset) + 1, col)
