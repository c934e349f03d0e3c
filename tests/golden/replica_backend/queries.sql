-- Writes with RETURNING, of every kind: on the replica they must run on the
-- primary (a write to the local file would fork it from the primary).

-- A :many write: every row it changed.
-- name: pin_notes_before :many
UPDATE notes SET pinned = TRUE, updated_at = :now WHERE updated_at < :before RETURNING *;

-- A :one write.
-- name: touch_note :one
UPDATE notes SET updated_at = :now WHERE id = :id RETURNING *;

-- A write behind a CTE: it does not start with UPDATE.
-- name: unpin_notes_before :many
WITH stale AS (SELECT id FROM notes WHERE updated_at < :before)
UPDATE notes SET pinned = FALSE WHERE id IN (SELECT id FROM stale) RETURNING id;

-- INSERT OR REPLACE, one row back.
-- name: replace_note :one
INSERT OR REPLACE INTO notes (id, body, pinned, updated_at) VALUES (:id, :body, FALSE, :now) RETURNING *;

-- A :many DELETE.
-- name: delete_notes_before :many
DELETE FROM notes WHERE updated_at < :before RETURNING id;

-- A plain read, for contrast: it stays local.
-- name: pinned_notes :many
SELECT * FROM notes WHERE pinned ORDER BY id;
