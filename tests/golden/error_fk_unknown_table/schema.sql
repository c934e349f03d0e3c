CREATE TABLE things (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER REFERENCES owners (id)
);
