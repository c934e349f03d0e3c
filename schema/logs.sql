-- q_scope OAuth2 audit trail. Kept apart from oauth.sql so it can later move
-- to its own database: it has no foreign keys on purpose, and its rows outlive
-- the clients and users they mention.

PRAGMA foreign_keys = ON;

-- One security-relevant event: a grant, a token issued or revoked, a failure.
-- Rows are evidence, so they are never updated or deleted.
-- @append-only
CREATE TABLE IF NOT EXISTS oauth_audit_logs (
    id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL, -- What happened, e.g. 'token.issued' or 'client.disabled'.
    subject TEXT, -- The ID of the row the event is about, if any.
    client_id TEXT, -- The client involved, if any (no foreign key: logs outlive clients).
    user_id TEXT, -- The user involved, if any (no foreign key: logs outlive users).
    metadata TEXT, -- Event details as JSON.
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_oauth_audit_logs_created_at ON oauth_audit_logs (created_at);
CREATE INDEX IF NOT EXISTS idx_oauth_audit_logs_event_type ON oauth_audit_logs (event_type);
