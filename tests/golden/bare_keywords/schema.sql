-- Keywords SQLite accepts as bare names, though sqlglot reads them as keywords.
CREATE TABLE for (
    id INTEGER PRIMARY KEY,
    like TEXT NOT NULL UNIQUE,
    any TEXT,
    true INTEGER NOT NULL CHECK (true IN (0, 1)),
    current_date TEXT,
    exclude TEXT,
    glob TEXT AS (upper(like))
);

CREATE INDEX idx_for_any ON for (any) WHERE any IS NOT NULL;

CREATE TABLE with (
    id INTEGER PRIMARY KEY,
    regexp INTEGER NOT NULL REFERENCES for (id) ON DELETE CASCADE,
    cross TEXT NOT NULL,
    UNIQUE (regexp, cross)
);

CREATE INDEX idx_with_regexp ON with (regexp);
