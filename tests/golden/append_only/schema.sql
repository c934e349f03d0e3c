-- Something that happened; facts are never changed.
-- @append-only
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT
);

-- Append-only through storegen.toml instead of a directive.
CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY,
    amount INTEGER NOT NULL
);

-- The directive says append-only; storegen.toml overrules it.
-- @append-only
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);
