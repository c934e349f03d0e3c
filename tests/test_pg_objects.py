"""The PostgreSQL objects file: sections by object name, and every mistake refused where it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from storegen.backends.pg_objects import postgres_objects
from storegen.config import Options
from storegen.errors import SchemaError
from storegen.schema.parse import parse_schema
from storegen.schema.validate import validate_schema

SCHEMA = """\
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE VIEW bodies AS SELECT id, body FROM notes;
CREATE TRIGGER notes_check BEFORE INSERT ON notes BEGIN SELECT RAISE(ABORT, 'x') WHERE NEW.body = ''; END;
"""
TRIGGER = """\
-- storegen: notes_check
CREATE OR REPLACE FUNCTION notes_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.body = '' THEN RAISE EXCEPTION 'x'; END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER notes_check BEFORE INSERT ON notes
    FOR EACH ROW EXECUTE FUNCTION notes_check();
"""


def objects(tmp_path: Path, text: str | None) -> list[tuple[str, str, str]]:
    sources = [("schema.sql", SCHEMA)]
    schema = validate_schema(parse_schema(sources), sources)
    path = None
    if text is not None:
        path = tmp_path / "pg.sql"
        path.write_text(text)
    options = Options(root=tmp_path, postgres_objects=path)
    return [(o.kind, o.name, o.create) for o in postgres_objects(schema, options)]


def test_views_transpile_and_triggers_come_from_their_section(tmp_path: Path) -> None:
    view, trigger = objects(tmp_path, "-- The app's own PostgreSQL text.\n\n" + TRIGGER)
    assert view == ("view", "bodies", "CREATE OR REPLACE VIEW bodies AS SELECT id, body FROM notes")
    assert trigger[:2] == ("trigger", "notes_check")
    assert trigger[2].startswith("CREATE OR REPLACE FUNCTION notes_check()")
    assert trigger[2].endswith("EXECUTE FUNCTION notes_check()")  # the last ';' goes


def test_a_section_may_replace_a_transpiled_view(tmp_path: Path) -> None:
    text = (
        TRIGGER
        + "-- storegen: bodies\nCREATE OR REPLACE VIEW bodies AS SELECT id, upper(body) AS body FROM notes;\n"
    )
    view = objects(tmp_path, text)[0]
    assert view[2] == "CREATE OR REPLACE VIEW bodies AS SELECT id, upper(body) AS body FROM notes"


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        (
            None,
            'trigger notes_check has a body PostgreSQL runs only as a PL/pgSQL function: write its PostgreSQL version in the file named by [tool.storegen.postgres] objects = "schema/postgres_objects.sql", in a section headed `-- storegen: notes_check`',
            "schema.sql:3:1",
        ),
        ("-- nothing for the trigger\n", "trigger notes_check has a body", "schema.sql:3:1"),
        (
            "CREATE TABLE x (a int);\n" + TRIGGER,
            "text before the first `-- storegen: <object name>` line",
            "pg.sql:1:1",
        ),
        (
            TRIGGER + "-- storegen: note_check\nSELECT 1;\n",
            "this section names 'note_check', which is no view, trigger or FTS5 table",
            "pg.sql:9:1",
        ),
        (TRIGGER + "-- storegen: bodies\n\n", "the section for bodies is empty", "pg.sql:9:1"),
        (TRIGGER + TRIGGER, "notes_check has two sections", "pg.sql:9:1"),
    ],
    ids=["no-file", "no-section", "stray-text", "unknown-name", "empty", "twice"],
)
def test_mistakes_are_refused_where_they_are(
    tmp_path: Path, text: str | None, message: str, where: str
) -> None:
    with pytest.raises(SchemaError) as caught:
        objects(tmp_path, text)
    assert message in caught.value.message
    assert str(caught.value.location) == where
