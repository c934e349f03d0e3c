CREATE TABLE things (
    id INTEGER PRIMARY KEY,
    name TEXT,
);
