-- A note someone wrote down.
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT
);

CREATE INDEX IF NOT EXISTS idx_notes_title ON notes (title);
CREATE UNIQUE INDEX IF NOT EXISTS main.ux_notes_body ON notes (body);
