-- The type name has a typo: SQLite gives TXT NUMERIC affinity, so it would become a float.
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    status TXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published'))
);
