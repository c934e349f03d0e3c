CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT NOT NULL);

-- An R*Tree index: a module storegen does not carry.
CREATE VIRTUAL TABLE places_box USING rtree(id, min_x, max_x, min_y, max_y);
