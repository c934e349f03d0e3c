"""What `storegen generate` says about the schema: kept with a cached generation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Options

if TYPE_CHECKING:
    from . import Generation
    from .schema.ir import Schema


def schema_summary(generation: Generation, options: Options) -> tuple[str, str | None]:
    """What the schema holds, and the statements passed over: kept with a cached generation."""
    from .output.cache import memo

    def compute() -> tuple[str, str | None]:
        schema = generation.schema
        return _counts(schema), passed_over_line(schema) if schema.passed_over else None

    return memo(options.root, generation.key, "summary", compute)


def _counts(schema: Schema) -> str:
    """What the schema holds, each kind that is there: `3 tables, 1 view, 2 triggers`."""
    kinds = [
        (len(schema.tables), "tables", "tables"),  # always plural, as scripts match it
        (len(schema.views), "view", "views"),
        (len(schema.triggers), "trigger", "triggers"),
        (len(schema.virtual_tables), "FTS5 table", "FTS5 tables"),
    ]
    shown = [f"{n} {one if n == 1 else many}" for n, one, many in kinds if n or many == "tables"]
    return ", ".join(shown)


def passed_over_line(schema: Schema) -> str:
    """One line naming the statements that are not schema, so nothing is skipped unsaid."""
    passed = schema.passed_over
    where = ", ".join(f"{s.location} {s.kind.upper()}" for s in passed[:5])
    more = f" and {len(passed) - 5} more" if len(passed) > 5 else ""
    noun = "statement" if len(passed) == 1 else "statements"
    return f"storegen: passed over {len(passed)} non-schema {noun}: {where}{more}"
