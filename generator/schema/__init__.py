"""Stage 1: schema files become the IR. The only room that imports sqlglot for DDL; it checks what it reads against a real sqlite3."""
