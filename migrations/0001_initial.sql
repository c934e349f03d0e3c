-- Written by `storegen migrate` from schema/oauth.sql, schema/logs.sql; review it, then commit it.
-- * create table oauth_clients
-- * create table oauth_client_configs
-- * create table oauth_users
-- * create table oauth_authorization_codes
-- * create table oauth_access_tokens
-- * create table oauth_refresh_tokens
-- * create table oauth_device_codes
-- * create table oauth_audit_logs
-- * create index idx_oauth_clients_is_enabled
-- * create index idx_oauth_authorization_codes_client_id
-- * create index idx_oauth_authorization_codes_expires_at
-- * create index idx_oauth_access_tokens_client_id
-- * create index idx_oauth_access_tokens_user_id
-- * create index idx_oauth_access_tokens_expires_at
-- * create index idx_oauth_access_tokens_created_at
-- * create index idx_oauth_refresh_tokens_client_id
-- * create index idx_oauth_refresh_tokens_user_id
-- * create index idx_oauth_refresh_tokens_created_at
-- * create index idx_oauth_device_codes_state
-- * create index idx_oauth_device_codes_expires_at
-- * create index idx_oauth_audit_logs_created_at
-- * create index idx_oauth_audit_logs_event_type
-- * create trigger oauth_audit_logs_append_only_update
-- * create trigger oauth_audit_logs_append_only_delete
-- * create trigger oauth_audit_logs_append_only_replace

CREATE TABLE oauth_clients (
    id TEXT PRIMARY KEY NOT NULL,
    client_identifier TEXT NOT NULL UNIQUE,
    client_secret TEXT,
    is_confidential INTEGER NOT NULL CHECK (is_confidential IN (0, 1)),
    redirect_uris TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    scopes TEXT,
    is_enabled INTEGER NOT NULL CHECK (is_enabled IN (0, 1)),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE oauth_client_configs (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    response_types TEXT NOT NULL,
    require_pkce INTEGER NOT NULL CHECK (require_pkce IN (0, 1)),
    pkce_methods TEXT,
    access_token_ttl INTEGER NOT NULL,
    refresh_token_ttl INTEGER,
    authorization_code_ttl INTEGER NOT NULL,
    max_active_access_tokens INTEGER,
    max_active_refresh_tokens INTEGER,
    device_code_ttl INTEGER,
    device_poll_interval INTEGER,
    metadata TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE oauth_users (
    id TEXT PRIMARY KEY NOT NULL,
    external_id TEXT NOT NULL UNIQUE,
    is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE oauth_authorization_codes (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES oauth_users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scopes TEXT,
    code_challenge TEXT,
    code_challenge_method TEXT,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE oauth_access_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES oauth_users (id) ON DELETE CASCADE,
    scopes TEXT,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE oauth_refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES oauth_users (id) ON DELETE CASCADE,
    scopes TEXT,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE oauth_device_codes (
    id TEXT PRIMARY KEY NOT NULL,
    device_code TEXT NOT NULL UNIQUE,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES oauth_users (id) ON DELETE SET NULL,
    scopes TEXT,
    expires_at INTEGER NOT NULL,
    interval INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'consumed', 'expired')),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE oauth_audit_logs (
    id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    subject TEXT,
    client_id TEXT,
    user_id TEXT,
    metadata TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE INDEX idx_oauth_clients_is_enabled ON oauth_clients (is_enabled);

CREATE INDEX idx_oauth_authorization_codes_client_id
    ON oauth_authorization_codes (client_id);

CREATE INDEX idx_oauth_authorization_codes_expires_at
    ON oauth_authorization_codes (expires_at);

CREATE INDEX idx_oauth_access_tokens_client_id ON oauth_access_tokens (client_id);

CREATE INDEX idx_oauth_access_tokens_user_id ON oauth_access_tokens (user_id);

CREATE INDEX idx_oauth_access_tokens_expires_at ON oauth_access_tokens (expires_at);

CREATE INDEX idx_oauth_access_tokens_created_at ON oauth_access_tokens (created_at);

CREATE INDEX idx_oauth_refresh_tokens_client_id ON oauth_refresh_tokens (client_id);

CREATE INDEX idx_oauth_refresh_tokens_user_id ON oauth_refresh_tokens (user_id);

CREATE INDEX idx_oauth_refresh_tokens_created_at ON oauth_refresh_tokens (created_at);

CREATE INDEX idx_oauth_device_codes_state ON oauth_device_codes (state);

CREATE INDEX idx_oauth_device_codes_expires_at ON oauth_device_codes (expires_at);

CREATE INDEX idx_oauth_audit_logs_created_at ON oauth_audit_logs (created_at);

CREATE INDEX idx_oauth_audit_logs_event_type ON oauth_audit_logs (event_type);

CREATE TRIGGER "oauth_audit_logs_append_only_update" BEFORE UPDATE ON "oauth_audit_logs" BEGIN SELECT RAISE(ABORT, 'append-only: oauth_audit_logs'); END;

CREATE TRIGGER "oauth_audit_logs_append_only_delete" BEFORE DELETE ON "oauth_audit_logs" BEGIN SELECT RAISE(ABORT, 'append-only: oauth_audit_logs'); END;

CREATE TRIGGER "oauth_audit_logs_append_only_replace" BEFORE INSERT ON "oauth_audit_logs" WHEN EXISTS (SELECT 1 FROM "oauth_audit_logs" WHERE "id" = NEW."id") BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: oauth_audit_logs.id'); END;
