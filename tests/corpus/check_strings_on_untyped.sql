CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    kind CHECK (kind IN ('bug', 'feature'))
);
