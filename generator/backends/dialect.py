"""The schema's DDL in another SQL dialect, for backends that ask for it.

A backend manifest may say `ddl_dialect = "postgres"`: its templates then get
the schema's statements transpiled to that dialect (the `ddl` variable)
instead of the SQLite text.

What plain transpiling gets wrong, and is fixed here:

* column types follow what the generated code *sends*, not the declared
  name: every codec stores SQLite's storage classes (ISO dates are text,
  booleans are 0/1 integers, decimals are text), so INTEGER becomes BIGINT
  (SQLite integers are 64-bit), a BOOLEAN or `CHECK (x IN (0, 1))` column is
  a BIGINT keeping its CHECK, DATE stays TEXT, DATETIME/TIMESTAMP are
  TIMESTAMPTZ (sent and read as UTC text), REAL is DOUBLE
  PRECISION, BLOB is BYTEA;
* comments are dropped (they are docstrings in the generated code already);
* indexes lose the `NULLS FIRST` that sqlglot adds to keep SQLite's ordering;
* PRAGMA statements never reach the IR, so they are not emitted;
* SQLite behaviour PostgreSQL has no clause for (the rowid alias, append-only
  tables) becomes triggers, written in `pg_triggers.py`;
* views are transpiled; the user's triggers and FTS5 tables come from the
  PostgreSQL text the user writes (`pg_objects.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.dialects.postgres import Postgres

from ..config import Options
from ..errors import ConfigError, SchemaError
from ..schema.ir import PrimaryKey, Schema, Table, UniqueKey
from ..schema.parse import index_tree
from ..schema.constraints import json_valid_column
from ..schema.tables import table_tree
from .pg_defaults import postgres_column_type as postgres_column_type, postgres_defaults
from .pg_objects import postgres_objects
from .pg_triggers import _postgres_append_only, _postgres_rowid_alias, _rowid_alias
from .sql import quote_identifier as _quote

__all__ = ["DDL_DIALECTS", "schema_ddl", "transpile_expression"]

_OTHER_COLLATION = re.compile(r"\bCOLLATE\s+[\"`\[]?(?!(?:BINARY|NOCASE)\b)\w", re.IGNORECASE)
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_POSTGRES = Postgres()

_SHORT_GROUP = re.compile(r"\(\n\s+([^()\n]{1,60})\n\s*\)")


def schema_ddl(
    schema: Schema, options: Options, append_only: dict[str, bool], dialect: str
) -> tuple[str, ...]:
    """Every CREATE TABLE and CREATE INDEX, then the append-only triggers, in `dialect`."""
    builder = DDL_DIALECTS.get(dialect)
    if builder is None:
        raise ConfigError(
            f"ddl_dialect {dialect!r} is not supported; choose one of "
            f"{', '.join(sorted(DDL_DIALECTS))}"
        )
    return builder(schema, options, append_only)


def transpile_expression(sql: str, dialect: str) -> str:
    """One SQLite expression (a DEFAULT, a CHECK) in `dialect`."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    if dialect == "postgres":
        _blob_literals(tree)
    return tree.sql(dialect=dialect)


def _blob_literals(tree: exp.Expr) -> None:
    """SQLite's X'00ff' is a BLOB; PostgreSQL reads x'00ff' as a bit string: decode it."""
    for literal in list(tree.find_all(exp.HexString)):
        literal.replace(
            exp.Anonymous(
                this="decode",
                expressions=[exp.Literal.string(literal.this), exp.Literal.string("hex")],
            )
        )


def _postgres(schema: Schema, options: Options, append_only: dict[str, bool]) -> tuple[str, ...]:
    statements: list[str] = []
    for table in schema.tables:
        _refuse_collations(table)
        statements.append(_postgres_table(table, options))
        statements.extend(_postgres_index(table, index.sql) for index in table.indexes)
        statements.extend(_postgres_nocase_keys(table))
        statements.extend(_postgres_rowid_alias(table))
    for table in schema.tables:
        if append_only.get(table.name, table.append_only):
            statements.extend(_postgres_append_only(table))
    statements.extend(o.create for o in postgres_objects(schema, options))
    return tuple(statements)


def _strip_comments(tree: exp.Expr) -> None:
    for node in tree.walk():
        node.comments = None


def _postgres_table(table: Table, options: Options) -> str:
    tree = table_tree(table.sql)
    _strip_comments(tree)
    _quote_names(tree)
    _blob_literals(tree)
    _drop_json_valid(tree, table, options)
    alias = _rowid_alias(table)
    schema = tree.this
    if isinstance(schema, exp.Schema):  # a column without a type parses as a bare name
        for item in list(schema.expressions):
            if isinstance(item, (exp.Identifier, exp.Column)):
                item.replace(exp.ColumnDef(this=exp.to_identifier(item.name)))
    for column_def in tree.find_all(exp.ColumnDef):
        pg_type = postgres_column_type(table, column_def.name, options)
        column_def.set("kind", exp.DataType.build(pg_type, dialect="postgres"))
        constraints = [  # no AUTOINCREMENT, and SQLite's collations (NOCASE, RTRIM) do not exist
            c
            for c in column_def.args.get("constraints") or []
            if not isinstance(
                c.args.get("kind"),
                (exp.AutoIncrementColumnConstraint, exp.CollateColumnConstraint),
            )
        ]
        for constraint in constraints:
            default = constraint.args.get("kind")
            if isinstance(default, exp.DefaultColumnConstraint):
                _translate_default(table, column_def.name, default, options)
            if isinstance(default, exp.DefaultColumnConstraint) and pg_type == "BIGINT":
                # SQLite's TRUE/FALSE are 1/0; the column is an integer here.
                for boolean in list(default.find_all(exp.Boolean)):
                    boolean.replace(exp.Literal.number(1 if boolean.this else 0))
        if column_def.name == alias:
            # SQLite's INTEGER PRIMARY KEY numbers rows itself: an identity column,
            # filled by a trigger when the insert sends NULL (see pg_triggers.py).
            constraints.append(
                exp.ColumnConstraint(kind=exp.GeneratedAsIdentityColumnConstraint(this=False))
            )
        column_def.set("constraints", constraints)
    # Pretty, but a short parenthesised list stays on its line: REFERENCES t (id).
    return _SHORT_GROUP.sub(r"(\1)", tree.sql(dialect="postgres", pretty=True))


def _drop_json_valid(tree: exp.Expr, table: Table, options: Options) -> None:
    """`CHECK (json_valid(col))` has no PostgreSQL function: a jsonb column is valid by type."""
    for check in list(tree.find_all(exp.CheckColumnConstraint)):
        column = json_valid_column(check.this)
        if column is not None and postgres_column_type(table, column, options) == "JSONB":
            holder = check.parent
            target = holder if isinstance(holder, (exp.ColumnConstraint, exp.Constraint)) else check
            target.pop()


def _postgres_index(table: Table, sql: str) -> str:
    tree = index_tree(sql, {column.name.lower() for column in table.columns})
    _strip_comments(tree)
    _quote_names(tree)
    for ordered in tree.find_all(exp.Ordered):  # a NOCASE column indexes as lower(x)
        target = ordered.this
        if isinstance(target, exp.Column) and _collation(table, target.name) == "NOCASE":
            target.replace(exp.Lower(this=target.copy()))
    for ordered in tree.find_all(exp.Ordered):
        ordered.set("nulls_first", None)  # SQLite's NULLS FIRST matters for no lookup
    for collate in list(tree.find_all(exp.Collate)):
        collation = collate.expression.name.upper()
        if collation == "NOCASE":  # case-insensitive: index lower(x)
            collate.replace(exp.Lower(this=collate.this))
        elif collation == "BINARY":
            collate.replace(collate.this)
        else:
            raise SchemaError(
                f"an index on {table.name} uses COLLATE {collation}, which storegen cannot "
                "keep on PostgreSQL (it keeps BINARY and NOCASE)",
                table.location,
            )
    return tree.sql(dialect="postgres")


def _translate_default(
    table: Table, name: str, default: exp.DefaultColumnConstraint, options: Options
) -> None:
    """Put PostgreSQL's form of an expression DEFAULT in the DDL, or refuse it."""
    column = table.column(name)
    if column.default is None or column.default.is_literal:
        return
    translated = postgres_defaults(table, options).get(column.name)
    if translated is None:
        raise SchemaError(
            f"column {table.name}.{column.name} has DEFAULT {column.default.sql}, which storegen "
            "cannot compute exactly on PostgreSQL (it translates constants and SQLite's clock: "
            "CURRENT_TIMESTAMP, datetime('now'), unixepoch(), strftime(fmt, 'now')); "
            "give the value in the insert and drop the DEFAULT, or use a literal DEFAULT",
            column.location,
        )
    default.set("this", sqlglot.parse_one(translated, read="postgres"))


def _refuse_collations(table: Table) -> None:
    """COLLATE is never dropped silently: PostgreSQL gets NOCASE (as lower()) and BINARY."""
    for column in table.columns:
        if column.collation not in (None, "BINARY", "NOCASE"):
            raise SchemaError(
                f"column {table.name}.{column.name} is COLLATE {column.collation}, which "
                "storegen cannot keep on PostgreSQL (it keeps BINARY and NOCASE, as lower())",
                column.location,
            )
    if _OTHER_COLLATION.search(table.sql):  # one in a table-level key list
        raise SchemaError(
            f"table {table.name} has a key list with a COLLATE other than BINARY or NOCASE, "
            "which storegen cannot keep on PostgreSQL",
            table.location,
        )


def _collation(table: Table, name: str) -> str | None:
    try:
        return table.column(name).collation
    except KeyError:
        return None


def _postgres_nocase_keys(table: Table) -> list[str]:
    """A unique index on `lower(x)` for each key SQLite keeps unique case-insensitively.

    The key's own constraint stays (foreign keys may need it); the index adds
    the case-insensitive uniqueness and serves `lower(x) = lower($1)` lookups.
    UNIQUE indexes are transpiled with `lower()` already (see _postgres_index).
    """
    keys: list[PrimaryKey | UniqueKey] = [table.primary_key] if table.primary_key else []
    keys += [key for key in table.unique_keys if key.origin != "index"]
    statements = []
    for key in keys:
        if not key.nocase:
            continue
        terms = [f"lower({_quote(c)})" if c in key.nocase else _quote(c) for c in key.columns]
        name = _quote(f"{table.name}_{'_'.join(key.columns)}_nocase")
        statements.append(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {_quote(table.name)} ({', '.join(terms)})"
        )
    return statements


def _quote_names(tree: exp.Expr) -> None:
    """Quote a name PostgreSQL would fold to lower case or read as a keyword.

    The stores quote every name with its declared spelling, so the table must
    be created with that spelling too.
    """
    for identifier in tree.find_all(exp.Identifier):
        name = identifier.this
        if not _PLAIN_NAME.fullmatch(name) or _is_keyword(name):
            identifier.set("quoted", True)


def _is_keyword(name: str) -> bool:
    tokens = _POSTGRES.tokenize(name)
    return len(tokens) != 1 or tokens[0].token_type != TokenType.VAR


DDL_DIALECTS: dict[str, Callable[[Schema, Options, dict[str, bool]], tuple[str, ...]]] = {
    "postgres": _postgres,
}


# ------------------------------------------------------------------ per table (migrations)
# `storegen migrate` writes PostgreSQL migrations one table at a time from these.


def postgres_create_table(table: Table, options: Options, name: str | None = None) -> str:
    """The table's PostgreSQL CREATE TABLE, optionally under another name (a rebuild's)."""
    sql = _postgres_table(table, options)
    if name is None:
        return sql
    tree = sqlglot.parse_one(sql, read="postgres")
    tree.this.this.set("this", exp.to_identifier(name, quoted=True))
    return _SHORT_GROUP.sub(r"(\1)", tree.sql(dialect="postgres", pretty=True))


def postgres_column_definitions(table: Table, options: Options) -> dict[str, str]:
    """Each column's PostgreSQL definition, by lower-case name (for ADD COLUMN)."""
    tree = sqlglot.parse_one(_postgres_table(table, options), read="postgres")
    return {
        column_def.name.lower(): column_def.sql(dialect="postgres")
        for column_def in tree.find_all(exp.ColumnDef)
    }


def postgres_index(table: Table, sql: str) -> str:
    """A SQLite CREATE INDEX on `table` in PostgreSQL (NOCASE columns index as lower())."""
    return _postgres_index(table, sql)


def postgres_nocase_keys(table: Table) -> list[str]:
    """The lower() unique indexes of the table's NOCASE keys (see _postgres_nocase_keys)."""
    return _postgres_nocase_keys(table)
