-- postgres version of 0001_initial.sql
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

CREATE TABLE IF NOT EXISTS oauth_clients (
  id TEXT PRIMARY KEY NOT NULL,
  client_identifier TEXT NOT NULL UNIQUE,
  client_secret TEXT,
  is_confidential BIGINT NOT NULL CHECK (is_confidential IN (0, 1)),
  redirect_uris TEXT NOT NULL,
  grant_types TEXT NOT NULL,
  scopes TEXT,
  is_enabled BIGINT NOT NULL CHECK (is_enabled IN (0, 1)),
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS oauth_client_configs (
  client_id TEXT PRIMARY KEY NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  response_types TEXT NOT NULL,
  require_pkce BIGINT NOT NULL CHECK (require_pkce IN (0, 1)),
  pkce_methods TEXT,
  access_token_ttl BIGINT NOT NULL,
  refresh_token_ttl BIGINT,
  authorization_code_ttl BIGINT NOT NULL,
  max_active_access_tokens BIGINT,
  max_active_refresh_tokens BIGINT,
  device_code_ttl BIGINT,
  device_poll_interval BIGINT,
  metadata TEXT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS oauth_users (
  id TEXT PRIMARY KEY NOT NULL,
  external_id TEXT NOT NULL UNIQUE,
  is_active BIGINT NOT NULL CHECK (is_active IN (0, 1)),
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS oauth_authorization_codes (
  id TEXT PRIMARY KEY NOT NULL,
  code TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES oauth_users (id) ON DELETE CASCADE,
  redirect_uri TEXT NOT NULL,
  scopes TEXT,
  code_challenge TEXT,
  code_challenge_method TEXT,
  expires_at BIGINT NOT NULL,
  consumed_at BIGINT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS oauth_access_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  token TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  user_id TEXT REFERENCES oauth_users (id) ON DELETE CASCADE,
  scopes TEXT,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS oauth_refresh_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  token TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  user_id TEXT REFERENCES oauth_users (id) ON DELETE CASCADE,
  scopes TEXT,
  revoked_at BIGINT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS oauth_device_codes (
  id TEXT PRIMARY KEY NOT NULL,
  device_code TEXT NOT NULL UNIQUE,
  user_code TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  user_id TEXT REFERENCES oauth_users (id) ON DELETE SET NULL,
  scopes TEXT,
  expires_at BIGINT NOT NULL,
  interval BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'consumed', 'expired')),
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS oauth_audit_logs (
  id TEXT PRIMARY KEY NOT NULL,
  event_type TEXT NOT NULL,
  subject TEXT,
  client_id TEXT,
  user_id TEXT,
  metadata TEXT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE OR REPLACE FUNCTION "oauth_audit_logs_append_only"() RETURNS trigger LANGUAGE plpgsql AS $storegen$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM "oauth_audit_logs" WHERE "id" = NEW."id") THEN
      RAISE EXCEPTION USING MESSAGE = 'UNIQUE constraint failed: oauth_audit_logs.id';
    END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION USING MESSAGE = 'append-only: oauth_audit_logs';
END
$storegen$;

CREATE OR REPLACE TRIGGER "oauth_audit_logs_append_only" BEFORE INSERT OR UPDATE OR DELETE ON "oauth_audit_logs" FOR EACH ROW EXECUTE FUNCTION "oauth_audit_logs_append_only"();

CREATE OR REPLACE TRIGGER "oauth_audit_logs_append_only_truncate" BEFORE TRUNCATE ON "oauth_audit_logs" FOR EACH STATEMENT EXECUTE FUNCTION "oauth_audit_logs_append_only"();

CREATE INDEX idx_oauth_clients_is_enabled ON oauth_clients(is_enabled);

CREATE INDEX idx_oauth_authorization_codes_client_id ON oauth_authorization_codes(client_id);

CREATE INDEX idx_oauth_authorization_codes_expires_at ON oauth_authorization_codes(expires_at);

CREATE INDEX idx_oauth_access_tokens_client_id ON oauth_access_tokens(client_id);

CREATE INDEX idx_oauth_access_tokens_user_id ON oauth_access_tokens(user_id);

CREATE INDEX idx_oauth_access_tokens_expires_at ON oauth_access_tokens(expires_at);

CREATE INDEX idx_oauth_access_tokens_created_at ON oauth_access_tokens(created_at);

CREATE INDEX idx_oauth_refresh_tokens_client_id ON oauth_refresh_tokens(client_id);

CREATE INDEX idx_oauth_refresh_tokens_user_id ON oauth_refresh_tokens(user_id);

CREATE INDEX idx_oauth_refresh_tokens_created_at ON oauth_refresh_tokens(created_at);

CREATE INDEX idx_oauth_device_codes_state ON oauth_device_codes(state);

CREATE INDEX idx_oauth_device_codes_expires_at ON oauth_device_codes(expires_at);

CREATE INDEX idx_oauth_audit_logs_created_at ON oauth_audit_logs(created_at);

CREATE INDEX idx_oauth_audit_logs_event_type ON oauth_audit_logs(event_type);
