CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    body TEXT
    status TEXT NOT NULL CHECK (status IN ('open', 'closed'))
);
