-- name: search :many
SELECT rowid AS id FROM notes_fts WHERE notes_fts MATCH :words;
