-- name: find_items :many
-- @optional name, price
SELECT * FROM items WHERE name = :name OR price < :price;
