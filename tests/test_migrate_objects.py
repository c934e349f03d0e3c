"""`storegen migrate` with views, triggers and FTS5 tables, run on real databases.

- A parent table with cascading children is rebuilt while views and triggers
  refer to it: they are dropped first and re-created last (SQLite's 12-step
  procedure), no child row is lost, and the triggers still fire.
- A changed view or trigger is a DROP and a CREATE.
- A changed FTS5 definition keeps every row: an external-content index is
  rebuilt from its table; a table holding its own text has its rows copied.
- Dropping text that lives nowhere else exits 2 unless --allow-destructive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrate_project import FOREIGN_KEYS_OFF, Project
from migrate_support import fresh_database
from storegen.runtime.migrate import apply_migrations

V1 = """\
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name TEXT
);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    edits INTEGER NOT NULL DEFAULT 0
);
CREATE VIEW note_authors AS
    SELECT n.id, n.title, a.name AS author FROM notes AS n JOIN authors AS a ON a.id = n.author_id;
CREATE VIEW author_counts AS SELECT author, count(*) AS notes FROM note_authors GROUP BY author;
CREATE TRIGGER notes_edits AFTER UPDATE OF body ON notes BEGIN
    UPDATE notes SET edits = edits + 1 WHERE id = NEW.id;
END;
CREATE TRIGGER authors_guard BEFORE DELETE ON authors
WHEN (SELECT count(*) FROM notes WHERE author_id = OLD.id) > 100
BEGIN
    SELECT RAISE(ABORT, 'too many notes');
END;
CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content='notes', content_rowid='id');
CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER notes_fts_update AFTER UPDATE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO notes_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE VIRTUAL TABLE jottings USING fts5(text);
"""

# authors: NULL name becomes NOT NULL with a DEFAULT: a rebuild of the parent.
V2_REBUILD = V1.replace("    name TEXT\n", "    name TEXT NOT NULL DEFAULT 'anon'\n")

AUTHORS = [(1, "ann"), (2, None)]
NOTES = [
    (1, 1, "alpha", "the quick brown fox"),
    (2, 1, "beta", "jumps over the lazy dog"),
    (3, 2, "gamma", "a quick note"),
]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = Project(tmp_path / "proj", ("aiosqlite",))
    made.schema(V1)
    assert made.migrate().code == 0
    return made


async def _rows(db: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await db.fetch_all(sql, ())]


async def _fill(db: Any) -> None:
    for row in AUTHORS:
        await db.execute("INSERT INTO authors (id, name) VALUES (?, ?)", row)
    for row in NOTES:
        await db.execute("INSERT INTO notes (id, author_id, title, body) VALUES (?, ?, ?, ?)", row)
    for text in ("remember the milk", "call the plumber"):
        await db.execute("INSERT INTO jottings (text) VALUES (?)", (text,))


async def _search(db: Any, table: str, words: str) -> list[int]:
    rows = await db.fetch_all(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", (words,)
    )
    return [r[0] for r in rows]


def _new_file(project: Project) -> str:
    (name,) = [n for n in project.files() if n.startswith("0002")]
    return project.files()[name]


@pytest.mark.parametrize("kind", ["sqlite", "sqld"])
async def test_parent_rebuild_recreates_dependent_views_and_triggers(
    project: Project, kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project.schema(V2_REBUILD)
    run = project.migrate()
    assert run.code == 0, run.err
    text = _new_file(project)
    assert text.startswith(FOREIGN_KEYS_OFF)
    # Dependents go before the table is touched, and come back after it.
    order = [
        "DROP VIEW author_counts;",
        "DROP VIEW note_authors;",
        "DROP TRIGGER authors_guard;",
        "DROP TABLE authors;",
        "ALTER TABLE _storegen_new_authors RENAME TO authors;",
        "CREATE VIEW note_authors",
        "CREATE VIEW author_counts",
        "CREATE TRIGGER authors_guard",
    ]
    at = [text.index(part) for part in order]
    assert at == sorted(at), text
    async with fresh_database(kind, request, tmp_path) as db:
        steps = project.migrations()
        assert await apply_migrations(db, steps[:1]) == ["0001_initial"]
        await _fill(db)
        assert await apply_migrations(db, steps) == [steps[1].name]
        # No cascade fired: every child row is there, and the views read them.
        assert await _rows(db, "SELECT count(*) FROM notes") == [(3,)]
        assert await _rows(db, "SELECT author, notes FROM author_counts ORDER BY author") == [
            ("ann", 2),
            ("anon", 1),
        ]
        await db.execute("UPDATE notes SET body = 'the slow brown fox' WHERE id = 1", ())
        assert await _rows(db, "SELECT edits FROM notes WHERE id = 1") == [(1,)]
        assert await _search(db, "notes_fts", "slow") == [1]
        assert await _rows(db, "PRAGMA foreign_key_check") == []


async def test_changed_view_and_trigger_are_dropped_and_created(project: Project) -> None:
    project.schema(
        V1.replace("count(*) AS notes", "count(*) AS note_count").replace(
            "edits = edits + 1", "edits = edits + 2"
        )
    )
    run = project.migrate()
    assert run.code == 0, run.err
    text = _new_file(project)
    assert "DROP VIEW author_counts;" in text and "count(*) AS note_count" in text
    assert "DROP TRIGGER notes_edits;" in text and "edits = edits + 2" in text
    assert "DROP VIEW note_authors" not in text, "an unchanged view is left alone"
    assert not text.startswith(FOREIGN_KEYS_OFF)


@pytest.mark.parametrize("kind", ["sqlite", "sqld"])
async def test_changed_fts_definitions_keep_every_row(
    project: Project, kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project.schema(
        V1.replace(
            "fts5(title, body, content='notes'",
            "fts5(title, body, tokenize = 'porter', content='notes'",
        ).replace("fts5(text)", "fts5(text, tags)")
    )
    run = project.migrate()
    assert run.code == 0, run.err
    text = _new_file(project)
    assert "INSERT INTO notes_fts (notes_fts) VALUES ('rebuild');" in text
    assert "INSERT INTO jottings (rowid, text)" in text
    async with fresh_database(kind, request, tmp_path) as db:
        steps = project.migrations()
        await apply_migrations(db, steps[:1])
        await _fill(db)
        assert await _search(db, "notes_fts", "jumping") == []
        await apply_migrations(db, steps)
        # The porter stemmer now finds "jumps" for "jumping": the index was rebuilt.
        assert await _search(db, "notes_fts", "jumping") == [2]
        assert await _search(db, "notes_fts", "quick") == [1, 3]
        assert await _rows(db, "SELECT rowid, text, tags FROM jottings ORDER BY rowid") == [
            (1, "remember the milk", None),
            (2, "call the plumber", None),
        ]
        assert await _search(db, "jottings", "plumber") == [2]
        await db.execute(
            "INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')", ()
        )  # raises if the index and the notes disagree


def test_dropping_text_that_lives_nowhere_else_is_destructive(project: Project) -> None:
    project.schema(V1.replace("CREATE VIRTUAL TABLE jottings USING fts5(text);\n", ""))
    run = project.migrate()
    assert run.code == 2
    assert "virtual table jottings would be dropped, losing the text it holds" in run.err
    assert "--allow-destructive" in run.err
    project.schema(V1.replace("fts5(text)", "fts5(words)"))
    run = project.migrate()
    assert run.code == 2
    assert "virtual table jottings changes, losing its column(s) text" in run.err
    assert sorted(project.files()) == ["0001_initial.sql"]
    assert project.migrate("--allow-destructive").code == 0


def test_dropping_an_external_content_index_is_not_destructive(project: Project) -> None:
    """Its text lives in the content table; only the index goes, with its sync triggers."""
    without = (
        V1.split("CREATE VIRTUAL TABLE notes_fts")[0]
        + "CREATE VIRTUAL TABLE jottings USING fts5(text);\n"
    )
    project.schema(without)
    run = project.migrate()
    assert run.code == 0, run.err
    text = _new_file(project)
    assert "DROP TABLE notes_fts;" in text and "DROP TRIGGER notes_fts_insert;" in text


V1_COLUMN = """\
CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, old TEXT);
CREATE VIEW note_titles AS SELECT id, title, old FROM notes;
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_a_column_dropped_under_a_view_is_a_plain_drop(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The view goes first and comes back after, so no rebuild is needed (nor CASCADE)."""
    project = Project(tmp_path / "cols", ("aiosqlite", "postgres"))
    project.schema(V1_COLUMN)
    assert project.migrate().code == 0
    project.schema(V1_COLUMN.replace(", old TEXT", "").replace(", old FROM", " FROM"))
    run = project.migrate("--allow-destructive")
    assert run.code == 0, run.err
    text = _new_file(project)
    assert "ALTER TABLE notes DROP COLUMN old;" in text and "_storegen_new_" not in text
    assert text.index("DROP VIEW note_titles;") < text.index("DROP COLUMN")
    async with fresh_database(kind, request, tmp_path) as db:
        steps = project.for_db(db)
        await apply_migrations(db, steps[:1])
        await db.execute_script(
            "INSERT INTO notes (id, title, old) VALUES (1, 'a', 'x'), (2, 'b', NULL)"
        )
        await apply_migrations(db, steps)
        assert await _rows(db, "SELECT id, title FROM note_titles ORDER BY id") == [
            (1, "a"),
            (2, "b"),
        ]
