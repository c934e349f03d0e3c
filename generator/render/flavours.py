"""How model classes are spelled: stdlib dataclasses or pydantic v2 BaseModels.

`models = "dataclass" | "pydantic"` in config picks one `ModelFlavour`. Both
give the same fields, docstrings and defaults; the flavour decides only the
class head, the field declarations of secrets, the imports, and how a
decoder builds a model from a row. templates/common/models.py.j2 and
_rows.py.j2 print what these methods return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .pysource import merge_imports
from .typemap import JSON_IMPORT as _JSON_IMPORT
from ..records import record

if TYPE_CHECKING:  # views.py imports this module
    from .views import FieldView

_DATACLASS = "@dataclass(kw_only=True, slots=True)"
_FROZEN_DATACLASS = "@dataclass(frozen=True, kw_only=True, slots=True)"


@record
class ModelFlavour:
    """One way of writing the model classes; `name` is the config value."""

    name: str

    @property
    def pydantic(self) -> bool:
        return self.name == "pydantic"

    @property
    def noun(self) -> str:
        return "pydantic model" if self.pydantic else "dataclass"

    @property
    def module_doc(self) -> str:
        if self.pydantic:
            return '"""Domain models (pydantic v2), one per table."""'
        return '"""Domain dataclasses, one per table."""'

    def class_head(self, name: str, bases: tuple[str, ...], *, frozen: bool = False) -> str:
        """The decorator (dataclasses) and the `class` line of one model.

        A frozen pydantic model says so as a class keyword, `frozen=True`:
        pydantic reads it as `model_config = ConfigDict(frozen=True)`, and
        type checkers read it through `dataclass_transform`, so mypy flags an
        assignment to a field even without the pydantic plugin.
        """
        if self.pydantic:
            keywords = ", frozen=True" if frozen else ""
            return f"class {name}({', '.join(bases or ('BaseModel',))}{keywords}):"
        decorator = _FROZEN_DATACLASS if frozen else _DATACLASS
        inherits = f"({', '.join(bases)})" if bases else ""
        return f"{decorator}\nclass {name}{inherits}:"

    def declaration(self, f: FieldView) -> str:
        """`name: type = default`; a secret stays out of repr (and, for pydantic, dumps)."""
        if not (self.pydantic and f.secret):
            return f.declaration
        default = "" if f.default is None else f"default={f.default}, "
        return f"{f.attr}: {f.annotation} = Field({default}repr=False, exclude=True)"

    def imports(self, annotation_imports: tuple[str, ...], *, secrets: bool) -> tuple[str, ...]:
        """The models module's imports: the annotations' plus the flavour's own.

        `JsonValue` is defined here for the rest of the package: the runtime's
        recursive alias for dataclasses, pydantic's own for pydantic models
        (pydantic cannot build a schema from a plain recursive alias).
        """
        json = _JSON_IMPORT in annotation_imports
        annotation_imports = tuple(i for i in annotation_imports if i != _JSON_IMPORT)
        if not self.pydantic:
            own = "from dataclasses import dataclass" + (", field" if secrets else "")
            return merge_imports([*annotation_imports, own])  # JsonValue: models_runtime_import
        names = ["BaseModel", *(["Field"] if secrets else []), *(["JsonValue"] if json else [])]
        stdlib = merge_imports(annotation_imports)
        # A third-party import: its own group after the standard library's, as isort does;
        # pydantic is an extra, so a missing one says which, in one line.
        guarded = (
            "try:\n"
            f"    from pydantic import {', '.join(names)}\n"
            "except ImportError:\n"
            "    raise ImportError(\n"
            "        \"the generated models need pydantic: pip install 'storegen[pydantic]'\"\n"
            "    ) from None"
        )
        return (*stdlib, *([""] if stdlib else []), guarded)

    @property
    def rows_imports(self) -> tuple[str, ...]:
        """Extra imports of _rows.py: what a pydantic decoder needs to raise `DecodeError`."""
        if not self.pydantic:
            return ()
        return ("", "from pydantic import ValidationError")

    @property
    def rows_runtime_imports(self) -> tuple[str, ...]:
        """Runtime names the pydantic decoders' shared helper uses."""
        return ("from ._runtime.errors import DecodeError",) if self.pydantic else ()

    @property
    def rows_helpers(self) -> tuple[str, ...]:
        """Source of the helper pydantic decoders share (none for dataclasses)."""
        return (_PYDANTIC_DECODE_ERROR,) if self.pydantic else ()

    def decode_body(self, model: str, args: str, owner: str, fields: tuple[FieldView, ...]) -> str:
        """The body of a decoder building `model` from a row's converted values.

        pydantic: validating `__init__`, not `model_construct`. The values are
        already exact (the runtime converted them), and pydantic-core checks
        them in Rust faster than `model_construct` copies them in Python (2.6
        vs 7 µs for a 12-field model, pydantic 2.14). A stored value that
        still does not fit its annotation fails as a `DecodeError` naming the
        column (`fields` map attributes back to columns), never the value.
        """
        build = f"return {model}({args})"
        if not self.pydantic:
            return f"    {build}"
        renamed = {f.attr: f.column for f in fields if f.attr != f.column}
        columns = f", {renamed!r}" if renamed else ""
        return (
            f"    try:\n        {build}\n    except ValidationError as exc:\n"
            f"        raise _decode_error({owner!r}, exc{columns}) from None"
        )


_PYDANTIC_DECODE_ERROR = '''def _decode_error(
    owner: str, exc: ValidationError, columns: dict[str, str] | None = None
) -> DecodeError:
    """The first field pydantic refused, as a `DecodeError` naming its column, never the value."""
    loc = exc.errors(include_input=False, include_url=False)[0]["loc"]
    attr = str(loc[0]) if loc else "?"
    return DecodeError(owner, (columns or {}).get(attr, attr))'''

DATACLASS = ModelFlavour("dataclass")
PYDANTIC = ModelFlavour("pydantic")
FLAVOURS = {f.name: f for f in (DATACLASS, PYDANTIC)}
