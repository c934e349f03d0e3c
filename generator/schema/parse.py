"""Schema text to IR: dispatch each statement, then link tables.

Statements are dispatched on their leading keywords. CREATE TABLE and CREATE
INDEX become IR (`parse_table`); views, triggers and FTS5 tables become IR
too (`objects.py`), kept as written; statements that are not schema (PRAGMA,
data INSERTs, DROP ... IF EXISTS preambles) are listed as passed over, so
``storegen generate`` can say so; anything else fails loudly rather than
being skipped. Linking happens once every file is read, because a foreign
key may name a table from a later file.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from ..errors import SchemaError
from ..records import record, replace
from .ir import ForeignKey, PassedOver, Index, Location, Schema, Table, UniqueKey
from .ir import Trigger, View, VirtualTable
from .objects import check_drop, link_objects, parse_trigger, parse_view, parse_virtual_table
from .bare_names import index_name_tokens
from .sqlglot_adapter import parse_create
from .tables import ParsedTable, parse_table
from .triggers import rewritten_table
from .lex import SCHEMA_PHRASES, SQLITE_KEYWORDS, SourceFile, Statement, check_parentheses
from .lex import scan_source

# Statements that are not schema: data, transactions, connection settings.
# PRAGMA lines are passed over: they set up a connection, not the schema, and
# the generated runtime sets what it needs (foreign_keys=ON) on every connection.
_NOT_SCHEMA = frozenset(
    {
        "PRAGMA", "INSERT", "REPLACE", "UPDATE", "DELETE", "SELECT", "WITH", "VALUES",
        "DROP", "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE",
        "ANALYZE", "VACUUM", "REINDEX", "EXPLAIN", "ATTACH", "DETACH",
    }
)  # fmt: skip
_TEMPORARY = "temporary {} are not supported: they vanish with the connection"
_UNSUPPORTED = {
    "ALTER": "ALTER TABLE is not supported: write the final shape in the CREATE TABLE",
    "CREATE TEMP TABLE": _TEMPORARY.format("tables"),
    "CREATE TEMP VIEW": _TEMPORARY.format("views"),
    "CREATE TEMP TRIGGER": _TEMPORARY.format("triggers"),
    "CREATE TEMP VIRTUAL TABLE": _TEMPORARY.format("virtual tables"),
}


@record
class _ParsedIndex:
    """An index, before it is attached to its table."""

    table_name: str
    index: Index
    location: Location
    listed: dict[str, str]  # COLLATE written after a column name, by lower name


def parse_schema(
    sources: Sequence[tuple[str, str]], *, scanned: list[SourceFile] | None = None
) -> Schema:
    """Turn schema files into the IR every later step reads.

    Args:
        sources: ``(display_path, sql_text)`` pairs, in execution order.
        scanned: When given, each file's lexed form is appended to it, so that
            `validate_schema` need not lex the files again.

    Returns:
        Every table (with its indexes, and foreign keys resolved to the
        parent's columns), view, trigger and FTS5 table, and every
        statement passed over because it is not schema.

    Raises:
        SchemaError: At ``file:line:col``, for anything that cannot be
            honoured: syntax errors, duplicate tables or columns, foreign keys
            to unknown tables or columns, unusable enum CHECKs, unsupported
            statements and misplaced directives.
    """
    tables: dict[str, ParsedTable] = {}
    indexes: list[_ParsedIndex] = []
    passed_over: list[PassedOver] = []
    rewritten: list[tuple[str, str]] = []  # (table, event) of AFTER triggers writing the row
    views: list[tuple[View, Statement]] = []
    triggers: list[tuple[Trigger, Statement]] = []
    virtual: list[tuple[VirtualTable, Statement]] = []
    for path, text in sources:
        source = scan_source(path, text)
        if scanned is not None:
            scanned.append(source)
        for statement in source.statements:
            phrase = statement.phrase
            if phrase in _NOT_SCHEMA:
                if phrase == "DROP":
                    made = [*tables, *(i.index.name.lower() for i in indexes)]
                    named: list[View | Trigger | VirtualTable] = [v for v, _ in views]
                    named += [t for t, _ in triggers] + [v for v, _ in virtual]
                    check_drop(statement, made, named)
                passed_over.append(_passed_over(statement, phrase.lower()))
            elif phrase == "CREATE VIEW":
                above = source.comments_above(statement.location.line, after=0)
                doc = source.docstring(above, "view")[0]  # the view model's docstring
                views.append((replace(parse_view(statement), comment=doc), statement))
            elif phrase == "CREATE TRIGGER":
                triggers.append((parse_trigger(statement), statement))
                if found := rewritten_table(statement):
                    rewritten.append(found)
            elif phrase == "CREATE VIRTUAL TABLE":
                virtual.append((parse_virtual_table(statement), statement))
            elif phrase == "CREATE TABLE":
                check_parentheses(statement, source)
                _add_table(tables, parse_table(statement, source))
            elif phrase in SCHEMA_PHRASES:
                check_parentheses(statement, source)
                indexes.append(_parse_index(statement, source, tables))
            else:
                raise SchemaError(
                    _UNSUPPORTED.get(phrase) or _unknown(statement), statement.location
                )
        source.check_directives_claimed()
    _attach_indexes(tables, indexes)
    _mark_rewritten(tables, rewritten)
    linked = [_link_foreign_keys(parsed, tables) for parsed in tables.values()]
    objects = link_objects(views, triggers, virtual, [t.name for t in linked])
    return Schema(
        tuple(linked),
        tuple(path for path, _ in sources),
        tuple(passed_over),
        views=objects[0],
        triggers=objects[1],
        virtual_tables=objects[2],
    )


def _mark_rewritten(tables: dict[str, ParsedTable], rewritten: list[tuple[str, str]]) -> None:
    """Record on each table the events whose AFTER triggers rewrite its rows."""
    for name, event in rewritten:
        parsed = tables.get(name.lower())
        if parsed is None or event in parsed.table.rewritten_after:
            continue
        events = tuple(sorted({*parsed.table.rewritten_after, event}))
        tables[name.lower()] = replace(parsed, table=replace(parsed.table, rewritten_after=events))


def _parse_index(
    statement: Statement, source: SourceFile, tables: dict[str, ParsedTable]
) -> _ParsedIndex:
    """Turn a CREATE [UNIQUE] INDEX into an Index (``expression`` set when not on plain columns)."""
    columns = _index_columns(statement, tables)
    return plain_index(statement, columns) or sqlglot_index(statement, source, columns)


def plain_index(statement: Statement, columns: set[str]) -> _ParsedIndex | None:
    """``CREATE [UNIQUE] INDEX [IF NOT EXISTS] i ON t (a [ASC|DESC], ...)``, read from the tokens.

    What `sqlglot_index` makes of it, without sqlglot (~0.17 ms an index): only
    bare names that are no SQLite keyword, every column one of ``columns`` (the
    table's, lower-cased), no COLLATE, no WHERE. Anything else is None, and
    sqlglot reads it (and SQLite's errors keep their place: `CREATE INDEX on ON
    on (...)` is refused at its word, not at the statement).
    """
    tokens, words = statement.tokens, [t.keyword for t in statement.tokens]
    unique = words[1] == "UNIQUE"
    at = 3 if unique else 2
    if words[at - 1] != "INDEX":
        return None
    if words[at : at + 3] == ["IF", "NOT", "EXISTS"]:
        at += 3
    end = len(tokens) - 1  # the closing parenthesis
    if end < at + 5 or words[at + 1] != "ON" or tokens[at + 3].text != "(":
        return None
    name, table = tokens[at], tokens[at + 2]
    if name.kind != "word" or table.kind != "word" or tokens[end].text != ")":
        return None
    if name.keyword in SQLITE_KEYWORDS or table.keyword in SQLITE_KEYWORDS:
        return None
    listed, i = [], at + 4
    while True:
        if i >= end:  # an empty list or a trailing comma
            return None
        column = tokens[i]
        if column.kind != "word" or column.text.lower() not in columns:
            return None
        if column.keyword in SQLITE_KEYWORDS:
            return None
        listed.append(column.text)
        i += 2 if words[i + 1] in ("ASC", "DESC") else 1
        if i == end:
            break
        if tokens[i].text != ",":
            return None
        i += 1
    index = Index(name.text, tuple(listed), statement.text, unique, None, False)
    return _ParsedIndex(table.text, index, statement.location, {})


def sqlglot_index(
    statement: Statement, source: SourceFile, table_columns: set[str]
) -> _ParsedIndex:
    """A CREATE INDEX as sqlglot reads it, with names hidden (bare_names.py)."""
    names = index_name_tokens(statement.tokens, table_columns)
    create = parse_create(statement, source, _index_schema_prefix(statement), names)
    node = create.this
    if not isinstance(node, exp.Index):
        raise SchemaError(
            "storegen misread this CREATE INDEX; please report it", statement.location
        )
    columns, listed, expression = [], {}, False
    for ordered in node.args["params"].args.get("columns") or ():
        target = ordered.this if isinstance(ordered, exp.Ordered) else ordered
        collation = target.expression.name.upper() if isinstance(target, exp.Collate) else None
        target = target.this if isinstance(target, exp.Collate) else target
        if not isinstance(target, exp.Column):
            expression = True
            continue
        columns.append(target.name)
        if collation:
            listed[target.name.lower()] = collation
    tokens = statement.tokens
    where_at = next((i for i, t in enumerate(tokens) if t.keyword == "WHERE"), None)
    where = None
    if where_at is not None:
        where = source.text[tokens[where_at + 1].start : tokens[-1].end]
    unique = bool(create.args.get("unique"))
    index = Index(node.name, tuple(columns), statement.text, unique, where, expression)
    return _ParsedIndex(node.args["table"].name, index, statement.location, listed)


def index_tree(sql: str, columns: set[str]) -> exp.Create:
    """sqlglot's tree of a CREATE INDEX that `parse_schema` accepted, for transpiling.

    ``columns`` are the indexed table's column names, lower-cased; a ``main.``
    before the index name is gone.
    """
    source = scan_source("schema.sql", sql)
    statement = source.statements[0]
    names = index_name_tokens(statement.tokens, columns)
    return parse_create(statement, source, _index_schema_prefix(statement), names)


def _index_columns(statement: Statement, tables: dict[str, ParsedTable]) -> set[str]:
    """The lower-case column names of the indexed table, if it is defined already."""
    tokens = statement.tokens
    on_at = next((i for i, t in enumerate(tokens) if t.keyword == "ON"), len(tokens) - 1)
    if on_at + 1 >= len(tokens):
        return set()
    target = tokens[on_at + 1]
    name = target.text[1:-1] if target.kind == "quoted" else target.text
    parsed = tables.get(name.lower())
    return {c.name.lower() for c in parsed.table.columns} if parsed else set()


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
        index = replace(index, columns=columns)
        unique_keys = table.unique_keys
        if index.unique and index.where is None and not index.expression:
            nocase = tuple(
                name
                for name in columns
                if parsed.listed.get(name.lower(), table.column(name).collation) == "NOCASE"
            )
            unique_keys += (UniqueKey(columns, "index", index.name, nocase),)
        table = replace(table, indexes=table.indexes + (index,), unique_keys=unique_keys)
        tables[table.name.lower()] = replace(owner, table=table)


def _link_foreign_keys(parsed: ParsedTable, tables: dict[str, ParsedTable]) -> Table:
    """Check every foreign key against its parent and fill in omitted parent columns."""
    child = parsed.table
    linked = tuple(
        _link(child, fk, location, tables)
        for fk, location in zip(child.foreign_keys, parsed.fk_locations)
    )
    return replace(child, foreign_keys=linked)


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
    return replace(fk, ref_table=parent.name, ref_columns=ref_columns)


def _column_name(table: Table, name: str, user: str, location: Location) -> str:
    """The column's declared spelling, or a SchemaError naming who wanted it."""
    try:
        return table.column(name).name
    except KeyError:
        raise SchemaError(
            f"{user} names column '{name}', which table {table.name} does not have", location
        ) from None


def _passed_over(statement: Statement, kind: str) -> PassedOver:
    first_line = statement.text.split("\n", 1)[0]
    summary = first_line if len(first_line) <= 80 else first_line[:77] + "..."
    return PassedOver(kind, statement.location, summary)


def _unknown(statement: Statement) -> str:
    return (
        f"unrecognised statement '{statement.phrase or statement.tokens[0].text}': storegen reads "
        "CREATE TABLE, INDEX, VIEW, TRIGGER and VIRTUAL TABLE (fts5), and passes over PRAGMA "
        "and data statements"
    )
