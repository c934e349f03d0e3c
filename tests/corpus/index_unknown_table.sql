CREATE TABLE clients (
    id TEXT PRIMARY KEY
);
CREATE INDEX idx_missing ON tokens (client_id);
