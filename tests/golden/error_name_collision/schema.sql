CREATE TABLE things (
    id INTEGER PRIMARY KEY,
    class TEXT,
    class_ TEXT
);
