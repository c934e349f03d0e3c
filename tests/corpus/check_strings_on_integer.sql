CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    state INTEGER NOT NULL CHECK (state IN ('open', 'done'))
);
