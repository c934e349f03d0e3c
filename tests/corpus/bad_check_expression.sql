CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    n INTEGER CHECK (n >< 1)
);
