"""Views, the user's triggers and FTS5 tables: read from their tokens, kept as written.

These objects reach the database exactly as the schema file writes them, so
all the IR needs is their name, their text, where they are, and what they
refer to (a table rebuild must drop and re-create the views and triggers
that mention the table). Trigger bodies and FTS5 arguments are not parsed
with sqlglot, which turns them into opaque commands; the tokens suffice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..records import replace
from ..errors import SchemaError
from .ir import Trigger, View, VirtualTable
from .lex import Statement, Token

__all__ = [
    "CARRIED_MODULES",
    "check_drop",
    "link_objects",
    "parse_trigger",
    "parse_view",
    "parse_virtual_table",
    "referenced_names",
]

# Virtual-table modules storegen carries; any other is refused, by name.
CARRIED_MODULES = frozenset({"fts5"})


def _unquote(token: Token) -> str:
    if token.kind in ("quoted", "string"):
        return token.text[1:-1].replace(token.text[-1] * 2, token.text[-1])
    return token.text


def _name_after(statement: Statement, keyword: str) -> tuple[str, int]:
    """The object name after ``keyword`` (VIEW, TRIGGER, TABLE), past IF NOT EXISTS and main."""
    tokens = statement.tokens
    at = next(i for i, t in enumerate(tokens) if t.keyword == keyword) + 1
    if [t.keyword for t in tokens[at : at + 3]] == ["IF", "NOT", "EXISTS"]:
        at += 3
    if at + 1 < len(tokens) and tokens[at + 1].text == ".":
        schema = _unquote(tokens[at])
        if schema.lower() != "main":
            raise SchemaError(
                f"objects in attached schema '{schema}' are not supported", statement.location
            )
        at += 2
    if at >= len(tokens) or tokens[at].kind not in ("word", "quoted"):
        raise SchemaError(f"CREATE {keyword} without a name", statement.location)
    return _unquote(tokens[at]), at


def parse_view(statement: Statement) -> View:
    """A CREATE VIEW: its name and text; columns and dependencies come later."""
    name, _ = _name_after(statement, "VIEW")
    return View(name, statement.text, statement.location)


def parse_trigger(statement: Statement) -> Trigger:
    """A CREATE TRIGGER: its name, the table or view it fires on, and its text."""
    name, at = _name_after(statement, "TRIGGER")
    words = [t.keyword for t in statement.tokens]
    begin = words.index("BEGIN") if "BEGIN" in words else len(words)
    on = next((i for i in range(at + 1, begin) if words[i] == "ON"), None)
    if on is None or on + 1 >= begin:
        raise SchemaError(f"trigger {name} names no table (ON ...)", statement.location)
    tokens = statement.tokens
    target = on + 1
    if target + 2 < begin and tokens[target + 1].text == ".":
        target += 2  # main.t
    return Trigger(name, _unquote(tokens[target]), statement.text, statement.location)


def parse_virtual_table(statement: Statement) -> VirtualTable:
    """A CREATE VIRTUAL TABLE USING fts5(...); any other module is refused by name."""
    name, at = _name_after(statement, "TABLE")
    tokens = statement.tokens
    if at + 2 >= len(tokens) or tokens[at + 1].keyword != "USING":
        raise SchemaError(f"virtual table {name} names no module (USING ...)", statement.location)
    module = tokens[at + 2].text
    if module.lower() not in CARRIED_MODULES:
        raise SchemaError(
            f"virtual table {name} uses module '{module}', which storegen does not support "
            f"(only {', '.join(sorted(CARRIED_MODULES))}): create it outside the schema files, "
            "in your own start-up code",
            statement.location,
        )
    columns: list[str] = []
    options: dict[str, str] = {}
    for argument in _arguments(tokens[at + 3 :]):
        if len(argument) >= 3 and argument[1].text == "=":
            options[argument[0].text.lower()] = _unquote(argument[2])
        elif argument:
            columns.append(_unquote(argument[0]))
    content = options.get("content")
    return VirtualTable(
        name,
        module.lower(),
        statement.text,
        statement.location,
        tuple(columns),
        content,
        options.get("content_rowid"),
    )


def _arguments(tokens: Sequence[Token]) -> list[list[Token]]:
    """The comma-separated arguments inside the module's parentheses."""
    if not tokens or tokens[0].text != "(":
        return []
    arguments: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[1:]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            if depth == 0:
                break
            depth -= 1
        if token.text == "," and depth == 0:
            arguments.append([])
        else:
            arguments[-1].append(token)
    return [a for a in arguments if a]


def referenced_names(
    sql_tokens: Iterable[Token], names: dict[str, str], own: str
) -> tuple[str, ...]:
    """Every name of ``names`` (lower -> declared) that a statement mentions, but its own.

    Over-inclusion is harmless: a column called like a table only makes a
    rebuild drop and re-create one more view or trigger.
    """
    found: dict[str, str] = {}
    for token in sql_tokens:
        if token.kind not in ("word", "quoted", "string"):
            continue
        key = _unquote(token).lower()
        if key in names and key != own.lower():
            found.setdefault(key, names[key])
    return tuple(found.values())


def _read_tables(view: View, statement: Statement, names: dict[str, str]) -> tuple[str, ...]:
    """The tables and views a view's SELECT reads, in order (its CTE names excluded)."""
    try:
        tree = sqlglot.parse_one(view.sql, read="sqlite")
    except SqlglotError:
        return referenced_names(statement.tokens, names, view.name)
    ctes = {cte.alias.lower() for cte in tree.find_all(exp.CTE)}
    found = dict.fromkeys(
        names[t.name.lower()]
        for t in tree.find_all(exp.Table)
        if t.name.lower() in names and t.name.lower() not in ctes | {view.name.lower()}
    )
    return tuple(found)


def link_objects(
    views: list[tuple[View, Statement]],
    triggers: list[tuple[Trigger, Statement]],
    virtual: list[tuple[VirtualTable, Statement]],
    table_names: Iterable[str],
) -> tuple[tuple[View, ...], tuple[Trigger, ...], tuple[VirtualTable, ...]]:
    """Fill in each object's dependencies, once every file is read; refuse duplicate names."""
    names: dict[str, str] = {n.lower(): n for n in table_names}
    seen = dict.fromkeys(names, "table")
    named: list[tuple[View | VirtualTable, Statement]] = [*views, *virtual]
    for obj, statement in named:
        kind = "view" if isinstance(obj, View) else "virtual table"
        if obj.name.lower() in seen:
            raise SchemaError(
                f"{kind} {obj.name}: a {seen[obj.name.lower()]} of that name exists already",
                statement.location,
            )
        seen[obj.name.lower()] = kind
        names[obj.name.lower()] = obj.name
    trigger_names: set[str] = set()
    for trigger, statement in triggers:
        if trigger.name.lower() in trigger_names:
            raise SchemaError(f"trigger {trigger.name} is defined twice", statement.location)
        trigger_names.add(trigger.name.lower())
        if trigger.table.lower() not in names:
            raise SchemaError(
                f"trigger {trigger.name} fires on '{trigger.table}', which no schema file "
                "defines as a table or view",
                statement.location,
            )
    linked_views = tuple(replace(v, depends_on=_read_tables(v, s, names)) for v, s in views)
    linked_triggers = tuple(
        replace(
            t,
            table=names[t.table.lower()],
            depends_on=referenced_names(s.tokens, names, t.name),
        )
        for t, s in triggers
    )
    linked_virtual = tuple(
        replace(v, depends_on=referenced_names(s.tokens, names, v.name)) for v, s in virtual
    )
    return linked_views, linked_triggers, linked_virtual


def check_drop(
    statement: Statement, made: Iterable[str], objects: Iterable[View | Trigger | VirtualTable]
) -> None:
    """A DROP may only be a preamble: IF EXISTS, before anything of that name is made.

    Dropping what the files define would make the database differ from the IR;
    a DROP without IF EXISTS fails on an empty database.
    """
    defined = {n.lower() for n in made} | {o.name.lower() for o in objects}
    words = [t.keyword for t in statement.tokens]
    tokens = statement.tokens
    at = 2
    conditional = words[at : at + 2] == ["IF", "EXISTS"]
    at += 2 if conditional else 0
    if at + 1 < len(tokens) and tokens[at + 1].text == ".":
        at += 2
    name = tokens[at].text.strip('"`[]') if at < len(tokens) else ""
    if name.lower() in defined:
        raise SchemaError(
            f"this DROP removes {name}, which the schema files define before it: write the "
            "final shape only (migrations are made by `storegen migrate`)",
            statement.location,
        )
    if not conditional:
        raise SchemaError(
            "DROP without IF EXISTS is not schema: it fails on an empty database; write "
            "DROP ... IF EXISTS (a preamble, passed over) or leave it out",
            statement.location,
        )
