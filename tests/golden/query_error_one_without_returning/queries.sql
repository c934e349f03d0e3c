-- name: rename_item :one
UPDATE items SET name = :name WHERE id = :id;
