-- q_scope OAuth2 authorization server: clients, users and the credentials
-- issued to them. Timestamps are unix seconds; every table records who
-- created and last updated each row, and when.

PRAGMA foreign_keys = ON;

-- An application registered to request tokens (RFC 6749 §2).
CREATE TABLE IF NOT EXISTS oauth_clients (
    id TEXT PRIMARY KEY NOT NULL,
    client_identifier TEXT NOT NULL UNIQUE, -- The public OAuth2 client_id.
    client_secret TEXT, -- @secret Hash of the client secret; NULL for public clients.
    -- 1 if the client can keep a secret (RFC 6749 §2.1).
    is_confidential INTEGER NOT NULL CHECK (is_confidential IN (0, 1)),
    redirect_uris TEXT NOT NULL, -- Registered redirect URIs, space-separated.
    grant_types TEXT NOT NULL, -- Grant types the client may use, space-separated.
    scopes TEXT, -- Scopes the client may request, space-separated; NULL for any.
    -- 0 blocks the client without deleting it.
    is_enabled INTEGER NOT NULL CHECK (is_enabled IN (0, 1)),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_oauth_clients_is_enabled ON oauth_clients (is_enabled);

-- Per-client policy: token lifetimes, PKCE and limits (one row per client).
CREATE TABLE IF NOT EXISTS oauth_client_configs (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    response_types TEXT NOT NULL, -- Allowed response_type values, space-separated.
    -- 1 if authorization requests must carry a PKCE code challenge.
    require_pkce INTEGER NOT NULL CHECK (require_pkce IN (0, 1)),
    pkce_methods TEXT, -- Allowed code_challenge_method values, space-separated.
    access_token_ttl INTEGER NOT NULL, -- Access token lifetime in seconds.
    refresh_token_ttl INTEGER, -- Refresh token lifetime in seconds; NULL never expires.
    authorization_code_ttl INTEGER NOT NULL, -- Authorization code lifetime in seconds.
    max_active_access_tokens INTEGER, -- NULL for no limit.
    max_active_refresh_tokens INTEGER, -- NULL for no limit.
    device_code_ttl INTEGER, -- Device code lifetime in seconds (RFC 8628).
    device_poll_interval INTEGER, -- Minimum seconds between device token polls.
    metadata TEXT, -- Free-form JSON for client settings without a column.
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

-- A resource owner, known to us only by the identity provider's ID.
CREATE TABLE IF NOT EXISTS oauth_users (
    id TEXT PRIMARY KEY NOT NULL,
    external_id TEXT NOT NULL UNIQUE, -- The user's ID at the identity provider.
    is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)), -- 0 refuses new grants for this user.
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

-- A short-lived authorization code, with its PKCE challenge (RFC 7636).
CREATE TABLE IF NOT EXISTS oauth_authorization_codes (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE, -- @secret The code handed to the client.
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES oauth_users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL, -- Must match the redirect_uri of the token request.
    scopes TEXT, -- Granted scopes, space-separated.
    code_challenge TEXT, -- PKCE code_challenge; NULL when PKCE was not used.
    code_challenge_method TEXT, -- PKCE method: 'S256' or 'plain'.
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER, -- When the code was exchanged; a code works only once.
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_oauth_authorization_codes_client_id
    ON oauth_authorization_codes (client_id);
CREATE INDEX IF NOT EXISTS idx_oauth_authorization_codes_expires_at
    ON oauth_authorization_codes (expires_at);

-- A bearer access token.
CREATE TABLE IF NOT EXISTS oauth_access_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL UNIQUE, -- @secret The bearer token value.
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    -- NULL for tokens from the client_credentials grant.
    user_id TEXT REFERENCES oauth_users (id) ON DELETE CASCADE,
    scopes TEXT, -- Granted scopes, space-separated.
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER, -- NULL while the token is valid.
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_oauth_access_tokens_client_id ON oauth_access_tokens (client_id);
CREATE INDEX IF NOT EXISTS idx_oauth_access_tokens_user_id ON oauth_access_tokens (user_id);
CREATE INDEX IF NOT EXISTS idx_oauth_access_tokens_expires_at ON oauth_access_tokens (expires_at);
CREATE INDEX IF NOT EXISTS idx_oauth_access_tokens_created_at ON oauth_access_tokens (created_at);

-- A refresh token; it lives until revoked or its client's refresh_token_ttl.
CREATE TABLE IF NOT EXISTS oauth_refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL UNIQUE, -- @secret The refresh token value.
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES oauth_users (id) ON DELETE CASCADE, -- NULL for client-only grants.
    scopes TEXT, -- Granted scopes, space-separated.
    revoked_at INTEGER, -- NULL while the token is valid.
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_oauth_refresh_tokens_client_id ON oauth_refresh_tokens (client_id);
CREATE INDEX IF NOT EXISTS idx_oauth_refresh_tokens_user_id ON oauth_refresh_tokens (user_id);
CREATE INDEX IF NOT EXISTS idx_oauth_refresh_tokens_created_at ON oauth_refresh_tokens (created_at);

-- A device authorization grant in progress (RFC 8628).
CREATE TABLE IF NOT EXISTS oauth_device_codes (
    id TEXT PRIMARY KEY NOT NULL,
    device_code TEXT NOT NULL UNIQUE, -- @secret The code the device polls with.
    user_code TEXT NOT NULL UNIQUE COLLATE NOCASE, -- The short code the user types in, in any case.
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    -- The user who approved or denied the request; NULL while pending.
    user_id TEXT REFERENCES oauth_users (id) ON DELETE SET NULL,
    scopes TEXT, -- Requested scopes, space-separated.
    expires_at INTEGER NOT NULL,
    interval INTEGER NOT NULL, -- Minimum seconds between polls.
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'consumed', 'expired')),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_oauth_device_codes_state ON oauth_device_codes (state);
CREATE INDEX IF NOT EXISTS idx_oauth_device_codes_expires_at ON oauth_device_codes (expires_at);
