-- Delete the items with this name, or with this price.
-- name: delete_items :execrows
-- @optional name, price
DELETE FROM items WHERE name = :name AND price = :price;
