-- The sync psycopg backend: the same method bodies, the postgres SQL, no await.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at INTEGER NOT NULL
);

CREATE INDEX ix_notes_updated_at ON notes (updated_at);

-- Keeps updated_at current: the stores read the row back after a write.
CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes
BEGIN
    UPDATE notes SET updated_at = updated_at + 1 WHERE id = NEW.id;
END;
