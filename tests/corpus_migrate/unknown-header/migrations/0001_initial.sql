-- storegen: foreign_keys=of
CREATE TABLE x (a);
