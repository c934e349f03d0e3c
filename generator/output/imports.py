"""Drop the imports a rendered module never uses.

Templates import what a package might need (every column type, the codec
helpers); which names a given module ends up using depends on the schema.
Deciding that in the views would duplicate what the templates print, so the
rendered text is checked instead: an imported name that appears nowhere else
in the module is removed. Only modules that cannot be re-exporting are
touched: a module with `__all__` keeps what it lists, a private module (`_x`)
is imported by name only for what it defines, and `__init__.py` is left alone.
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath


def prune_unused_imports(name: str, source: str) -> str:
    """`source` (the text of output file `name`) without its unused top-level imports."""
    stem = PurePosixPath(name).stem
    if not name.endswith(".py") or stem == "__init__":
        return source
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source  # black reports it, against the template
    exported = _all_names(tree)
    if exported is None and not stem.startswith("_"):
        return source  # a public module without __all__ may re-export its imports
    used = _used_names(tree) | (exported or set())
    lines = source.split("\n")
    # Bottom-up, so earlier line numbers stay valid while statements are replaced.
    for node in reversed(tree.body):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        kept = [alias for alias in node.names if _bound_name(alias) in used]
        if len(kept) == len(node.names):
            continue
        end = node.end_lineno or node.lineno
        replacement = [_statement(node, kept)] if kept else []
        lines[node.lineno - 1 : end] = replacement
    return "\n".join(lines)


def _bound_name(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def _statement(node: ast.Import | ast.ImportFrom, kept: list[ast.alias]) -> str:
    names = ", ".join(
        alias.name if alias.asname is None else f"{alias.name} as {alias.asname}" for alias in kept
    )
    if isinstance(node, ast.Import):
        return f"import {names}"
    return f"from {'.' * node.level}{node.module or ''} import {names}"


def _used_names(tree: ast.Module) -> set[str]:
    """Every name the module reads, outside its import statements."""
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            used.add(node.id)
        for annotation in _annotations(node):
            # A quoted annotation ("Result[X]") names what it uses.
            if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                used.update(_identifiers(annotation.value))
    return used


def _annotations(node: ast.AST) -> list[ast.expr | None]:
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    if isinstance(node, ast.arg):
        return [node.annotation]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [node.returns]
    return []


def _identifiers(text: str) -> set[str]:
    try:
        expression = ast.parse(text, mode="eval")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(expression) if isinstance(node, ast.Name)}


def _all_names(tree: ast.Module) -> set[str] | None:
    """The names in a literal `__all__`, or None when the module has none."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                return {
                    element.value
                    for element in node.value.elts
                    if isinstance(element, ast.Constant) and isinstance(element.value, str)
                }
            return set()
    return None
