-- The postgres backend: the DDL transpiled and fixed, stores with $n parameters.
PRAGMA foreign_keys = ON;

-- A team; the key is SQLite's rowid alias (an identity column on PostgreSQL).
CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE, -- Shown in the UI.
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    score REAL,
    founded DATE
);

CREATE UNIQUE INDEX ux_teams_name ON teams (name COLLATE NOCASE);

-- A player of a team.
CREATE TABLE players (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number IN (1, 2, 3)),
    nickname TEXT NOT NULL ON CONFLICT FAIL,
    PRIMARY KEY (team_id DESC, number)
) WITHOUT ROWID;

CREATE INDEX idx_players_nickname ON players (nickname);

-- Scores are evidence: never changed.
-- @append-only
CREATE TABLE scores (
    id TEXT PRIMARY KEY NOT NULL,
    team_id INTEGER NOT NULL REFERENCES teams (id),
    points INTEGER NOT NULL
);
