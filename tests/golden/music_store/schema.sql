-- A music shop in the style of the Chinook sample database: catalogue, sales,
-- staff, with views for reports, triggers that keep totals and an audit trail,
-- and an FTS5 index over the track names kept in step by three triggers.
PRAGMA foreign_keys = ON;

CREATE TABLE artists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE albums (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    artist_id INTEGER NOT NULL REFERENCES artists (id) ON DELETE CASCADE,
    released INTEGER
);
CREATE INDEX idx_albums_artist_id ON albums (artist_id);

CREATE TABLE genres (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE media_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE tracks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    album_id INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    media_type_id INTEGER NOT NULL REFERENCES media_types (id),
    genre_id INTEGER REFERENCES genres (id) ON DELETE SET NULL,
    composer TEXT,
    milliseconds INTEGER NOT NULL CHECK (milliseconds >= 0),
    unit_price REAL NOT NULL DEFAULT 0.99
);
CREATE INDEX idx_tracks_album_id ON tracks (album_id);
CREATE INDEX idx_tracks_genre_id ON tracks (genre_id);
CREATE INDEX idx_tracks_lower_name ON tracks (lower(name));

CREATE TABLE playlists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE playlist_tracks (
    playlist_id INTEGER NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    track_id INTEGER NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (playlist_id, track_id)
);

CREATE TABLE tags (
    name TEXT PRIMARY KEY NOT NULL
);

CREATE TABLE track_tags (
    track_id INTEGER NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    tag TEXT NOT NULL REFERENCES tags (name) ON DELETE CASCADE,
    PRIMARY KEY (track_id, tag)
) WITHOUT ROWID;

CREATE TABLE employees (
    id INTEGER PRIMARY KEY,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    title TEXT,
    reports_to INTEGER REFERENCES employees (id) ON DELETE SET NULL,
    hired_on TEXT
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    country TEXT,
    support_rep_id INTEGER REFERENCES employees (id) ON DELETE SET NULL
);

CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    invoiced_on TEXT NOT NULL,
    billing_country TEXT
);
CREATE INDEX idx_invoices_customer_id ON invoices (customer_id);

CREATE TABLE invoice_lines (
    invoice_id INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    track_id INTEGER NOT NULL REFERENCES tracks (id),
    unit_price REAL NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (invoice_id, line_no)
);

CREATE TABLE reviews (
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    track_id INTEGER NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    body TEXT,
    PRIMARY KEY (customer_id, track_id)
);

CREATE TABLE price_changes (
    id INTEGER PRIMARY KEY,
    track_id INTEGER NOT NULL,
    old_price REAL NOT NULL,
    new_price REAL NOT NULL,
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

-- Each album with its artist, track count and total length (a report).
CREATE VIEW album_summaries AS
SELECT
    al.id AS album_id,
    al.title,
    ar.name AS artist,
    count(t.id) AS track_count,
    coalesce(sum(t.milliseconds), 0) AS total_ms
FROM albums AS al
JOIN artists AS ar ON ar.id = al.artist_id
LEFT JOIN tracks AS t ON t.album_id = al.id
GROUP BY al.id, al.title, ar.name;

CREATE VIEW track_details AS
SELECT
    t.id AS track_id,
    t.name AS track_name,
    al.title AS album_title,
    ar.name AS artist_name,
    g.name AS genre_name,
    t.unit_price
FROM tracks AS t
JOIN albums AS al ON al.id = t.album_id
JOIN artists AS ar ON ar.id = al.artist_id
LEFT JOIN genres AS g ON g.id = t.genre_id;

CREATE VIEW invoice_totals AS
SELECT i.id AS invoice_id, i.customer_id, count(l.line_no) AS lines,
       coalesce(sum(l.unit_price * l.quantity), 0.0) AS total
FROM invoices AS i
LEFT JOIN invoice_lines AS l ON l.invoice_id = i.id
GROUP BY i.id, i.customer_id;

CREATE VIEW customer_totals AS
SELECT c.id AS customer_id, c.email, count(t.invoice_id) AS invoices,
       coalesce(sum(t.total), 0.0) AS spent
FROM customers AS c
LEFT JOIN invoice_totals AS t ON t.customer_id = c.id
GROUP BY c.id, c.email;

-- A view over a view: re-created whenever the one below it is.
CREATE VIEW big_spenders AS
SELECT customer_id, email, spent FROM customer_totals WHERE spent >= 10;

-- Writes through a view.
CREATE TRIGGER track_details_rename INSTEAD OF UPDATE OF track_name ON track_details
BEGIN
    UPDATE tracks SET name = NEW.track_name WHERE id = NEW.track_id;
END;

-- An audit trail of price changes.
CREATE TRIGGER tracks_price_audit AFTER UPDATE OF unit_price ON tracks
WHEN OLD.unit_price <> NEW.unit_price
BEGIN
    INSERT INTO price_changes (track_id, old_price, new_price)
    VALUES (OLD.id, OLD.unit_price, NEW.unit_price);
END;

-- An invoice line may not sell a track for more than it costs a hundred times over.
CREATE TRIGGER invoice_lines_price BEFORE INSERT ON invoice_lines
WHEN NEW.unit_price > 100 * (SELECT unit_price FROM tracks WHERE id = NEW.track_id)
BEGIN
    SELECT RAISE(ABORT, 'price out of range');
END;

-- Full-text search over track names and composers, kept in step with tracks.
CREATE VIRTUAL TABLE tracks_fts USING fts5(
    name, composer, content='tracks', content_rowid='id'
);

CREATE TRIGGER tracks_fts_insert AFTER INSERT ON tracks BEGIN
    INSERT INTO tracks_fts (rowid, name, composer) VALUES (new.id, new.name, new.composer);
END;

CREATE TRIGGER tracks_fts_delete AFTER DELETE ON tracks BEGIN
    INSERT INTO tracks_fts (tracks_fts, rowid, name, composer)
    VALUES ('delete', old.id, old.name, old.composer);
END;

CREATE TRIGGER tracks_fts_update AFTER UPDATE ON tracks BEGIN
    INSERT INTO tracks_fts (tracks_fts, rowid, name, composer)
    VALUES ('delete', old.id, old.name, old.composer);
    INSERT INTO tracks_fts (rowid, name, composer) VALUES (new.id, new.name, new.composer);
END;

-- Free-text notes that live only in the search index.
CREATE VIRTUAL TABLE staff_notes USING fts5(subject, body, tokenize = 'porter');
