-- name: items_since :many
-- param: since timestamp
SELECT id FROM items WHERE id > :since AND :since > 0;
