-- Who belongs to which group; the pair is the key.
CREATE TABLE memberships (
    group_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;

CREATE INDEX idx_memberships_user_id ON memberships (user_id);

-- A composite key whose columns convert: the paging cursor must convert too.
CREATE TABLE daily_rates (
    day DATE NOT NULL,
    currency TEXT NOT NULL,
    rate DECIMAL(12, 6) NOT NULL,
    PRIMARY KEY (day, currency)
);
