"""Errors a user can act on. The CLI turns each into a message and exit 2."""

from __future__ import annotations

TYPE_CHECKING = False  # as typing's, without importing typing before the fork (spare.py)
if TYPE_CHECKING:  # the IR's dataclasses load only where a schema is parsed or read
    from .schema.ir import Location


class StoregenError(Exception):
    """Base class: bad input or bad config, never a bug in storegen."""


class SchemaError(StoregenError):
    """A schema file the generator cannot honour, with where it happened."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ConfigError(StoregenError):
    """A `[tool.storegen]` table or CLI flag that makes no sense."""


class TemplateError(StoregenError):
    """A template that fails to render, or renders code black rejects."""
