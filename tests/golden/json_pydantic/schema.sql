-- JSON columns under models = "pydantic": JsonValue is pydantic's own alias.
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    body JSON NOT NULL,
    labels JSONB
);
