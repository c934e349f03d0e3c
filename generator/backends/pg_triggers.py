"""PL/pgSQL triggers that give a PostgreSQL table SQLite's behaviour.

PostgreSQL has no clause for two things SQLite tables do, so the transpiled
DDL (`dialect.py`) and the PostgreSQL migrations get triggers for them:

* an INTEGER PRIMARY KEY (rowid alias) takes the next number when the insert
  sends NULL, and an explicit key moves the numbering past it;
* an append-only table refuses UPDATE, DELETE and TRUNCATE with SQLite's
  message `append-only: <table>`, and an INSERT over an existing key with
  `UNIQUE constraint failed: <table>.<pk>`.
"""

from __future__ import annotations

from ..schema.ir import Table
from .sql import quote_identifier as _quote, sql_string as _string


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


def postgres_table_triggers(table: Table, append_only: bool) -> list[str]:
    """The rowid-alias and append-only trigger functions and triggers of one table."""
    return _postgres_rowid_alias(table) + (_postgres_append_only(table) if append_only else [])
