-- Columns named after SQL and Python keywords, and after method parameters.
CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    interval INTEGER NOT NULL,
    "order" INTEGER NOT NULL,
    "from" TEXT NOT NULL,
    class TEXT,
    type TEXT,
    state TEXT NOT NULL,
    "limit" INTEGER
);

CREATE INDEX idx_schedules_class ON schedules (class);
CREATE INDEX idx_schedules_limit ON schedules ("limit");
CREATE INDEX idx_schedules_order ON schedules ("order");
