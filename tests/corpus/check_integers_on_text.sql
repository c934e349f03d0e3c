CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    level TEXT NOT NULL,
    CHECK (level IN (1, 2, 3))
);
