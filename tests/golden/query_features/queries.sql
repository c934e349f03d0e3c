-- A whole table row (SELECT *) maps to the table's model; NOT_FOUND when missing.
-- name: find_project_by_name :one
SELECT * FROM projects WHERE name = :name;

-- name: open_tasks :many
SELECT * FROM tasks WHERE project_id = :project_id AND status = 'open'
ORDER BY id LIMIT :limit OFFSET :offset;

-- Params take the column's codec: :status is a Literal, :due a date.
-- name: tasks_due :many
SELECT * FROM tasks WHERE status = :status AND due <= :due;

-- COUNT(*) is a non-null int.
-- name: count_open_tasks :scalar
SELECT COUNT(*) FROM tasks WHERE status = 'open';

-- MAX is nullable even on a NOT NULL column.
-- name: latest_done_at :scalar
SELECT MAX(done_at) FROM tasks WHERE project_id = :project_id;

-- Other shapes get a frozen row dataclass; the LEFT JOIN side is nullable,
-- COALESCE with a non-null argument is not, CASE is the union of its branches.
-- name: project_summaries :many
SELECT p.id, p.name, p.archived, COUNT(t.id) AS tasks, SUM(t.estimate) AS total_estimate,
       MIN(t.due) AS first_due, t.title AS any_title,
       COALESCE(MAX(t.done_at), 0) AS last_done,
       CASE WHEN p.archived THEN 'archived' ELSE 'active' END AS state
FROM projects AS p LEFT JOIN tasks AS t ON t.project_id = p.id
GROUP BY p.id
ORDER BY p.id;

-- A single non-row column gives a list of plain values.
-- name: task_titles :many
-- table: projects
SELECT title FROM tasks WHERE project_id = :project_id ORDER BY title;

-- UPDATE ... RETURNING * maps to the model; assigned params keep the column's nullability.
-- name: finish_task :one
UPDATE tasks SET status = 'done', done_at = :done_at WHERE id = :id AND status = 'open'
RETURNING *;

-- name: archive_project :execrows
UPDATE projects SET archived = :archived WHERE id = :id;

-- Inserted params are typed by the column list.
-- name: add_task :exec
INSERT INTO tasks (project_id, title, status, due) VALUES (:project_id, :title, 'open', :due);

-- A parameter only used in an expression needs an annotation.
-- name: tasks_longer_than :many
-- param: hours float
SELECT id, title, estimate FROM tasks WHERE estimate * 1.0 > :hours + 0 AND :hours > 0;
