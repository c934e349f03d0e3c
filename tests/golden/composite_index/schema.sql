-- Every left prefix of a composite index gets list_by_* and count_by_*,
-- paged by primary key; a unique index's full column list is a get_by_*.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'done')),
    title TEXT NOT NULL
);

CREATE INDEX tasks_by_project_status ON tasks (project_id, status);

CREATE TABLE labels (
    code TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    rank INTEGER NOT NULL
);

CREATE INDEX labels_by_owner_kind_rank ON labels (owner, kind, rank);
CREATE UNIQUE INDEX labels_owner_code ON labels (owner, code);
