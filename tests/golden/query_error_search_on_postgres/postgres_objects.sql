-- storegen: notes_fts
CREATE TABLE IF NOT EXISTS notes_fts ("rowid" BIGINT PRIMARY KEY, body TEXT);
