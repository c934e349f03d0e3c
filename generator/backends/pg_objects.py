"""Views, triggers and FTS5 tables on PostgreSQL: transpiled, or written by the user.

A view is a SELECT, and sqlglot transpiles it. A trigger body (SQLite runs
statements, PostgreSQL runs a PL/pgSQL function) and an FTS5 table (there is
no such module) cannot be transpiled: the user writes their PostgreSQL text
in the file that ``[tool.storegen.postgres] objects`` names, one section per
object, each headed by a line ``-- storegen: <object name>``. A section may
hold several statements (a function and its trigger; a table and its GIN
index), and may also replace a view whose transpiled form is not wanted.
Without a section for an object that needs one, generation stops at the
object's ``file:line:col``, naming the config key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from ..config import Options
from ..errors import ConfigError, SchemaError
from ..schema.ir import Location, Schema, Trigger, View, VirtualTable
from .sql import quote_identifier as _quote

__all__ = ["PostgresObject", "postgres_objects", "read_overrides", "transpile_view"]

CONFIG_KEY = "[tool.storegen.postgres] objects"
_HEADER = re.compile(r"^--\s*storegen:\s*(?P<name>\S+)\s*$")


@dataclass(frozen=True, slots=True)
class PostgresObject:
    """One schema object as PostgreSQL statements: how to create it, and to drop it."""

    kind: str  # "view" | "trigger" | "virtual table"
    name: str
    create: str
    drop: str


def read_overrides(options: Options) -> dict[str, tuple[str, Location]]:
    """The sections of the objects file, by lower-case object name (empty without one)."""
    path = options.postgres_objects
    if path is None:
        return {}
    shown = options.display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{shown} ({CONFIG_KEY}): cannot read it: {error.strerror}") from None
    sections: dict[str, tuple[str, Location]] = {}
    name: str | None = None
    lines: list[str] = []
    start = Location(shown, 1, 1)

    def close() -> None:
        body = "\n".join(lines).strip().rstrip(";").strip()
        if name is None:
            if _code(body):
                raise SchemaError(
                    "text before the first `-- storegen: <object name>` line: every statement "
                    "belongs to a section naming the object it stands for",
                    start,
                )
            return
        if not body:
            raise SchemaError(f"the section for {name} is empty", start)
        if name.lower() in sections:
            raise SchemaError(f"{name} has two sections", start)
        sections[name.lower()] = (body, start)

    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            close()
            name, lines, start = match["name"], [], Location(shown, number, 1)
        else:
            lines.append(line)
    close()
    return sections


def _code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def postgres_objects(schema: Schema, options: Options) -> list[PostgresObject]:
    """Every virtual table, view and trigger in PostgreSQL, in creation order.

    Raises:
        SchemaError: At the object, for one that cannot be transpiled and has
            no section in the objects file; at the section, for one that
            names no object of the schema.
    """
    overrides = read_overrides(options)
    known = {v.name.lower() for v in schema.virtual_tables}
    known |= {v.name.lower() for v in schema.views} | {t.name.lower() for t in schema.triggers}
    for key, (_, where) in overrides.items():
        if key not in known:
            raise SchemaError(
                f"this section names '{key}', which is no view, trigger or FTS5 table of the "
                "schema files",
                where,
            )
    hint = (
        options.display_path(options.postgres_objects)
        if options.postgres_objects is not None
        else "schema/postgres_objects.sql"
    )
    found = [_virtual(v, overrides, hint) for v in schema.virtual_tables]
    found += [_view(v, overrides, hint, schema) for v in schema.views]
    found += [_trigger(t, overrides, hint) for t in schema.triggers]
    return found


def _needs(kind: str, name: str, why: str, location: Location, hint: str) -> SchemaError:
    return SchemaError(
        f"{kind} {name} {why}: write its PostgreSQL version in the file named by "
        f'{CONFIG_KEY} = "{hint}", in a section headed `-- storegen: {name}`',
        location,
    )


def _virtual(
    table: VirtualTable, overrides: dict[str, tuple[str, Location]], hint: str
) -> PostgresObject:
    section = overrides.get(table.name.lower())
    if section is None:
        raise _needs(
            "FTS5 table",
            table.name,
            "has no PostgreSQL form (PostgreSQL searches with tsvector and a GIN index)",
            table.location,
            hint,
        )
    return PostgresObject(
        "virtual table", table.name, section[0], f"DROP TABLE IF EXISTS {_quote(table.name)}"
    )


def _view(
    view: View, overrides: dict[str, tuple[str, Location]], hint: str, schema: Schema
) -> PostgresObject:
    drop = f"DROP VIEW IF EXISTS {_quote(view.name)}"
    section = overrides.get(view.name.lower())
    if section is not None:
        return PostgresObject("view", view.name, section[0], drop)
    try:
        return PostgresObject(
            "view", view.name, transpile_view(view.sql, _casts(view, schema)), drop
        )
    except SqlglotError as error:
        raise _needs(
            "view",
            view.name,
            f"cannot be transpiled ({str(error).splitlines()[0][:120]})",
            view.location,
            hint,
        ) from None


# What a computed view column is cast to, so PostgreSQL returns what the model says:
# its SUM of a BIGINT is a NUMERIC (a Decimal), where SQLite gives an integer.
_PG_CASTS = {"int": "BIGINT", "float": "DOUBLE PRECISION", "str": "TEXT", "bool": "BIGINT"}


def _casts(view: View, schema: Schema) -> dict[int, str]:
    """Per position of the view's select list, the PostgreSQL type of a computed column."""
    from ..queries.objects import view_columns  # the view's columns, typed as the stores see them
    from ..queries.types import _Typer
    from ..schema.lex import scan_source

    source = scan_source(view.location.file, view.sql)
    typer = _Typer(schema, f"view {view.name}", source, source.statements[0])
    try:
        typed = view_columns(typer, view)
    except SchemaError:
        return {}  # untyped: transpiled as written (its store refuses it with the reason)
    return {
        at: _PG_CASTS[t.primitive]
        for at, (_, t) in enumerate(typed)
        if t.primitive in _PG_CASTS and t.column is None
    }


def transpile_view(sql: str, casts: dict[int, str] | None = None) -> str:
    """CREATE OR REPLACE VIEW in PostgreSQL, names quoted as the tables were made.

    ``casts`` gives, per position of the select list, the type a computed
    column is cast to (see `_casts`).
    """
    from .dialect import _blob_literals, _quote_names, _strip_comments  # dialect imports us

    tree = sqlglot.parse_one(sql, read="sqlite", error_level=ErrorLevel.RAISE)
    if not isinstance(tree, exp.Create):
        raise SqlglotError("not a CREATE VIEW")
    select = tree.expression
    if casts and isinstance(select, exp.Select):
        for at, projection in enumerate(select.expressions):
            if at in casts and not isinstance(projection.unalias(), (exp.Column, exp.Star)):
                name = projection.alias_or_name
                cast = exp.Cast(this=projection.unalias().copy(), to=exp.DataType.build(casts[at]))
                projection.replace(exp.alias_(cast, name) if name else cast)
    _strip_comments(tree)
    _quote_names(tree)
    _blob_literals(tree)
    tree.set("replace", True)  # create_schema runs at every start; PostgreSQL has no IF NOT EXISTS
    tree.set("exists", False)
    return tree.sql(dialect="postgres", unsupported_level=ErrorLevel.RAISE)


def _trigger(
    trigger: Trigger, overrides: dict[str, tuple[str, Location]], hint: str
) -> PostgresObject:
    section = overrides.get(trigger.name.lower())
    if section is None:
        raise _needs(
            "trigger",
            trigger.name,
            "has a body PostgreSQL runs only as a PL/pgSQL function",
            trigger.location,
            hint,
        )
    drop = f"DROP TRIGGER IF EXISTS {_quote(trigger.name)} ON {_quote(trigger.table)}"
    return PostgresObject("trigger", trigger.name, section[0], drop)
