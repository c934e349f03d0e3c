-- Columns named after the types and helpers the generated models use.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    datetime DATETIME NOT NULL,
    str TEXT,
    int INTEGER,
    float REAL,
    bytes BLOB,
    bool BOOLEAN,
    field TEXT NOT NULL DEFAULT 'f',
    dataclass TEXT,
    token TEXT -- @secret
);

CREATE INDEX idx_events_str ON events (str);
