-- Datetimes: aware UTC on read, canonical UTC text on write; naive values are UTC here.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    started_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    seen_at DATETIME DEFAULT (datetime('now')),
    ended_at TIMESTAMP,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
