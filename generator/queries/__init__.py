"""Stage 2: named queries in queries.sql are parsed, typed against the schema IR, and become store methods."""
