-- A small blog, to exercise queries whose statement depends on the call.
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER REFERENCES authors (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    published_on DATE,
    created_at INTEGER NOT NULL,
    edits INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX posts_author_id ON posts (author_id);
CREATE INDEX posts_status ON posts (status);
CREATE INDEX posts_created_at ON posts (created_at);

-- Every change of title or status counts as an edit: the row an update
-- returns must show it.
CREATE TRIGGER posts_count_edits AFTER UPDATE OF title, status ON posts
WHEN OLD.title IS NOT NEW.title OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE posts SET edits = edits + 1 WHERE id = NEW.id;
END;
