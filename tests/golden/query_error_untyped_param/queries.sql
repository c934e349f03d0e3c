-- name: items_with_flag :many
SELECT id, name FROM items WHERE :flag;
