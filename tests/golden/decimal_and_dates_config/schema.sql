CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    total DECIMAL(12, 2) NOT NULL,
    tax NUMERIC(5, 2) NOT NULL DEFAULT 0,
    discount DECIMAL(5, 2),
    issued_on DATE NOT NULL,
    due_on DATE NOT NULL,
    sent_at DATETIME,
    expires_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP,
    reminded INTEGER NOT NULL DEFAULT 0,
    weight REAL
);
