-- The Turso embedded replica backend: the same stores, on LibsqlReplicaDatabase.
PRAGMA foreign_keys = ON;

-- A note kept on every device, written through the primary.
CREATE TABLE notes (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at INTEGER NOT NULL
);

CREATE INDEX ix_notes_updated_at ON notes (updated_at);
