-- name: find_items :many
-- @optional name
SELECT * FROM items WHERE (name = :name OR price < :price);
