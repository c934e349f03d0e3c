CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    mail TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    bio TEXT
);
