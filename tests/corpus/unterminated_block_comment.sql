CREATE TABLE clients (
    id TEXT PRIMARY KEY, /* the key
    name TEXT
);
