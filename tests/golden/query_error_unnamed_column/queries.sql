-- name: priced :many
SELECT id, price * 2 FROM items;
