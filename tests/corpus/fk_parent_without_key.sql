CREATE TABLE logs (
    id TEXT
);
CREATE TABLE entries (
    id TEXT PRIMARY KEY,
    log_id TEXT REFERENCES logs
);
