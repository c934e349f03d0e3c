"""The walk-through of docs/usage.md, run for real on a project made by `storegen init`.

init, replace the example, first migration, generate; then a schema edit
whose migration file gets data steps (an UPDATE and an INSERT) added by hand
before it is committed. `storegen check` must accept the edited file, and
`migrate(db)` must run it on a database that holds rows from before.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from test_cli import ok, storegen

FIRST = """\
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL
);

CREATE INDEX notes_user_id ON notes (user_id);
"""
# The edit: a title, filled for existing notes by a data step.
SECOND = FIRST.replace("    body TEXT NOT NULL\n", "    body TEXT NOT NULL,\n    title TEXT\n")
DATA_STEPS = """
-- Data steps, added by hand before committing: existing notes get a title,
-- and every database gets the admin user.
UPDATE notes SET title = substr(body, 1, 12) WHERE title IS NULL;
INSERT INTO users (email, created_at) VALUES ('admin@example.org', 0);
"""

UPGRADE = """\
import asyncio
from db import migrate
from db.migrations import SQLITE_MIGRATIONS
from db._runtime.migrate import apply_migrations
from db.aiosqlite import SqliteDatabase, NoteStore, UserStore

async def main() -> None:
    async with SqliteDatabase("app.db") as database:
        # The database as the first release left it: 0001 applied, rows in it.
        await apply_migrations(database, SQLITE_MIGRATIONS[:1])
        await database.execute("INSERT INTO users (id, email, created_at) VALUES (1, 'a@example.org', 1)", ())
        await database.execute("INSERT INTO notes (id, user_id, body) VALUES (1, 1, 'Buy milk and bread')", ())
        # The new release starts: migrate() applies 0002, data steps included.
        print("applied", await migrate(database))
        note = await NoteStore(database).get_by_id(1)
        admin = await UserStore(database).get_by_email("admin@example.org")
        print("title", note.client_message.title)
        print("admin", admin.status)
        print("again", await migrate(database))

asyncio.run(main())
"""


def test_a_migration_with_data_steps_passes_check_and_migrate(tmp_path: Path) -> None:
    ok(storegen(tmp_path, "init", "app"))
    project = tmp_path / "app"
    schema = project / "schema" / "schema.sql"
    schema.write_text(FIRST)
    ok(storegen(project, "migrate"))
    ok(storegen(project, "generate"))
    ok(storegen(project, "check"))

    schema.write_text(SECOND)
    made = ok(storegen(project, "migrate"))
    assert "storegen: wrote migrations/0002_add_column_notes_title.sql" in made.stdout
    second = project / "migrations" / "0002_add_column_notes_title.sql"
    second.write_text(second.read_text() + DATA_STEPS)
    ok(storegen(project, "generate"))
    checked = ok(storegen(project, "check"))
    assert "storegen: db is up to date" in checked.stdout

    run = subprocess.run(
        [sys.executable, "-c", UPGRADE], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "applied ['0002_add_column_notes_title']",
        "title Buy milk and",
        "admin True",
        "again []",
    ]
