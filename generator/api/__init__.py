"""The generated package's public API, and what changed in it between two generations."""
