"""Stage 4: rendered text is laid out, pruned of unused imports, black-formatted and written (or diffed)."""
