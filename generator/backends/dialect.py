"""The schema's DDL in another SQL dialect, for backends that ask for it.

A backend manifest may say `ddl_dialect = "postgres"`: its templates then get
the schema's statements transpiled to that dialect (the `ddl` variable)
instead of the SQLite text.

What plain transpiling gets wrong, and is fixed here:

* column types follow what the generated code *sends*, not the declared
  name: every codec stores SQLite's storage classes (ISO dates are text,
  booleans are 0/1 integers, decimals are text), so INTEGER becomes BIGINT
  (SQLite integers are 64-bit), a BOOLEAN or `CHECK (x IN (0, 1))` column is
  a BIGINT keeping its CHECK, DATE/DATETIME stay TEXT, REAL is DOUBLE
  PRECISION, BLOB is BYTEA;
* comments are dropped (they are docstrings in the generated code already);
* indexes lose the `NULLS FIRST` that sqlglot adds to keep SQLite's ordering;
* PRAGMA statements never reach the IR, so they are not emitted;
* append-only triggers are written for the dialect (PL/pgSQL for postgres)
  with the same messages as SQLite's: `append-only: <table>` for UPDATE,
  DELETE and TRUNCATE, `UNIQUE constraint failed: <table>.<pk>` for an
  INSERT over an existing key.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp

from ..config import Options
from ..errors import ConfigError
from ..schema.ir import Schema, Table
from ..render.typemap import choose_codec

__all__ = ["DDL_DIALECTS", "schema_ddl", "transpile_expression"]

_CONFLICT_CLAUSE = re.compile(
    r"\bON\s+CONFLICT\s+(?:ROLLBACK|ABORT|FAIL|IGNORE|REPLACE)\b", re.IGNORECASE
)

_KEY_LIST = re.compile(r"(\b(?:PRIMARY\s+KEY|UNIQUE)\s*\()([^()]*)\)", re.IGNORECASE)
_KEY_EXTRAS = re.compile(r"\s+(?:ASC|DESC|COLLATE\s+\w+)\b", re.IGNORECASE)

_SHORT_GROUP = re.compile(r"\(\n\s+([^()\n]{1,60})\n\s*\)")

# Column type per codec: what the generated code sends for that codec.
_POSTGRES_TYPES = {
    "int": "BIGINT",
    "bool": "BIGINT",
    "epoch_date": "BIGINT",
    "epoch_datetime": "BIGINT",
    "float": "DOUBLE PRECISION",
    "bytes": "BYTEA",
    "str": "TEXT",
    "decimal": "TEXT",
    "date": "TEXT",
    "datetime": "TEXT",
}


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
    return sqlglot.transpile(sql, read="sqlite", write=dialect)[0]


def _postgres(schema: Schema, options: Options, append_only: dict[str, bool]) -> tuple[str, ...]:
    statements: list[str] = []
    for table in schema.tables:
        statements.append(_postgres_table(table, options))
        statements.extend(_postgres_index(index.sql) for index in table.indexes)
        statements.extend(_postgres_rowid_alias(table))
    for table in schema.tables:
        if append_only.get(table.name, table.append_only):
            statements.extend(_postgres_append_only(table))
    return tuple(statements)


def _column_type(table: Table, column_name: str, options: Options) -> str:
    column = table.column(column_name)
    column_options = options.table(table.name).columns.get(column.name)
    storage = (
        column_options.temporal_storage if column_options else None
    ) or options.temporal_storage
    codec = choose_codec(
        column,
        table=table.name,
        override=column_options.type if column_options else None,
        numeric=options.numeric,
        temporal_storage=storage,
    )
    return _POSTGRES_TYPES.get(codec, "TEXT")


def _strip_comments(tree: exp.Expr) -> None:
    for node in tree.walk():
        node.comments = None


def _parse_table(table: Table) -> exp.Expr:
    """sqlglot's tree of a CREATE TABLE, past what sqlglot cannot read.

    Table options (WITHOUT ROWID, STRICT) are cut off: PostgreSQL has neither.
    Declared type names SQLite accepts but sqlglot does not (`UNSIGNED BIG
    INT`) are replaced, since every column type is set from its codec anyway.
    """
    text = table.sql
    if table.without_rowid or table.strict:
        text = text[: text.rindex(")") + 1]
    # SQLite's conflict clauses (`NOT NULL ON CONFLICT FAIL`) have no PostgreSQL meaning.
    text = _CONFLICT_CLAUSE.sub("", text)
    # Key column lists in PostgreSQL are plain names: no ASC/DESC, no COLLATE.
    text = _KEY_LIST.sub(lambda m: m.group(1) + _KEY_EXTRAS.sub("", m.group(2)) + ")", text)
    try:
        return sqlglot.parse_one(text, read="sqlite")
    except sqlglot.errors.ParseError:
        pass
    for column in table.columns:
        if column.declared_type:
            text = re.sub(
                rf"((?:\b{re.escape(column.name)}\b|\"{re.escape(column.name)}\")\s+)"
                rf"{re.escape(column.declared_type)}",
                r"\1TEXT",
                text,
                count=1,
            )
    try:
        return sqlglot.parse_one(text, read="sqlite")
    except sqlglot.errors.ParseError as exc:
        raise ConfigError(
            f"table {table.name}: cannot transpile its CREATE TABLE to PostgreSQL: {exc}"
        ) from None


def _postgres_table(table: Table, options: Options) -> str:
    tree = _parse_table(table)
    _strip_comments(tree)
    alias = _rowid_alias(table)
    schema = tree.this
    if isinstance(schema, exp.Schema):  # a column without a type parses as a bare name
        for item in list(schema.expressions):
            if isinstance(item, (exp.Identifier, exp.Column)):
                item.replace(exp.ColumnDef(this=exp.to_identifier(item.name)))
    for column_def in tree.find_all(exp.ColumnDef):
        pg_type = _column_type(table, column_def.name, options)
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
            if isinstance(default, exp.DefaultColumnConstraint) and pg_type == "BIGINT":
                # SQLite's TRUE/FALSE are 1/0; the column is an integer here.
                for boolean in list(default.find_all(exp.Boolean)):
                    boolean.replace(exp.Literal.number(1 if boolean.this else 0))
        if column_def.name == alias:
            # SQLite's INTEGER PRIMARY KEY numbers rows itself: an identity column,
            # filled by a trigger when the insert sends NULL (see _postgres_rowid_alias).
            constraints.append(
                exp.ColumnConstraint(kind=exp.GeneratedAsIdentityColumnConstraint(this=False))
            )
        column_def.set("constraints", constraints)
    # Pretty, but a short parenthesised list stays on its line: REFERENCES t (id).
    return _SHORT_GROUP.sub(r"(\1)", tree.sql(dialect="postgres", pretty=True))


def _rowid_alias(table: Table) -> str | None:
    key = table.primary_key
    return key.columns[0] if key is not None and key.rowid_alias else None


def _postgres_rowid_alias(table: Table) -> list[str]:
    """A NULL key from the insert takes the identity's next value, as in SQLite.

    Inserts send every column, so an explicit NULL would bypass the identity's
    DEFAULT: a BEFORE INSERT trigger fills it instead.
    """
    column = _rowid_alias(table)
    if column is None:
        return []
    function = _quote(f"{table.name}_rowid")
    sequence = f"pg_get_serial_sequence({_string(_quote(table.name))}, {_string(column)})"
    key = f"NEW.{_quote(column)}"
    body = (  # an explicit key moves the sequence past it, so later NULLs never collide
        f"BEGIN\n  IF {key} IS NULL THEN\n    {key} := nextval({sequence});\n"
        f"  ELSIF {key} > COALESCE(pg_sequence_last_value({sequence}::regclass), 0) THEN\n"
        f"    PERFORM setval({sequence}, {key});\n  END IF;\n  RETURN NEW;\nEND"
    )
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$storegen$\n{body}\n$storegen$",
        f"CREATE OR REPLACE TRIGGER {_quote(f'{table.name}_rowid')} BEFORE INSERT ON "
        f"{_quote(table.name)} FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


def _postgres_index(sql: str) -> str:
    # PostgreSQL index names take no schema (SQLite's `main.` / `temp.`).
    sql = re.sub(
        r"^(\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?)"
        r"(?:\"?main\"?|\"?temp\"?)\s*\.\s*",
        r"\1",
        sql,
        flags=re.IGNORECASE,
    )
    tree = sqlglot.parse_one(sql, read="sqlite")
    _strip_comments(tree)
    for ordered in tree.find_all(exp.Ordered):
        ordered.set("nulls_first", None)  # SQLite's NULLS FIRST matters for no lookup
    for collate in list(tree.find_all(exp.Collate)):
        if collate.expression.name.upper() == "NOCASE":  # case-insensitive: index lower(x)
            collate.replace(exp.Lower(this=collate.this))
        else:
            collate.replace(collate.this)
    return tree.sql(dialect="postgres")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _postgres_append_only(table: Table) -> list[str]:
    """A trigger function refusing UPDATE/DELETE/TRUNCATE and an INSERT over a key."""
    function = _quote(f"{table.name}_append_only")
    target = _quote(table.name)
    refuse = f"RAISE EXCEPTION USING MESSAGE = {_string('append-only: ' + table.name)};"
    duplicate = ""
    if table.primary_key is not None:
        key = table.primary_key.columns
        same_key = " AND ".join(f"{_quote(c)} = NEW.{_quote(c)}" for c in key)
        message = "UNIQUE constraint failed: " + ", ".join(f"{table.name}.{c}" for c in key)
        duplicate = (
            f"    IF EXISTS (SELECT 1 FROM {target} WHERE {same_key}) THEN\n"
            f"      RAISE EXCEPTION USING MESSAGE = {_string(message)};\n"
            "    END IF;\n"
        )
    body = (
        "BEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        f"{duplicate}"
        "    RETURN NEW;\n"
        "  END IF;\n"
        f"  {refuse}\n"
        "END"
    )
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$storegen$\n{body}\n$storegen$",
        f"CREATE OR REPLACE TRIGGER {_quote(f'{table.name}_append_only')} "
        f"BEFORE INSERT OR UPDATE OR DELETE ON {target} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE OR REPLACE TRIGGER {_quote(f'{table.name}_append_only_truncate')} "
        f"BEFORE TRUNCATE ON {target} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


DDL_DIALECTS: dict[str, Callable[[Schema, Options, dict[str, bool]], tuple[str, ...]]] = {
    "postgres": _postgres,
}
