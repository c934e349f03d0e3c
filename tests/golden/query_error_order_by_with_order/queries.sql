-- name: list_items :many
-- @order-by name
SELECT * FROM items ORDER BY id;
