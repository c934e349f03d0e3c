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
    pruned = prune_checked(name, source)
    return source if pruned is None else pruned


def prune_checked(name: str, source: str) -> str | None:
    """Like `prune_unused_imports`, but None when a `.py` file is not valid Python.

    Every `.py` file is checked, also those left as they are: when black does
    not run (built-in templates), this is what catches a template that printed
    broken code.
    """
    if not name.endswith(".py"):
        return source
    from .symbols import UNSURE, fast_prune

    stem = PurePosixPath(name).stem
    fast = fast_prune(source, prunable=stem != "__init__", private=stem.startswith("_"))
    if fast is not UNSURE:
        return fast  # type: ignore[return-value]
    trees = _parse(source)
    if trees is None:
        return None
    if stem == "__init__":
        return source
    exported = next((names for _, tree in trees if (names := all_names(tree)) is not None), None)
    if exported is None and not stem.startswith("_"):
        return source  # a public module without __all__ may re-export its imports
    used = set(exported or ())
    for _, tree in trees:
        used |= used_names(tree)
    return drop_imports(source, trees, used)


def drop_imports(source: str, trees: list[tuple[int, ast.Module]], used: set[str]) -> str:
    """`source` without the top-level imports (of `trees`) that bind no name in `used`."""
    lines: list[str] | None = None  # split only when something is dropped
    # Bottom-up, so earlier line numbers stay valid while statements are replaced.
    for offset, tree in reversed(trees):
        for node in reversed(tree.body):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            kept = [alias for alias in node.names if bound_name(alias) in used]
            if len(kept) == len(node.names):
                continue
            if lines is None:
                lines = source.split("\n")
            end = node.end_lineno or node.lineno
            replacement = [_statement(node, kept)] if kept else []
            lines[offset + node.lineno - 1 : end + offset] = replacement
    return source if lines is None else "\n".join(lines)


# A module is parsed in pieces of about this many lines: the syntax tree of a
# 500-table module whole would take hundreds of MB.
_PIECE_LINES = 2000
# Where a piece may start: a top-level class, def or decorator after a blank line.
_TOP_LEVEL = ("class ", "def ", "async def ", "@")


def _parse(source: str) -> list[tuple[int, ast.Module]] | None:
    """(line offset, tree) per piece of `source`; None when it is not valid Python.

    Pieces split before top-level statements only, so together they hold the
    same statements as the whole module. A split in the wrong place (inside a
    string or brackets) leaves a piece that does not parse, and then the whole
    module is parsed instead, which decides.
    """
    lines = source.split("\n")
    starts = [0]
    for number, line in enumerate(lines):
        if (
            number - starts[-1] >= _PIECE_LINES
            and line.startswith(_TOP_LEVEL)
            and not lines[number - 1].strip()
        ):
            starts.append(number)
    if len(starts) > 1:
        pieces: list[tuple[int, ast.Module]] = []
        for begin, end in zip(starts, [*starts[1:], len(lines)]):
            try:
                pieces.append((begin, ast.parse("\n".join(lines[begin:end]))))
            except SyntaxError:
                break
        else:
            return pieces
    try:
        return [(0, ast.parse(source))]
    except SyntaxError:
        return None


def bound_name(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def _statement(node: ast.Import | ast.ImportFrom, kept: list[ast.alias]) -> str:
    names = ", ".join(
        alias.name if alias.asname is None else f"{alias.name} as {alias.asname}" for alias in kept
    )
    if isinstance(node, ast.Import):
        return f"import {names}"
    return f"from {'.' * node.level}{node.module or ''} import {names}"


def used_names(tree: ast.Module) -> set[str]:
    """Every name the module reads, outside its import statements."""
    used: set[str] = set()
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Name:
            used.add(node.id)  # type: ignore[attr-defined]
            continue
        if kind is ast.arg or kind is ast.AnnAssign:
            annotation = node.annotation  # type: ignore[attr-defined]
        elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            annotation = node.returns  # type: ignore[attr-defined]
        else:
            continue
        # A quoted annotation ("Result[X]") names what it uses.
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            used.update(_identifiers(annotation.value))
    return used


def _identifiers(text: str) -> set[str]:
    try:
        expression = ast.parse(text, mode="eval")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(expression) if isinstance(node, ast.Name)}


def all_names(tree: ast.Module) -> set[str] | None:
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
