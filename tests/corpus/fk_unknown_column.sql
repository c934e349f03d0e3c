CREATE TABLE clients (
    id TEXT PRIMARY KEY
);
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    client_id TEXT REFERENCES clients (client_identifier)
);
