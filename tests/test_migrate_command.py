"""`storegen migrate`: the files it writes, and what they do to real databases with rows.

Each data test edits a schema, runs the real CLI, then applies the written
files with the runtime's `apply_migrations` to an SQLite file and to the real
PostgreSQL (its own folder), and reads the rows back.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from migrate_project import FOREIGN_KEYS_OFF, Project
from migrate_support import fresh_database
from storegen.runtime.migrate import apply_migrations

V1 = """\
CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE players (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    nick TEXT
);
CREATE INDEX idx_players_team ON players (team_id);
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = Project(tmp_path / "proj")
    made.schema(V1)
    return made


def test_first_run_writes_0001_initial_then_no_changes(project: Project) -> None:
    run = project.migrate()
    assert run.code == 0, run.err
    assert sorted(project.files()) == ["0001_initial.sql", "postgres/0001_initial.sql"]
    sqlite_text = project.files()["0001_initial.sql"]
    assert "CREATE TABLE teams" in sqlite_text and "BEGIN" not in sqlite_text
    assert not sqlite_text.startswith(FOREIGN_KEYS_OFF)
    before = project.files()
    again = project.migrate()
    assert again.code == 0 and "no changes" in again.out
    assert project.files() == before


def test_dry_run_prints_and_writes_nothing(project: Project) -> None:
    run = project.migrate("--dry-run")
    assert run.code == 0
    assert "-- ==> migrations/0001_initial.sql <==" in run.out
    assert "CREATE TABLE players" in run.out
    assert project.files() == {}


def test_adding_a_nullable_column_at_the_end_is_a_plain_alter(project: Project) -> None:
    project.migrate()
    project.schema(V1.replace("    nick TEXT\n", "    nick TEXT,\n    rating REAL\n"))
    run = project.migrate()
    assert run.code == 0, run.err
    text = project.files()["0002_add_column_players_rating.sql"]
    assert "ALTER TABLE players ADD COLUMN rating REAL;" in text
    assert "_storegen_new_" not in text and not text.startswith(FOREIGN_KEYS_OFF)
    pg = project.files()["postgres/0002_add_column_players_rating.sql"]
    assert 'ALTER TABLE "players" ADD COLUMN rating DOUBLE PRECISION;' in pg


def test_name_flag_names_the_file(project: Project) -> None:
    project.migrate("--name", "Start here!")
    assert "0001_start_here.sql" in project.files()


V2_RENAMES = """\
-- @renamed-from teams
CREATE TABLE squads (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- @backfill 'S-' || name
    code TEXT NOT NULL
);
CREATE TABLE players (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES squads (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    nickname TEXT, -- @renamed-from nick
    score INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_players_team ON players (team_id);
"""

DATA = {
    "teams": [(1, "red"), (2, "blue")],
    "players": [(1, 1, "ann", "a"), (2, 1, "bob", None), (3, 2, "cy", "c")],
}


async def _insert(db: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    for row in rows:
        if db.sql_dialect == "postgres":
            marks = ", ".join(f"${i + 1}" for i in range(len(row)))
        else:
            marks = ", ".join("?" for _ in row)
        await db.execute(f"INSERT INTO {table} VALUES ({marks})", row)


async def _rows(db: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await db.fetch_all(sql, ())]


async def _fk_clean(db: Any) -> None:
    if db.sql_dialect != "postgres":
        assert await _rows(db, "PRAGMA foreign_key_check") == []
        assert await _rows(db, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_renames_backfill_and_parent_rebuild_keep_every_row(
    project: Project, kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Table and column renames by directive, a backfilled NOT NULL column, and the
    rebuild of a parent with cascading children: no child row is lost (the FK trap)."""
    assert project.migrate().code == 0
    project.schema(V2_RENAMES)
    run = project.migrate()
    assert run.code == 0, run.err
    assert "rename table teams to squads" in run.out
    assert "rename column players.nick to nickname" in run.out
    assert "rebuild table squads" in run.out
    async with fresh_database(kind, request, tmp_path) as db:
        steps = project.for_db(db)
        assert await apply_migrations(db, steps[:1]) == ["0001_initial"]
        await _insert(db, "teams", DATA["teams"])
        await _insert(db, "players", DATA["players"])
        assert await apply_migrations(db, steps) == [steps[1].name]
        assert await _rows(db, "SELECT id, name, code FROM squads ORDER BY id") == [
            (1, "red", "S-red"),
            (2, "blue", "S-blue"),
        ]
        assert await _rows(
            db, "SELECT id, team_id, name, nickname, score FROM players ORDER BY id"
        ) == [(1, 1, "ann", "a", 0), (2, 1, "bob", None, 0), (3, 2, "cy", "c", 0)]
        await _fk_clean(db)
        # The cascade still works after the rebuild (the children's key was kept or restored).
        await db.execute("DELETE FROM squads WHERE id = 1", ())
        assert await _rows(db, "SELECT id FROM players ORDER BY id") == [(3,)]
        # Rowid alias keeps numbering after the copied keys.
        await db.execute("INSERT INTO squads (name, code) VALUES ('green', 'g')", ())
        assert await _rows(db, "SELECT max(id) FROM squads") == [(3,)]


V2_TYPES = """\
CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) > 0)
);
CREATE TABLE players (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    nick TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_players_name ON players (name);
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_check_default_nullability_and_index_changes_rebuild(
    project: Project, kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    assert project.migrate().code == 0
    project.schema(V2_TYPES)
    run = project.migrate()
    assert run.code == 0, run.err
    [name] = [n for n in project.files() if n.startswith("0002")]
    text = project.files()[name]
    assert text.startswith(FOREIGN_KEYS_OFF)
    assert "COALESCE(nick, '')" in text  # NULLs take the DEFAULT on the way to NOT NULL
    async with fresh_database(kind, request, tmp_path) as db:
        steps = project.for_db(db)
        await apply_migrations(db, steps[:1])
        await _insert(db, "teams", DATA["teams"])
        await _insert(db, "players", DATA["players"])
        await apply_migrations(db, steps)
        assert await _rows(db, "SELECT id, nick FROM players ORDER BY id") == [
            (1, "a"),
            (2, ""),
            (3, "c"),
        ]
        assert await _rows(db, "SELECT count(*) FROM teams") == [(2,)]
        await _fk_clean(db)
        with pytest.raises(Exception):
            await db.execute("INSERT INTO teams (id, name) VALUES (9, '')", ())


CORPUS = Path(__file__).resolve().parent / "corpus_migrate"


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.iterdir()))
def test_corpus_refusals_give_the_exact_message_and_write_nothing(
    case: str, tmp_path: Path
) -> None:
    """tests/corpus_migrate/<case>: before.sql (migrated first, if present), a
    committed migrations/ folder (if present), after.sql, the command (migrate
    unless `command` says otherwise) and the exact message it must print."""
    folder = CORPUS / case
    project = Project(tmp_path / "proj")
    if (folder / "before.sql").exists():
        project.schema((folder / "before.sql").read_text())
        assert project.migrate().code == 0
    if (folder / "migrations").exists():
        shutil.copytree(folder / "migrations", project.root / "migrations")
    project.schema((folder / "after.sql").read_text())
    command = (folder / "command").read_text().split() if (folder / "command").exists() else []
    expected = (folder / "expected.txt").read_text().strip()
    before = project.files()
    if command == ["check"]:
        run = project.storegen("check")
        assert run.code == 1
        assert f"storegen: {expected}" in run.err.splitlines()
    else:
        run = project.migrate()
        assert run.code == 2, run.out
        assert run.err == f"storegen: error: {expected}\n"
    assert project.files() == before


def test_allow_destructive_drops_a_column_with_its_index(project: Project) -> None:
    project.migrate()
    project.schema(
        V1.replace(
            "team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,\n    ", ""
        ).replace("CREATE INDEX idx_players_team ON players (team_id);\n", "")
    )
    assert project.migrate().code == 2
    run = project.migrate("--allow-destructive")
    assert run.code == 0, run.err
    assert "drop column players.team_id" in run.out
    assert "drop index idx_players_team" in run.out
    assert project.migrate().out.startswith("storegen: no changes")


def test_backfill_for_a_column_becoming_not_null(project: Project) -> None:
    project.migrate()
    project.schema(V1.replace("    nick TEXT\n", "    nick TEXT NOT NULL -- @backfill name\n"))
    run = project.migrate()
    assert run.code == 0, run.err
    [text] = [t for n, t in project.files().items() if n.startswith("0002")]
    assert "COALESCE(nick, name)" in text


def test_check_exits_1_when_the_schema_changed_since_the_last_migration(project: Project) -> None:
    project.migrate()
    assert project.storegen("generate").code == 0
    assert project.storegen("check").code == 0
    project.schema(V1.replace("    nick TEXT\n", "    nick TEXT,\n    rating REAL\n"))
    assert project.storegen("generate").code == 0
    run = project.storegen("check")
    assert run.code == 1
    assert (
        "storegen: schema/app.sql changed since the last migration: run `storegen migrate`"
        in run.err
    )
    assert "table players: defined differently by the migrations" in run.out
    project.migrate()
    assert project.storegen("generate").code == 0
    assert project.storegen("check").code == 0


def test_directives_reach_the_ir_and_stay_out_of_docstrings(project: Project) -> None:
    project.schema(V2_RENAMES.replace("-- @renamed-from teams", "-- Squads. @renamed-from teams"))
    run = project.storegen("inspect")
    assert run.code == 0, run.err
    tables = {t["name"]: t for t in json.loads(run.out)["tables"]}
    assert (tables["squads"]["renamed_from"], tables["squads"]["comment"]) == ("teams", "Squads.")
    columns = {c["name"]: c for c in tables["squads"]["columns"] + tables["players"]["columns"]}
    assert columns["code"]["backfill"] == "'S-' || name"
    assert (columns["nickname"]["renamed_from"], columns["nickname"]["comment"]) == ("nick", None)


def test_renamed_from_and_backfill_share_one_comment(project: Project) -> None:
    """Each argument directive ends where the next begins (the property test
    found a backfill swallowed into the rename's argument, then lost)."""
    project.migrate()
    project.schema(
        V1.replace(
            "    nick TEXT\n", "    handle TEXT NOT NULL -- @renamed-from nick @backfill name\n"
        )
    )
    run = project.storegen("inspect")
    assert run.code == 0, run.err
    [players] = [t for t in json.loads(run.out)["tables"] if t["name"] == "players"]
    [handle] = [c for c in players["columns"] if c["name"] == "handle"]
    assert (handle["renamed_from"], handle["backfill"]) == ("nick", "name")
    run = project.migrate()
    assert run.code == 0, run.err
    [text] = [t for n, t in project.files().items() if n.startswith("0002")]
    assert "COALESCE(nick, name)" in text


async def test_a_postgres_backend_added_after_migrations_gets_catch_up_files(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A ddl_dialect backend configured after the first migrations: `check` says so,
    `migrate` writes its files (the first creates the whole schema, the later ones
    change nothing), a new PostgreSQL database migrates to the schema, and the next
    edit gets a normal file for both engines."""
    late = Project(tmp_path / "late", backends=("aiosqlite",))
    late.schema(V1)
    assert late.migrate().code == 0
    late.schema(V2_TYPES)
    assert late.migrate().code == 0
    assert len(late.files()) == 2 and all("/" not in name for name in late.files())
    config = late.root / "pyproject.toml"
    config.write_text(config.read_text().replace('["aiosqlite"]', '["aiosqlite", "postgres"]'))

    stale = late.storegen("check")
    assert stale.code == 1 and "migrations/postgres has no migrations yet" in stale.out + stale.err
    run = late.migrate()
    assert run.code == 0, run.err
    names = [m.name for m in late.migrations()]
    assert [m.name for m in late.migrations("postgres")] == names
    first, second = late.migrations("postgres")
    assert "CREATE TABLE" in first.sql and "CHECK" in first.sql  # the schema as of 0002
    assert "CREATE" not in second.sql and "ALTER" not in second.sql
    assert late.migrate().code == 0 and "no changes" in late.migrate().out

    async with fresh_database("postgres", request, tmp_path) as db:
        assert await apply_migrations(db, late.migrations("postgres")) == names
        await _insert(db, "teams", DATA["teams"])
        await _insert(db, "players", [(1, 1, "ann", "a")])
        assert await _rows(db, "SELECT nick FROM players") == [("a",)]
        with pytest.raises(Exception):  # the CHECK of 0002 is there
            await _insert(db, "teams", [(3, "")])

    late.schema(
        V2_TYPES.replace(
            "    nick TEXT NOT NULL DEFAULT ''\n",
            "    nick TEXT NOT NULL DEFAULT '',\n    age INTEGER\n",
        )
    )
    third = late.migrate()
    assert third.code == 0, third.err
    added = [n for n in late.files() if n.startswith(("0003", "postgres/0003"))]
    assert len(added) == 2 and "ADD COLUMN" in late.files()[added[1]].upper()


def test_a_long_default_name_is_cut_between_words(project: Project) -> None:
    """Issue 23 (4): `..._to_full_name_an.sql` was cut mid-word."""
    project.migrate()
    project.schema(V1.replace("    nick TEXT\n", "    nickname_on_profile TEXT -- @renamed-from nick\n"))
    run = project.migrate()
    assert run.code == 0, run.err
    [name] = [n for n in project.files() if n.startswith("0002")]
    assert name == "0002_rename_column_players_nick_to_nickname_on.sql"
