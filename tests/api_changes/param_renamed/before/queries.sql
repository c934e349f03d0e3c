-- name: find_by_name :one
SELECT * FROM users WHERE name = :name;

-- name: count_named :scalar
SELECT COUNT(*) FROM users WHERE name = :name;
