-- SQLite syntax that sqlglot cannot read on its own.
CREATE TABLE readings (
    sensor TEXT NOT NULL COLLATE NOCASE,
    taken_at INTEGER NOT NULL,
    value REAL NOT NULL ON CONFLICT FAIL,
    counter UNSIGNED BIG INT,
    PRIMARY KEY (sensor DESC, taken_at ASC) ON CONFLICT REPLACE,
    UNIQUE (sensor COLLATE NOCASE, counter)
) WITHOUT ROWID;
