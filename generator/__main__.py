"""`python -m storegen` is the `storegen` command."""

from .cli import run

run()
