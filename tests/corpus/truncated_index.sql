CREATE TABLE clients (
    id TEXT PRIMARY KEY
);
CREATE INDEX idx_clients_name ON clients (