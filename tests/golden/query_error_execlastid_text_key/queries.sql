-- name: add_tag :execlastid
INSERT INTO tags (name) VALUES (:name);
