"""Stage 3: the IR becomes views (names, annotations, SQL) that the Jinja templates print."""
