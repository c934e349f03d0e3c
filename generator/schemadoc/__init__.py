"""Documentation generated from the schema: `storegen docs` writes `schema_page`."""

from __future__ import annotations

from .page import schema_page

__all__ = ["schema_page"]
