CREATE TABLE things (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) > 0
);

CREATE TABLE others (id INTEGER PRIMARY KEY);
