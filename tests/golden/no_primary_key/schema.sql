-- One page view; nothing identifies a row, so it can only be listed and counted.
CREATE TABLE page_views (
    path TEXT NOT NULL,
    viewed_at INTEGER NOT NULL,
    referrer TEXT
);

CREATE INDEX idx_page_views_path ON page_views (path);

-- No primary key, but a UNIQUE column still finds one row.
CREATE TABLE tags (
    label TEXT NOT NULL UNIQUE,
    color TEXT
);
