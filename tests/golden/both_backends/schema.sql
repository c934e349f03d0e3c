-- A shipment, stored locally (aiosqlite) or on a libSQL server (libsql).
CREATE TABLE shipments (
    id TEXT PRIMARY KEY,
    weight DECIMAL(8, 3) NOT NULL,
    shipped_on DATE,
    status TEXT NOT NULL DEFAULT 'packed' CHECK (status IN ('packed', 'sent', 'lost')),
    fragile BOOLEAN NOT NULL DEFAULT FALSE,
    label BLOB,
    tracking_code TEXT UNIQUE -- @secret
);

CREATE INDEX idx_shipments_status ON shipments (status);
