CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('new', 'paid', 'shipped')),
    priority INTEGER NOT NULL DEFAULT 2 CHECK (priority IN (1, 2, 3)),
    gift INTEGER NOT NULL DEFAULT 0 CHECK (gift IN (0, 1)),
    express BOOLEAN NOT NULL DEFAULT FALSE,
    channel TEXT CHECK (channel IN ('web', 'store')),
    size TEXT NOT NULL DEFAULT 'm',
    note TEXT CHECK (note NOT IN ('')),
    CHECK ((size IN ('s', 'm', 'l'))),
    CHECK (priority > 0)
);

CREATE INDEX idx_orders_status ON orders (status);
