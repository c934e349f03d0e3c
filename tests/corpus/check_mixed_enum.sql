CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    -- an enum that mixes integers and text cannot become a Literal
    kind TEXT CHECK (kind IN (1, 'public'))
);
