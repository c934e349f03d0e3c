-- name: first_item :first
SELECT * FROM items ORDER BY id LIMIT 1;
