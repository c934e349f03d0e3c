"""JSON paths of named queries in PostgreSQL: `->` and `->>` steps that work on jsonb.

sqlglot writes SQLite's `x ->> '$.a.b'` as `JSON_EXTRACT_PATH_TEXT(x, 'a', 'b')`,
which exists for json but not for jsonb (the type of every JSON column there).
"""

from __future__ import annotations

from sqlglot import exp

__all__ = ["json_operators"]


def json_operators(tree: exp.Expr) -> None:
    """Rewrite every JSON extraction in `tree` as operator steps, in place."""
    for extract in list(tree.find_all(exp.JSONExtract, exp.JSONExtractScalar)):
        if isinstance(extract, (exp.JSONExtract, exp.JSONExtractScalar)):
            _steps(extract)


def _steps(extract: exp.JSONExtract | exp.JSONExtractScalar) -> None:
    """`x ->> '$.a.b'` → `x -> 'a' ->> 'b'`: `->` steps, `->>` only for the last."""
    extract.set("only_json_types", True)
    path = extract.expression
    steps = path.expressions if isinstance(path, exp.JSONPath) else []
    if isinstance(extract, exp.JSONExtractScalar) and len(steps) > 2:  # root, then 2+ keys
        inner = exp.JSONExtract(
            this=extract.this.copy(),
            expression=exp.JSONPath(expressions=[s.copy() for s in steps[:-1]]),
            only_json_types=True,
        )
        extract.set("this", inner)
        extract.set("expression", exp.JSONPath(expressions=[steps[0].copy(), steps[-1].copy()]))
