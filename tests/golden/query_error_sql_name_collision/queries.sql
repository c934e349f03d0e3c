-- name: listAll :many
SELECT * FROM items ORDER BY name;
