CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'public
);
