-- models = "pydantic" (storegen.toml): the same fields, docstrings and defaults
-- as the dataclass flavour, as pydantic v2 BaseModels.

-- An account of the shop.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE, -- Where receipts go.
    password_hash TEXT NOT NULL, -- @secret Never in a repr, a log or a dump.
    recovery_code TEXT, -- @secret Optional, and secret too.
    plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro')),
    balance DECIMAL(10, 2) NOT NULL DEFAULT 0,
    born_on DATE,
    last_seen_at TIMESTAMP,
    avatar BLOB,
    score REAL NOT NULL DEFAULT 0.5,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
    email_domain TEXT GENERATED ALWAYS AS (substr(email, instr(email, '@') + 1)) VIRTUAL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'shipped')),
    total DECIMAL(10, 2) NOT NULL,
    quantity INTEGER NOT NULL DEFAULT 1, -- Renamed `qty` in storegen.toml.
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX orders_by_account ON orders (account_id);
