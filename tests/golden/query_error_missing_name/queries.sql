-- name: first_item :one
SELECT * FROM items ORDER BY id LIMIT 1;

-- The second statement forgot its name.
SELECT * FROM items;
