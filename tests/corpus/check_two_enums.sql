CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    kind TEXT CHECK (kind IN ('a', 'b')) CHECK (kind IN ('b', 'c'))
);
