CREATE TABLE things (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('a', 1))
);
