CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT
);
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    client_name TEXT REFERENCES clients (name)
);
