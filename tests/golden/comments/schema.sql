/* A licence header in a block comment never becomes documentation. */

-- A "quoted" table comment with a backslash \ and """triple quotes""".
-- It spans two lines.
CREATE TABLE documents (
    -- The key.
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL, -- Ends with a quote: "
    body TEXT, /* block comments are skipped */
    -- Above the column,
    summary TEXT -- and after it.
);
