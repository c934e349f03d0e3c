-- Identifiers in all three quoting styles SQLite accepts, with spaces and dashes.
CREATE TABLE "user accounts" (
    "id" TEXT PRIMARY KEY,
    [display name] TEXT NOT NULL,
    `e-mail` TEXT UNIQUE,
    "camelCase" INTEGER,
    "say ""hi""" TEXT
);

CREATE INDEX "idx user accounts camelCase" ON "user accounts" ("camelCase");
