-- Add a post; its new id.
-- name: add_post :execlastid
INSERT INTO posts (author_id, title, status, created_at) VALUES (:author_id, :title, :status, :created_at);

-- Add an author unless one has the name; the id, or NOT_FOUND when ignored.
-- name: add_author_once :execlastid
-- param: name str
-- param: email str | None
INSERT INTO authors (name, email)
SELECT :name, :email WHERE NOT EXISTS (SELECT 1 FROM authors WHERE name = :name);

-- Publish many posts at once; how many were drafts.
-- name: publish_posts :batchexec
UPDATE posts SET status = 'published', published_on = :day WHERE id = :id AND status = 'draft';

-- Posts with these ids.
-- name: posts_by_ids :many
SELECT id, title FROM posts WHERE id IN (:ids) ORDER BY id;

-- Posts that are not among these.
-- name: posts_except :many
SELECT id FROM posts WHERE id NOT IN (:ids) ORDER BY id;

-- The post list: by author and status when given, in the order picked.
-- name: list_posts :many
-- @optional author_id, status, ids
-- @order-by created_at, title
SELECT * FROM posts WHERE author_id = :author_id AND status = :status AND id IN (:ids);

-- Posts whose author is exactly this one, NULL included: `IS` compares NULL
-- as a value, unlike an @optional filter, which None leaves out.
-- name: posts_with_author :many
SELECT id FROM posts WHERE author_id IS :author_id ORDER BY id;

-- Each post with its author; none for an orphan post.
-- name: posts_with_authors :many
SELECT embed(p), embed(a) FROM posts AS p LEFT JOIN authors AS a ON a.id = p.author_id ORDER BY p.id;

-- Titles only, a page at a time in the order picked: rows of their own class.
-- name: list_post_titles :many
-- @optional status
-- @order-by title, created_at
SELECT id, title, created_at FROM posts WHERE status = :status;
