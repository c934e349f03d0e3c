-- name: search :many
-- Notes matching an FTS5 query, best first, with the matches marked.
SELECT notes.id, notes.title, bm25(notes_fts) AS score,
       highlight(notes_fts, 0, '[', ']') AS marked_title,
       snippet(notes_fts, 1, '[', ']', '...', 8) AS excerpt
FROM notes_fts JOIN notes ON notes.id = notes_fts.rowid
WHERE notes_fts MATCH :words
ORDER BY rank, notes.id;

-- name: search_ids :many
SELECT rowid AS id FROM notes_fts WHERE notes_fts MATCH :words ORDER BY rowid;

-- name: recent :many
SELECT id, title, updated_at FROM recent_notes;
