-- A row of no table's shape: a frozen model.
-- name: order_totals :many
SELECT a.id AS account_id, a.plan, COUNT(o.id) AS orders, MAX(o.created_at) AS last_order_at
FROM accounts AS a LEFT JOIN orders AS o ON o.account_id = a.id
GROUP BY a.id
ORDER BY a.id;
