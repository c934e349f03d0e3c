-- name: get_by_id :one
SELECT * FROM items WHERE id = :id;
