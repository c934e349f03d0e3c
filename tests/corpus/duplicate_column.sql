CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT,
    Name TEXT
);
