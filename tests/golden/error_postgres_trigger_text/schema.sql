CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT
);

-- A view transpiles to PostgreSQL; a trigger body does not.
CREATE VIEW note_bodies AS SELECT id, body FROM notes;

CREATE TRIGGER notes_touch AFTER UPDATE OF body ON notes
BEGIN
    UPDATE notes SET updated_at = datetime('now') WHERE id = NEW.id;
END;
