-- The sync sqlite3 backend: the same method bodies as the async stores, without await.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at INTEGER NOT NULL
);

CREATE INDEX ix_notes_updated_at ON notes (updated_at);

-- Notes worth a look: a read-only view store, sync too.
CREATE VIEW pinned_notes AS SELECT id, body FROM notes WHERE pinned;
