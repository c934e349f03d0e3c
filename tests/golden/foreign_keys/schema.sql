CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

-- A tree: each category may sit under another one.
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES categories (id) ON DELETE CASCADE,
    name TEXT NOT NULL
);

CREATE TABLE books (
    id INTEGER PRIMARY KEY,
    isbn TEXT NOT NULL UNIQUE,
    author_id INTEGER NOT NULL REFERENCES authors ON DELETE RESTRICT ON UPDATE CASCADE,
    category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL,
    editor_id INTEGER DEFAULT 1 REFERENCES authors (id) ON DELETE SET DEFAULT,
    reviewer_id INTEGER REFERENCES authors (id) ON DELETE NO ACTION ON UPDATE NO ACTION
);

CREATE TABLE editions (
    book_isbn TEXT NOT NULL,
    number INTEGER NOT NULL,
    PRIMARY KEY (book_isbn, number),
    FOREIGN KEY (book_isbn) REFERENCES books (isbn) ON UPDATE CASCADE ON DELETE CASCADE
);

CREATE TABLE printings (
    id INTEGER PRIMARY KEY,
    book_isbn TEXT NOT NULL,
    edition_number INTEGER NOT NULL,
    copies INTEGER NOT NULL,
    FOREIGN KEY (book_isbn, edition_number) REFERENCES editions (book_isbn, number)
);
