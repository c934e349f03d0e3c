-- name: some_items :many
-- @optional n
SELECT * FROM items ORDER BY id LIMIT :n;
