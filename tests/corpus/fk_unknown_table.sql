CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    client_id TEXT REFERENCES clients (id)
);
