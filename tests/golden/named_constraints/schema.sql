CREATE TABLE owners (
    id INTEGER CONSTRAINT pk_owners PRIMARY KEY,
    email TEXT CONSTRAINT nn_owners_email NOT NULL CONSTRAINT uq_owners_email UNIQUE
);

CREATE TABLE pets (
    id INTEGER NOT NULL,
    owner_id INTEGER NOT NULL CONSTRAINT fk_pets_owner REFERENCES owners (id) ON DELETE CASCADE,
    vet_id INTEGER,
    name TEXT NOT NULL,
    tag TEXT,
    kind TEXT NOT NULL CONSTRAINT ck_pets_kind CHECK (kind IN ('cat', 'dog')),
    CONSTRAINT pk_pets PRIMARY KEY (id),
    CONSTRAINT uq_pets_tag UNIQUE (tag),
    CONSTRAINT fk_pets_vet FOREIGN KEY (vet_id) REFERENCES owners (id) ON DELETE SET NULL,
    CONSTRAINT ck_pets_name CHECK (length(name) > 0)
);
