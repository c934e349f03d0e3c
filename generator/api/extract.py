"""Read the public API out of a generated package's source: classes, fields, methods.

Both sides of a comparison go through this one reader: the package on disk
(the previous generation, as committed) and the files `generate()` returns.
The committed package is the baseline every checkout has (CI, pre-commit, a
teammate's clone), unlike a cache, and one reader for both sides means a
change in how things are spelled can never show up as an API change.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

# Top-level modules that hold no store classes (the rest are backend modules).
COMMON_MODULES = frozenset(
    {"__init__.py", "models.py", "contracts.py", "results.py", "tables.py", "schema.py"}
)


@dataclass(frozen=True, slots=True)
class FieldApi:
    """A model field: `name: annotation`, required when it has no default."""

    name: str
    annotation: str
    required: bool


@dataclass(frozen=True, slots=True)
class ParamApi:
    """A method parameter; `keyword` when it is keyword-only."""

    name: str
    annotation: str
    required: bool
    keyword: bool


@dataclass(frozen=True, slots=True)
class MethodApi:
    """A public method (or `__init__`) and its signature, `self` left out."""

    name: str
    params: tuple[ParamApi, ...]
    returns: str

    def shape(self) -> tuple[tuple[str, ...], str]:
        """The signature without names: equal shapes suggest a rename."""
        return tuple(p.annotation for p in self.params), self.returns


@dataclass(frozen=True, slots=True)
class ClassApi:
    """A public class of the package: a model, a contract or a store."""

    module: str  # models | contracts | a backend module
    name: str
    fields: tuple[FieldApi, ...] = ()
    methods: tuple[MethodApi, ...] = ()
    anchor: str = ""  # the model a contract or store serves (the model itself for a model)

    @property
    def key(self) -> str:
        return f"{self.module}.{self.name}"

    def members(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields) | frozenset(m.name for m in self.methods)


Api = dict[str, ClassApi]  # ClassApi.key -> class


def read_api(files: dict[str, str]) -> Api:
    """The public API of a package given as {relative path: source}."""
    api: Api = {}
    for path, text in sorted(files.items()):
        if "/" in path or not path.endswith(".py") or path.startswith("_"):
            continue
        if path in COMMON_MODULES and path not in ("models.py", "contracts.py"):
            continue
        module = path.removesuffix(".py")
        for cls in _read_module(module, ast.parse(text)):
            api[cls.key] = cls
    return api


def _read_module(module: str, tree: ast.Module) -> list[ClassApi]:
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    return [
        ClassApi(
            module=module,
            name=name,
            fields=tuple(_fields(node, classes)),
            methods=tuple(sorted(_methods(node, classes, {}).values(), key=lambda m: m.name)),
            anchor=name if module == "models" else _anchor(node),
        )
        for name, node in classes.items()
        if not name.startswith("_")
    ]


def _anchor(node: ast.ClassDef) -> str:
    """The model a class serves: `BaseTable[Model]` of a contract, `_sql = _ModelSql` of a store.

    It ties a renamed contract or store to its renamed model; "" when unknown
    (then a rename shows as a removal and an addition).
    """
    for base in node.bases:
        if isinstance(base, ast.Subscript):
            first = base.slice.elts[0] if isinstance(base.slice, ast.Tuple) else base.slice
            return ast.unparse(first)
    for item in node.body:
        if isinstance(item, ast.Assign) and [ast.unparse(t) for t in item.targets] == ["_sql"]:
            found = re.fullmatch(r"_(\w+)Sql", ast.unparse(item.value))
            if found:
                return found.group(1)
    return ""


def _fields(node: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> list[FieldApi]:
    """Dataclass fields, the ones of bases in the same module (mixins) first."""
    inherited: list[FieldApi] = []
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in classes:
            inherited.extend(_fields(classes[base.id], classes))
    own = [
        FieldApi(
            name=item.target.id,
            annotation=ast.unparse(item.annotation),
            required=_required(item.value),
        )
        for item in node.body
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
        and not item.target.id.startswith("_")
    ]  # fmt: skip
    names = {f.name for f in own}
    return [f for f in inherited if f.name not in names] + own


# What declares a field with options: a dataclass `field(...)`, a pydantic `Field(...)`.
_FIELD_CALLS = ("field", "dataclasses.field", "Field", "pydantic.Field")


def _required(value: ast.expr | None) -> bool:
    if value is None:
        return True
    if isinstance(value, ast.Call) and ast.unparse(value.func) in _FIELD_CALLS:
        if value.args:  # pydantic's positional default; `Field(...)` is required
            return isinstance(value.args[0], ast.Constant) and value.args[0].value is Ellipsis
        return not any(k.arg in ("default", "default_factory") for k in value.keywords)
    return False


def _methods(
    node: ast.ClassDef, classes: dict[str, ast.ClassDef], types: dict[str, str]
) -> dict[str, MethodApi]:
    """Public methods, with those of same-module bases (generic parameters substituted)."""
    found: dict[str, MethodApi] = {}
    for base in node.bases:
        if isinstance(base, ast.Subscript) and isinstance(base.value, ast.Name):
            parent = classes.get(base.value.id)
            if parent is not None:
                args = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
                params = _type_params(parent)
                bound = {p: _substitute(ast.unparse(a), types) for p, a in zip(params, args)}
                found.update(_methods(parent, classes, bound))
        elif isinstance(base, ast.Name) and base.id in classes:
            found.update(_methods(classes[base.id], classes, types))
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if item.name.startswith("_") and item.name != "__init__":
                continue
            found[item.name] = _method(item, types)
    return found


def _type_params(node: ast.ClassDef) -> list[str]:
    """`_T` of `class BaseTable(ABC, Generic[_T])`."""
    for base in node.bases:
        if isinstance(base, ast.Subscript) and ast.unparse(base.value) in (
            "Generic",
            "typing.Generic",
        ):
            elts = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
            return [ast.unparse(e) for e in elts]
    return []


def _substitute(annotation: str, types: dict[str, str]) -> str:
    for name, value in types.items():
        annotation = re.sub(rf"\b{re.escape(name)}\b", value, annotation)
    return annotation


def _method(node: ast.FunctionDef | ast.AsyncFunctionDef, types: dict[str, str]) -> MethodApi:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [
        ParamApi(a.arg, _annotation(a, types), d is None, keyword=False)
        for a, d in zip(positional, defaults)
        if a.arg not in ("self", "cls")
    ]
    params += [
        ParamApi(a.arg, _annotation(a, types), d is None, keyword=True)
        for a, d in zip(args.kwonlyargs, args.kw_defaults)
    ]
    returns = _substitute(ast.unparse(node.returns), types) if node.returns else ""
    return MethodApi(node.name, tuple(params), returns)


def _annotation(arg: ast.arg, types: dict[str, str]) -> str:
    return _substitute(ast.unparse(arg.annotation), types) if arg.annotation else ""
