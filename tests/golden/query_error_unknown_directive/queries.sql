-- name: list_items :many
-- @optinal name
SELECT * FROM items WHERE name = :name;
