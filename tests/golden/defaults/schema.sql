CREATE TABLE settings (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT 'unnamed',
    quoted TEXT NOT NULL DEFAULT 'it''s',
    retries INTEGER NOT NULL DEFAULT 3,
    offset_ms INTEGER NOT NULL DEFAULT -1,
    boost INTEGER NOT NULL DEFAULT +5,
    ratio REAL NOT NULL DEFAULT 0.5,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    note TEXT DEFAULT NULL,
    created_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    label TEXT NOT NULL DEFAULT ('x' || 'y'),
    payload BLOB DEFAULT x'00ff'
);
