CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    -- STRING has no affinity keyword: SQLite stores '0012' as the number 12.
    name STRING NOT NULL
);
