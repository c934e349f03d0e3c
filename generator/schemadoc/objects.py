"""The schema page's section on views, triggers and FTS5 tables (when the schema has any)."""

from __future__ import annotations

from ..render.views import TableView
from ..schema.ir import Schema
from .markdown import Anchors, code, heading_text


def objects_section(schema: Schema, stores: dict[str, TableView], anchors: Anchors) -> list[str]:
    """Markdown lines: one table each for views, triggers and search tables."""
    if not (schema.views or schema.triggers or schema.virtual_tables):
        return []
    anchors.add("Views, triggers and search tables")
    lines = ["## Views, triggers and search tables", ""]
    if schema.views:
        lines += ["| view | store (read-only) | reads | declared at |", "|---|---|---|---|"]
        for view in schema.views:
            store = stores[view.name].store if view.name in stores else ""
            reads = ", ".join(code(d) for d in view.depends_on)
            lines.append(
                f"| {heading_text(view.name)} | {code(store)} | {reads} "
                f"| {code(str(view.location))} |"
            )
        lines.append("")
    if schema.triggers:
        lines += ["| trigger | on | declared at |", "|---|---|---|"]
        for trigger in schema.triggers:
            lines.append(
                f"| {heading_text(trigger.name)} | {code(trigger.table)} "
                f"| {code(str(trigger.location))} |"
            )
        lines.append("")
    if schema.virtual_tables:
        lines += ["| search table | columns | text kept in | declared at |", "|---|---|---|---|"]
        for table in schema.virtual_tables:
            kept = code(table.content) if table.content else "itself"
            columns = ", ".join(code(c) for c in table.columns)
            lines.append(
                f"| {heading_text(table.name)} ({table.module}) | {columns} | {kept} "
                f"| {code(str(table.location))} |"
            )
        lines.append("")
    return lines
