-- @secret
CREATE TABLE things (
    id INTEGER PRIMARY KEY
);
