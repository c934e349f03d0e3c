-- q_scope OAuth2: the named queries the authorization flows need beyond CRUD.
-- Each becomes a typed method of its table's contract and of every store
-- (see README "Named queries"). Times are unix seconds.

-- How many unrevoked, unexpired access tokens a user holds for a client
-- (to enforce oauth_client_configs.max_active_access_tokens).
-- name: count_active_access_tokens :scalar
SELECT COUNT(*)
FROM oauth_access_tokens
WHERE user_id = :user_id
  AND client_id = :client_id
  AND revoked_at IS NULL
  AND expires_at > :now;

-- The user's oldest active access token for a client: the one to revoke
-- when the client's limit is reached. NOT_FOUND when there is none.
-- name: oldest_active_access_token :one
SELECT *
FROM oauth_access_tokens
WHERE user_id = :user_id
  AND client_id = :client_id
  AND revoked_at IS NULL
  AND expires_at > :now
ORDER BY created_at, id
LIMIT 1;

-- Revoke every active access token of a user (logout everywhere, account
-- disabled); the number of tokens revoked.
-- name: revoke_user_access_tokens :execrows
UPDATE oauth_access_tokens
SET revoked_at = :now, updated_at = :now, updated_by = :actor
WHERE user_id = :user_id AND revoked_at IS NULL;

-- Revoke every active refresh token of a user; the number revoked.
-- name: revoke_user_refresh_tokens :execrows
UPDATE oauth_refresh_tokens
SET revoked_at = :now, updated_at = :now, updated_by = :actor
WHERE user_id = :user_id AND revoked_at IS NULL;

-- Revoke every active token a client holds for a user (consent withdrawn).
-- name: revoke_client_access_tokens_for_user :execrows
UPDATE oauth_access_tokens
SET revoked_at = :now, updated_at = :now, updated_by = :actor
WHERE client_id = :client_id AND user_id = :user_id AND revoked_at IS NULL;

-- Housekeeping: delete authorization codes that expired before :now.
-- name: delete_expired_authorization_codes :execrows
DELETE FROM oauth_authorization_codes WHERE expires_at <= :now;

-- Housekeeping: delete access tokens that expired before :before.
-- name: delete_expired_access_tokens :execrows
DELETE FROM oauth_access_tokens WHERE expires_at <= :before;

-- Exchange an authorization code, exactly once: the first caller gets the
-- code (and marks it consumed), every later or concurrent caller NOT_FOUND,
-- as does a caller with an expired or unknown code.
-- name: consume_authorization_code :one
UPDATE oauth_authorization_codes
SET consumed_at = :now, updated_at = :now, updated_by = :actor
WHERE code = :code AND consumed_at IS NULL AND expires_at > :now
RETURNING *;

-- The user's refresh tokens that are not revoked, newest first.
-- name: list_active_refresh_tokens_for_user :many
SELECT *
FROM oauth_refresh_tokens
WHERE user_id = :user_id AND revoked_at IS NULL
ORDER BY created_at DESC, id
LIMIT :limit;

-- The user approves a pending, unexpired device code (RFC 8628 §3.3); the
-- code as approved, or NOT_FOUND when it is unknown, expired or decided.
-- name: approve_device_code :one
UPDATE oauth_device_codes
SET state = 'approved', user_id = :user_id, updated_at = :now, updated_by = :actor
WHERE user_code = :user_code AND state = 'pending' AND expires_at > :now
RETURNING *;

-- The device polls with its device_code and takes an approved grant, once;
-- NOT_FOUND while pending, after denial, or on a second poll.
-- name: consume_approved_device_code :one
UPDATE oauth_device_codes
SET state = 'consumed', updated_at = :now, updated_by = :actor
WHERE device_code = :device_code AND state = 'approved' AND expires_at > :now
RETURNING *;

-- Mark pending device codes past their expiry as expired; how many.
-- name: expire_device_codes :execrows
UPDATE oauth_device_codes
SET state = 'expired', updated_at = :now, updated_by = :actor
WHERE state = 'pending' AND expires_at <= :now;

-- Audit events of each type since a time, most frequent first.
-- name: count_audit_events_by_type :many
SELECT event_type, COUNT(*) AS events, MAX(created_at) AS last_at
FROM oauth_audit_logs
WHERE created_at >= :since
GROUP BY event_type
ORDER BY events DESC, event_type;

-- The clients a user has live access tokens for, with how many and until when.
-- name: list_user_token_grants :many
SELECT c.id AS client_id, c.client_identifier, COUNT(t.id) AS active_tokens,
       MAX(t.expires_at) AS expires_at
FROM oauth_clients AS c
JOIN oauth_access_tokens AS t ON t.client_id = c.id
WHERE t.user_id = :user_id AND t.revoked_at IS NULL AND t.expires_at > :now
GROUP BY c.id, c.client_identifier
ORDER BY c.client_identifier;

-- Each client's live access tokens, clients without any included: a CTE
-- counts them, the LEFT JOIN keeps every client.
-- name: count_live_tokens_per_client :many
WITH live AS (
    SELECT client_id, COUNT(*) AS tokens
    FROM oauth_access_tokens
    WHERE revoked_at IS NULL AND expires_at > :now
    GROUP BY client_id
)
SELECT c.id AS client_id, COALESCE(l.tokens, 0) AS live_tokens
FROM oauth_clients AS c
LEFT JOIN live AS l ON l.client_id = c.id
ORDER BY c.id;

-- Live access tokens expiring on each of the next :days days (day 0 starts
-- at :now); a recursive CTE numbers the days, so quiet days count 0.
-- name: count_tokens_expiring_by_day :many
-- table: oauth_access_tokens
WITH RECURSIVE days(day) AS (
    SELECT 0
    UNION ALL
    SELECT day + 1 FROM days WHERE day + 1 < :days
)
SELECT d.day, COUNT(t.id) AS expiring
FROM days AS d
LEFT JOIN oauth_access_tokens AS t
    ON t.revoked_at IS NULL
    AND t.expires_at >= :now + d.day * 86400
    AND t.expires_at < :now + (d.day + 1) * 86400
GROUP BY d.day
ORDER BY d.day;

-- The clients with these ids (to show the clients of a list of grants at
-- once); ids that match no client are left out.
-- name: list_clients_by_ids :many
SELECT * FROM oauth_clients WHERE id IN (:ids) ORDER BY id;

-- Revoke the active access tokens with these ids (an admin's bulk action);
-- the number revoked.
-- name: revoke_access_tokens_by_ids :execrows
UPDATE oauth_access_tokens
SET revoked_at = :now, updated_at = :now, updated_by = :actor
WHERE id IN (:ids) AND revoked_at IS NULL;

-- Revoke tokens by value (RFC 7009), many at once, in one transaction; the
-- number revoked. Each parameter set is (now, actor, token).
-- name: revoke_access_tokens_by_value :batchexec
UPDATE oauth_access_tokens
SET revoked_at = :now, updated_at = :now, updated_by = :actor
WHERE token = :token AND revoked_at IS NULL;

-- The admin screen's access tokens: by client, by user, expiring after a
-- time, any of them or none, in the order picked, a page at a time.
-- name: search_access_tokens :many
-- @optional client_id, user_id, expires_after
-- @order-by created_at, expires_at
SELECT *
FROM oauth_access_tokens
WHERE client_id = :client_id AND user_id = :user_id AND expires_at > :expires_after;

-- The audit trail, filtered by event types, client, user and start time
-- (each only when given), newest or oldest first, a page at a time.
-- name: search_audit_logs :many
-- @optional event_types, client_id, user_id, since
-- @order-by created_at
SELECT *
FROM oauth_audit_logs
WHERE event_type IN (:event_types)
  AND client_id = :client_id
  AND user_id = :user_id
  AND created_at >= :since;

-- A user's unrevoked access tokens, each with the client it was issued to
-- (the "connected apps" screen): rows with .access_token and .oauth_client.
-- name: list_user_tokens_with_clients :many
SELECT embed(t), embed(c)
FROM oauth_access_tokens AS t
JOIN oauth_clients AS c ON c.id = t.client_id
WHERE t.user_id = :user_id AND t.revoked_at IS NULL
ORDER BY t.created_at, t.id;

-- A client's device codes with the user who decided each; .oauth_user is
-- None while the code is pending (LEFT JOIN).
-- name: list_device_codes_with_users :many
SELECT embed(d), embed(u), d.state AS current_state
FROM oauth_device_codes AS d
LEFT JOIN oauth_users AS u ON u.id = d.user_id
WHERE d.client_id = :client_id
ORDER BY d.created_at, d.id;
