-- name: event_summaries :many
SELECT id, payload -> '$.kind' AS kind, payload ->> '$.user.name' AS user_name,
       json_extract(meta, '$.source') AS source
FROM events
ORDER BY id;
