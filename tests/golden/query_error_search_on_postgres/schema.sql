CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE VIRTUAL TABLE notes_fts USING fts5(body, content='notes', content_rowid='id');
