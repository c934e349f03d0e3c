"""`[tool.storegen.views.<name>]`: a typo is refused, never ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from storegen.config import options_from_mapping
from storegen.errors import ConfigError, SchemaError
from storegen.render.context import build_package_view
from storegen.schema.parse import parse_schema
from storegen.schema.validate import validate_schema

SCHEMA = """\
CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, score REAL);
CREATE VIEW top_notes AS SELECT id, title, score * 2 AS doubled FROM notes;
"""


def build(tmp_path: Path, views: dict[str, object], schema: str = SCHEMA) -> list[str]:
    sources = [("schema.sql", schema)]
    parsed = validate_schema(parse_schema(sources), sources)
    options = options_from_mapping({"views": views}, root=tmp_path, source="test")
    view = build_package_view(parsed, options, ("schema.sql",))
    return [f"{t.store}: {', '.join(m.name for m in t.methods)}" for t in view.tables]


def test_a_key_gives_get_by_and_keyset_paging(tmp_path: Path) -> None:
    assert build(tmp_path, {"top_notes": {"key": "id"}})[1] == (
        "TopNoteStore: get_by_id, list_all, count_all"
    )
    assert build(tmp_path, {})[1] == "TopNoteStore: list_all, count_all"


@pytest.mark.parametrize(
    ("views", "message"),
    [
        ({"top_note": {"key": "id"}}, "[tool.storegen.views.top_note]: no view 'top_note'"),
        ({"top_notes": {"key": "ident"}}, "the view has no column 'ident'"),
        ({"top_notes": {"keys": "id"}}, "keys"),
        ({"top_notes": {"store": "not a class"}}, "'store' must be a class name"),
    ],
    ids=["unknown-view", "unknown-key", "unknown-setting", "bad-class"],
)
def test_config_mistakes_are_refused(
    tmp_path: Path, views: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build(tmp_path, views)
    assert message in str(caught.value)


def test_a_view_class_that_collides_is_refused_at_the_view(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as caught:
        build(tmp_path, {"top_notes": {"model": "Note"}})
    assert "view top_notes becomes the class 'Note', which is taken" in caught.value.message
    assert str(caught.value.location) == "schema.sql:2:1"


JSON_SCHEMA = """\
CREATE TABLE events (id INTEGER PRIMARY KEY, payload JSON NOT NULL);
CREATE VIEW event_payloads AS SELECT e.id, e.payload FROM events AS e;
"""


async def test_a_view_over_a_json_column_decodes_it(tmp_path: Path) -> None:
    """A view column keeps the codec of the table column it comes from."""
    import importlib
    import sys

    from storegen import generate
    from storegen.output.write import write_files

    (tmp_path / "schema.sql").write_text(JSON_SCHEMA)
    options = options_from_mapping(
        {"schema": ["schema.sql"], "package": "jsonview", "out": "jsonview",
         "views": {"event_payloads": {"key": "id"}}},
        root=tmp_path,
        source="test",
    )  # fmt: skip
    write_files(generate(options).files, options.out)
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module("jsonview")
        stores = importlib.import_module("jsonview.aiosqlite")
    finally:
        sys.path.remove(str(tmp_path))
    async with stores.SqliteDatabase(tmp_path / "app.db") as db:
        await package.create_schema(db)
        payload = {"kind": "signup", "tags": ["a", 1.5, None], "n": 2}
        inserted = await stores.EventStore(db).insert(package.Event(payload=payload), "ray")
        assert inserted.status, inserted
        found = await stores.EventPayloadStore(db).get_by_id(inserted.client_message.id, "ray")
        assert found.status and found.client_message.payload == payload
