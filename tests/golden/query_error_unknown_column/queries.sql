-- name: cheap_items :many
SELECT id, name
FROM items WHERE cost < :limit;
