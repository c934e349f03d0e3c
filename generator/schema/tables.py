"""One CREATE TABLE to IR: sqlglot for constraint structure, our tokens for the rest.

sqlglot parses the column list once `parse_columns` has hidden what it cannot
read; its nodes give NOT NULL, keys, CHECKs, DEFAULT values and generated
columns, each applied to the table being built by `constraints.py`. Declared
types, DEFAULT text, positions and comments come from our tokens, because
sqlglot normalises or drops them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from ..errors import SchemaError
from ..records import record, replace
from .ir import Column, Location, PrimaryKey, Table
from .columns import Element, split_elements
from .columns import listed_collations, table_options, unparsable_spans
from .constraints import _add_column, _add_table_constraint, _Draft
from .bare_names import table_name_tokens
from .sqlglot_adapter import parse_create
from .lex import SourceFile, Statement, matching_paren, scan_source


@record
class ParsedTable:
    """A table whose foreign keys may still omit the parent's columns."""

    table: Table
    fk_locations: tuple[Location, ...]  # one per foreign key, for later errors


def parse_table(statement: Statement, source: SourceFile) -> ParsedTable:
    """Turn one CREATE TABLE into a Table.

    Raises SchemaError for syntax errors, a trailing comma, unknown table
    options, duplicate columns, and enum CHECKs that cannot be honoured.
    """
    tokens = statement.tokens
    open_at = next((i for i, t in enumerate(tokens) if t.text == "("), None)
    if open_at is None:
        construct = (
            "CREATE TABLE ... AS SELECT"
            if any(t.keyword == "AS" for t in tokens)
            else "CREATE TABLE without a column list"
        )
        raise SchemaError(f"{construct} is not supported: declare the columns", statement.location)
    close_at = matching_paren(tokens, open_at)
    elements = split_elements(tokens, open_at, close_at, source)
    without_rowid, strict = table_options(tokens[close_at + 1 :], source)
    schema = _sqlglot_tree(statement, source, open_at, elements).this
    if not isinstance(schema, exp.Schema) or len(schema.expressions) != len(elements):
        raise SchemaError("storegen misread this column list; please report it", statement.location)
    if schema.this.db.lower() not in ("", "main"):
        raise SchemaError(
            f"tables in attached schema '{schema.this.db}' are not supported", statement.location
        )
    draft = _Draft(schema.this.name, source, body_start=tokens[open_at].start)
    for element, node in zip(elements, schema.expressions):
        if element.is_column:
            _add_column(draft, element, node)
        else:
            unique_count, had_pk = len(draft.unique_keys), draft.primary_key is not None
            _add_table_constraint(draft, node, None, element.location)
            listed = listed_collations(element)
            if len(draft.unique_keys) > unique_count:
                draft.listed[unique_count] = listed
            if draft.primary_key is not None and not had_pk:
                draft.pk_listed = listed
    return _finish(draft, statement, without_rowid, strict)


def table_tree(sql: str) -> exp.Create:
    """sqlglot's tree of a CREATE TABLE that `parse_table` accepted, for transpiling.

    Declared types read as ``INT`` or ``T`` (the caller sets types), and table options,
    ON CONFLICT clauses and ASC/DESC/COLLATE in key lists are gone.
    """
    source = scan_source("schema.sql", sql)
    statement = source.statements[0]
    tokens = statement.tokens
    open_at = next(i for i, t in enumerate(tokens) if t.text == "(")
    elements = split_elements(tokens, open_at, matching_paren(tokens, open_at), source)
    return _sqlglot_tree(statement, source, open_at, elements)


def _sqlglot_tree(
    statement: Statement, source: SourceFile, open_at: int, elements: Sequence[Element]
) -> exp.Create:
    """Parse with what sqlglot cannot read hidden, and bare names as placeholders."""
    tokens = statement.tokens
    close_at = matching_paren(tokens, open_at)
    blanks = [(tokens[close_at].end, tokens[-1].end, "")] + unparsable_spans(tokens, elements)
    columns = {e.tokens[0].text.lower() for e in elements if e.is_column}
    names = table_name_tokens(tokens, (e.tokens for e in elements), columns)
    return parse_create(statement, source, blanks, names)


def _finish(draft: _Draft, statement: Statement, without_rowid: bool, strict: bool) -> ParsedTable:
    columns = draft.columns
    for name, values, location in draft.enums:
        column = columns.get(name.lower())
        if column is None:
            raise SchemaError(
                f"CHECK names column '{name}', which table {draft.name} lacks", location
            )
        if column.check_in is not None:
            raise SchemaError(
                f"column {draft.name}.{column.name} has two CHECK (... IN (...)) lists; keep one",
                location,
            )
        columns[name.lower()] = replace(column, check_in=values)
    for name in draft.json_checks:
        column = columns.get(name.lower())
        if column is not None:  # an unknown name: SQLite's own check refuses it
            columns[name.lower()] = replace(column, json_check=True)
    primary_key = None
    if draft.primary_key:
        names, desc, _ = draft.primary_key
        first = columns[names[0].lower()]
        primary_key = PrimaryKey(
            names,
            nocase=_nocase(columns, names, draft.pk_listed),
            rowid_alias=len(names) == 1
            and first.declared_type.upper() == "INTEGER"
            and not desc
            and not without_rowid,
            autoincrement=first.autoincrement,
        )
    above = draft.source.comments_above(statement.location.line, after=0)
    comment, directives = draft.source.docstring(above, "table")
    table = Table(
        name=draft.name,
        columns=tuple(columns.values()),
        location=statement.location,
        sql=statement.text,
        primary_key=primary_key,
        unique_keys=tuple(
            replace(key, nocase=_nocase(columns, key.columns, draft.listed.get(i, {})))
            for i, key in enumerate(draft.unique_keys)
        ),
        foreign_keys=tuple(draft.foreign_keys),
        comment=comment,
        append_only="append-only" in directives,
        without_rowid=without_rowid,
        strict=strict,
        renamed_from=directives.get("renamed-from"),
    )
    return ParsedTable(table, tuple(draft.fk_locations))


def _nocase(
    columns: dict[str, Column], names: tuple[str, ...], listed: dict[str, str]
) -> tuple[str, ...]:
    """The key columns compared with NOCASE: as listed in the key, else the column's own."""
    return tuple(
        name
        for name in names
        if listed.get(name.lower(), columns[name.lower()].collation) == "NOCASE"
    )
