CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    tenant TEXT NOT NULL,
    handle TEXT NOT NULL,
    deleted_at INTEGER
);

CREATE UNIQUE INDEX ux_accounts_email ON accounts (email COLLATE NOCASE);
CREATE UNIQUE INDEX ux_accounts_tenant_handle ON accounts (tenant, handle);
-- Partial: unique among live rows only, so it is no key.
CREATE UNIQUE INDEX ux_accounts_live_handle ON accounts (handle) WHERE deleted_at IS NULL;
CREATE INDEX idx_accounts_tenant ON accounts (tenant);
