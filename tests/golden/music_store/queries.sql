-- name: track_detail_rows :many
-- Tracks with their album, artist and genre (a view), after a track id.
SELECT * FROM track_details WHERE track_id > :after ORDER BY track_id;

-- name: album_summary :one
SELECT album_id, title, artist, track_count, total_ms FROM album_summaries WHERE album_id = :album_id;

-- name: spenders :many
-- table: customers
SELECT customer_id, email, spent FROM big_spenders ORDER BY spent DESC;
