CREATE TABLE oauth_api_clients (
    id TEXT PRIMARY KEY,
    "Redirect URL" TEXT NOT NULL
);

CREATE TABLE short_urls (
    id INTEGER PRIMARY KEY,
    target_url TEXT NOT NULL,
    api_client_id TEXT REFERENCES oauth_api_clients (id)
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    "fullName" TEXT NOT NULL
);

CREATE TABLE addresses (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    line1 TEXT NOT NULL
);

CREATE TABLE statuses (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE "2fa_devices" (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    self TEXT
);
