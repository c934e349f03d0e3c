-- name: item_name :scalar
SELECT id, name FROM items WHERE id = :id;
