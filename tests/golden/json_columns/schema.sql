-- JSON columns: typed JsonValue, encoded on write and decoded on read; jsonb on PostgreSQL.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    payload JSON NOT NULL, -- What happened, as the producer sent it.
    tags JSONB,
    meta TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
    note TEXT CHECK (note IS NULL OR json_valid(note))
);
