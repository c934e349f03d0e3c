CREATE TABLE line_items (
    id INTEGER PRIMARY KEY,
    quantity INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    total INTEGER GENERATED ALWAYS AS (quantity * unit_price) STORED,
    label TEXT AS ('x' || quantity) VIRTUAL
);
