"""NOT NULL columns after a migration: never NULL, never reported NULL, on SQLite files and sqld.

The sqld case is the regression for the "NULL value in p_t1.c11" that the
property test found: `ALTER TABLE ADD COLUMN c REAL NOT NULL DEFAULT 89.5`
leaves the existing rows without the column (they read the DEFAULT), and
`PRAGMA integrity_check` / `quick_check` of SQLite 3.42.0-3.45.1 (sqld has 3.45.1)
reads a missing REAL default as NULL. `storegen migrate` therefore follows
such an ADD COLUMN with `UPDATE t SET c = c`, which writes the value into
every row (PostgreSQL keeps its plain ALTER), or rebuilds a table with
triggers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrate_project import FOREIGN_KEYS_OFF, Project
from migrate_support import fresh_database
from storegen.runtime.migrate import MigrationError, apply_migrations

V1 = """\
CREATE TABLE players (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    nick TEXT
);
CREATE INDEX idx_players_name ON players (name);
"""
ROWS = [(1, "ann", "a"), (2, "bob", None), (3, "cy", "c")]


def _add(column: str) -> str:
    return V1.replace("    nick TEXT\n", f"    nick TEXT,\n    {column}\n")


async def _rows(db: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await db.fetch_all(sql, ())]


async def _v1_with_rows(project: Project, db: Any) -> None:
    await apply_migrations(db, project.for_db(db)[:1])
    marks = "$1, $2, $3" if db.sql_dialect == "postgres" else "?, ?, ?"
    for row in ROWS:
        await db.execute(f"INSERT INTO players (id, name, nick) VALUES ({marks})", row)


def _text_of_0002(project: Project) -> str:
    [text] = [t for n, t in project.files().items() if n.startswith("0002")]
    return text


@pytest.mark.parametrize(
    ("column", "filled"),
    [
        ("rating REAL NOT NULL DEFAULT 89.5", True),
        ("rating REAL NOT NULL DEFAULT 7", True),  # REAL affinity stores 7.0
        ("rating INTEGER NOT NULL DEFAULT 1.5", True),  # not an integer: stays REAL
        ("rating INTEGER NOT NULL DEFAULT 7", False),
        ("rating TEXT NOT NULL DEFAULT 1.5", False),  # TEXT affinity stores '1.5'
        ("rating REAL DEFAULT 89.5", False),  # nullable: integrity_check skips it
    ],
)
def test_a_not_null_column_whose_default_is_stored_as_real_is_written_into_every_row(
    column: str, filled: bool, tmp_path: Path
) -> None:
    project = Project(tmp_path / "proj")
    project.schema(V1)
    assert project.migrate().code == 0
    project.schema(_add(column))
    run = project.migrate()
    assert run.code == 0, run.err
    text = _text_of_0002(project)
    assert f"ALTER TABLE players ADD COLUMN {column};" in text
    assert ("UPDATE players SET rating = rating;" in text) is filled, text
    assert "_storegen_new_" not in text and not text.startswith(FOREIGN_KEYS_OFF)
    [pg] = [t for n, t in project.files().items() if n.startswith("postgres/0002")]
    assert 'ALTER TABLE "players" ADD COLUMN rating' in pg  # PostgreSQL needs no fill
    assert "UPDATE" not in pg and "_storegen_new_" not in pg


# Where ADD COLUMN + UPDATE cannot do: (v1, added column). An UPDATE would hit
# the append-only triggers; a CHECK on the new column or a STRICT table makes
# SQLite's ADD COLUMN verify the rows by quick_check, which fails on sqld.
REBUILT = {
    "append_only": ("-- @append-only\n" + V1, "rating REAL NOT NULL DEFAULT 89.5"),
    "check": (V1, "rating REAL NOT NULL DEFAULT 89.5 CHECK (rating > 0)"),
    "strict": (V1.replace(");\n", ") STRICT;\n", 1), "rating REAL NOT NULL DEFAULT 89.5"),
}
FILLED = {
    "plain": (V1, "rating REAL NOT NULL DEFAULT 89.5"),
    "check_elsewhere": (
        V1.replace("name TEXT NOT NULL,", "name TEXT NOT NULL CHECK (name <> ''),"),
        "rating REAL NOT NULL DEFAULT 89.5",
    ),
}


def _project(root: Path, v1: str, column: str) -> Project:
    project = Project(root)
    project.schema(v1)
    assert project.migrate().code == 0
    project.schema(v1.replace("    nick TEXT\n", f"    nick TEXT,\n    {column}\n"))
    run = project.migrate()
    assert run.code == 0, run.err
    return project


@pytest.mark.parametrize("variant", sorted(REBUILT))
def test_tables_an_update_cannot_fill_are_rebuilt(variant: str, tmp_path: Path) -> None:
    text = _text_of_0002(_project(tmp_path / "proj", *REBUILT[variant]))
    assert text.startswith(FOREIGN_KEYS_OFF) and "_storegen_new_players" in text
    assert "UPDATE players SET" not in text and "ADD COLUMN" not in text


@pytest.mark.parametrize("variant", sorted(FILLED))
def test_other_tables_are_filled_by_an_update(variant: str, tmp_path: Path) -> None:
    text = _text_of_0002(_project(tmp_path / "proj", *FILLED[variant]))
    assert "UPDATE players SET rating = rating;" in text and "_storegen_new_" not in text


@pytest.mark.parametrize("variant", sorted({**REBUILT, **FILLED}))
@pytest.mark.parametrize("kind", ["sqlite", "sqld"])
async def test_a_real_default_reaches_every_row_and_the_checks_stay_clean(
    kind: str, variant: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project = _project(tmp_path / "proj", *{**REBUILT, **FILLED}[variant])
    async with fresh_database(kind, request, tmp_path) as db:
        await _v1_with_rows(project, db)
        assert await apply_migrations(db, project.for_db(db)) == [project.for_db(db)[1].name]
        assert await _rows(db, "SELECT id, name, nick, rating FROM players ORDER BY id") == [
            (*row, 89.5) for row in ROWS
        ]
        assert await _rows(db, "PRAGMA integrity_check") == [("ok",)]
        assert await _rows(db, "PRAGMA quick_check") == [("ok",)]
        assert await _rows(db, "PRAGMA foreign_key_check") == []
        indexes = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'players'"
        assert await _rows(db, indexes) == [("idx_players_name",)]
        if variant == "append_only":  # the rebuild kept the table append-only
            with pytest.raises(Exception, match="append-only"):
                await db.execute("UPDATE players SET rating = 1.0", ())


@pytest.mark.parametrize("kind", ["sqlite", "sqld"])
async def test_rows_that_cannot_satisfy_not_null_fail_the_migration_and_change_nothing(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project = Project(tmp_path / "proj")
    project.schema(V1)
    assert project.migrate().code == 0
    project.schema(V1.replace("    nick TEXT\n", "    nick TEXT NOT NULL\n"))
    assert project.migrate("--allow-destructive").code == 0  # row 2 holds NULL
    async with fresh_database(kind, request, tmp_path) as db:
        await _v1_with_rows(project, db)
        schema_before = await _rows(db, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
        steps = project.for_db(db)
        with pytest.raises(MigrationError, match=f"{steps[1].name} failed and was rolled back"):
            await apply_migrations(db, steps)
        assert await _rows(db, "SELECT id, name, nick FROM players ORDER BY id") == ROWS
        assert await _rows(db, "SELECT name FROM storegen_migrations") == [("0001_initial",)]
        after = await _rows(db, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
        assert after == schema_before
        assert await _rows(db, "PRAGMA integrity_check") == [("ok",)]
        assert (await _rows(db, "PRAGMA foreign_keys"))[0][0] == 1


V1_SCORE = V1.replace("    nick TEXT\n", "    nick TEXT,\n    score INTEGER\n")


@pytest.mark.parametrize("kind", ["sqlite", "sqld", "postgres"])
async def test_an_integer_column_renamed_to_text_not_null_keeps_its_values(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Found by the property test on PostgreSQL (seed 44317818): the rebuild
    # copied COALESCE(score, '') and PostgreSQL cannot give '' the BIGINT type
    # that the column gave the COALESCE. Each side is cast to TEXT first now.
    project = Project(tmp_path / "proj")
    project.schema(V1_SCORE)
    assert project.migrate().code == 0
    renamed = "points TEXT NOT NULL DEFAULT '' -- @renamed-from score"
    project.schema(V1_SCORE.replace("score INTEGER", renamed))
    assert project.migrate("--allow-destructive").code == 0
    async with fresh_database(kind, request, tmp_path) as db:
        steps = project.for_db(db)
        await apply_migrations(db, steps[:1])
        marks = "$1, $2, $3" if db.sql_dialect == "postgres" else "?, ?, ?"
        for row in [(1, "ann", 7), (2, "bob", None), (3, "cy", -12)]:
            await db.execute(f"INSERT INTO players (id, name, score) VALUES ({marks})", row)
        assert await apply_migrations(db, steps) == [steps[1].name]
        assert await _rows(db, "SELECT id, name, points FROM players ORDER BY id") == [
            (1, "ann", "7"),
            (2, "bob", ""),
            (3, "cy", "-12"),
        ]


# A DEFAULT SQLite computes per row (CURRENT_TIMESTAMP, or an expression in parentheses):
# its ALTER TABLE ADD COLUMN refuses it when the table holds rows ("non-constant default").
COMPUTED_DEFAULTS = {
    "current_timestamp": "made TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "nullable_current_timestamp": "made TEXT DEFAULT CURRENT_TIMESTAMP",
    "strftime": "made INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))",
    "arithmetic": "made INTEGER DEFAULT (1 + 1)",
    "parenthesized_constant": "made INTEGER NOT NULL DEFAULT (7)",
}


@pytest.mark.parametrize("variant", sorted(COMPUTED_DEFAULTS))
@pytest.mark.parametrize("kind", ["sqlite", "sqld", "postgres"])
async def test_a_column_with_a_computed_default_is_added_to_a_table_with_rows(
    kind: str, variant: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project = Project(tmp_path / "proj")
    project.schema(V1)
    assert project.migrate().code == 0
    project.schema(_add(COMPUTED_DEFAULTS[variant]))
    run = project.migrate()
    assert run.code == 0, run.err
    async with fresh_database(kind, request, tmp_path) as db:
        await _v1_with_rows(project, db)
        assert await apply_migrations(db, project.for_db(db)) == [project.for_db(db)[1].name]
        rows = await _rows(db, "SELECT id, name, nick, made FROM players ORDER BY id")
        assert [row[:3] for row in rows] == ROWS
        assert all(row[3] is not None for row in rows), rows
        if kind != "postgres":
            assert await _rows(db, "PRAGMA integrity_check") == [("ok",)]
            assert await _rows(db, "PRAGMA foreign_key_check") == []
