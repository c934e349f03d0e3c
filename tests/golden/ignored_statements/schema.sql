PRAGMA foreign_keys = ON;

DROP TABLE IF EXISTS old_items;

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    qty INTEGER NOT NULL DEFAULT 0
);

INSERT INTO items (name) VALUES ('first; with a semicolon');

CREATE VIEW item_names AS SELECT name FROM items;

CREATE TRIGGER items_qty_check BEFORE UPDATE ON items
BEGIN
    SELECT RAISE(ABORT, 'negative quantity') WHERE NEW.qty < 0;
    UPDATE items SET name = trim(NEW.name) WHERE id = NEW.id;
END;

-- An expression index: nothing to generate from it.
CREATE INDEX idx_items_lower_name ON items (lower(name));
