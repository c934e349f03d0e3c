-- Every shape of relationship the schema page draws, and the column facts it lists.

-- A team; teams nest.
CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    parent_id INTEGER REFERENCES teams (id) ON DELETE SET NULL -- The enclosing team, if any.
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL, -- @secret Never shown | never logged.
    nickname TEXT DEFAULT 'n/a',
    created_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
    UNIQUE (team_id, email)
);

-- At most one profile per person: the foreign key is unique but may be NULL.
CREATE TABLE profiles (
    id INTEGER PRIMARY KEY,
    person_id INTEGER UNIQUE REFERENCES people (id),
    bio TEXT
);

-- One settings row per person, keyed by the person: an identifying relationship.
CREATE TABLE person_settings (
    person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    theme TEXT NOT NULL CHECK (theme IN ('light', 'dark'))
);

-- Badges, keyed by a composite foreign key to people's unique (team_id, email).
CREATE TABLE badges (
    team_id INTEGER NOT NULL,
    email TEXT NOT NULL,
    badge TEXT NOT NULL,
    PRIMARY KEY (team_id, email, badge),
    FOREIGN KEY (team_id, email) REFERENCES people (team_id, email) ON UPDATE CASCADE
);

-- No key at all: a bare box in the diagram.
CREATE TABLE events (
    at INTEGER NOT NULL,
    what TEXT NOT NULL,
    what_upper TEXT GENERATED ALWAYS AS (upper(what)) VIRTUAL
);

CREATE INDEX idx_events_at ON events (at) WHERE what <> 'noise';
