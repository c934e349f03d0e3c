-- name: priced :many
SELECT id, price * 2 AS schema FROM items;
