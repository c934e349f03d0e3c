CREATE TABLE things (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT 'unnamed
);
