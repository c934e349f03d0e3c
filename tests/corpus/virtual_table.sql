CREATE TABLE places (id INTEGER PRIMARY KEY);
CREATE VIRTUAL TABLE boxes USING rtree(id, min_x, max_x);
