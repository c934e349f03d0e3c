CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT
);
CREATE INDEX idx_name ON clients (name);
CREATE INDEX idx_name ON clients (id);
