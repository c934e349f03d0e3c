CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    class TEXT,
    class_ TEXT
);
