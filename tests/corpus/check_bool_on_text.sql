CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    -- SQLite stores these as '0' and '1', and bool('0') is True.
    done VARCHAR(1) NOT NULL CHECK (done IN (0, 1))
);
