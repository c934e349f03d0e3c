-- AUTOINCREMENT never reuses the id of a deleted row.
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL
);

-- A plain rowid alias, in a STRICT table.
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    body TEXT NOT NULL
) STRICT;
