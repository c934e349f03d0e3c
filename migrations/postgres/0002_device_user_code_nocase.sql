-- postgres version of 0002_device_user_code_nocase.sql
-- Written by `storegen migrate` from schema/oauth.sql, schema/logs.sql; review it, then commit it.
-- * rebuild table oauth_device_codes
-- * create index idx_oauth_device_codes_state
-- * create index idx_oauth_device_codes_expires_at

CREATE TABLE IF NOT EXISTS "_storegen_new_oauth_device_codes" (
  id TEXT PRIMARY KEY NOT NULL,
  device_code TEXT NOT NULL UNIQUE,
  user_code TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  user_id TEXT REFERENCES oauth_users (id) ON DELETE SET NULL,
  scopes TEXT,
  expires_at BIGINT NOT NULL,
  "interval" BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'consumed', 'expired')),
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);

INSERT INTO "_storegen_new_oauth_device_codes" ("id", "device_code", "user_code", "client_id", "user_id", "scopes", "expires_at", "interval", "state", "created_at", "created_by", "updated_at", "updated_by")
  SELECT CAST(id AS TEXT), CAST(device_code AS TEXT), CAST(user_code AS TEXT), CAST(client_id AS TEXT), CAST(user_id AS TEXT), CAST(scopes AS TEXT), CAST(expires_at AS BIGINT), CAST(interval AS BIGINT), CAST(state AS TEXT), CAST(created_at AS BIGINT), CAST(created_by AS TEXT), CAST(updated_at AS BIGINT), CAST(updated_by AS TEXT) FROM "oauth_device_codes";

DROP TABLE "oauth_device_codes" CASCADE;

ALTER TABLE "_storegen_new_oauth_device_codes" RENAME TO "oauth_device_codes";

DO $storegen$
DECLARE r record;
BEGIN
  FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = '"oauth_device_codes"'::regclass
      AND starts_with(conname, '_storegen_new_oauth_device_codes') LOOP
    EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', 'oauth_device_codes', r.conname,
      'oauth_device_codes' || substr(r.conname, 33));
  END LOOP;
END
$storegen$;

CREATE INDEX idx_oauth_device_codes_state ON oauth_device_codes(state);

CREATE INDEX idx_oauth_device_codes_expires_at ON oauth_device_codes(expires_at);

CREATE UNIQUE INDEX IF NOT EXISTS "oauth_device_codes_user_code_nocase" ON "oauth_device_codes" (lower("user_code"));
