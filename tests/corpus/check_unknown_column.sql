CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    kind TEXT,
    CHECK (knd IN ('a', 'b'))
);
