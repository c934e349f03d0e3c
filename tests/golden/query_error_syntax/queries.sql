-- name: all_items :many
SELECT id, name FROM items WHERE ORDER BY id;
