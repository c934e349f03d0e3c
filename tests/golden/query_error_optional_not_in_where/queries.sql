-- name: rename_item :exec
-- @optional name
UPDATE items SET name = :name WHERE id = :id;
