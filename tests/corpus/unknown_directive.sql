CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    secret TEXT -- @secrett
);
