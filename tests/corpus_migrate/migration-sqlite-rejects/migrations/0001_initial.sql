-- first
CREATE TABLE x (a);
ALTER TABLE nope ADD COLUMN b;
