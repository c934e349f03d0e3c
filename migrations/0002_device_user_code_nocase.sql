-- storegen: foreign_keys=off
-- Written by `storegen migrate` from schema/oauth.sql, schema/logs.sql; review it, then commit it.
-- * rebuild table oauth_device_codes
-- * create index idx_oauth_device_codes_state
-- * create index idx_oauth_device_codes_expires_at

CREATE TABLE _storegen_new_oauth_device_codes (
    id TEXT PRIMARY KEY NOT NULL,
    device_code TEXT NOT NULL UNIQUE,
    user_code TEXT NOT NULL UNIQUE COLLATE NOCASE,
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

INSERT INTO _storegen_new_oauth_device_codes (id, device_code, user_code, client_id, user_id, scopes, expires_at, interval, state, created_at, created_by, updated_at, updated_by)
  SELECT id, device_code, user_code, client_id, user_id, scopes, expires_at, interval, state, created_at, created_by, updated_at, updated_by FROM oauth_device_codes;

DROP TABLE oauth_device_codes;

ALTER TABLE _storegen_new_oauth_device_codes RENAME TO oauth_device_codes;

CREATE INDEX idx_oauth_device_codes_state ON oauth_device_codes (state);

CREATE INDEX idx_oauth_device_codes_expires_at ON oauth_device_codes (expires_at);
