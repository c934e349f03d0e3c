CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE, -- @secret SHA-256 of the key.
    -- @secret
    salt BLOB NOT NULL,
    token TEXT,
    nonce TEXT, -- @secret Not secret after all: storegen.toml says so.
    label TEXT
);
