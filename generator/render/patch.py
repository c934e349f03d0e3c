"""`patch_by_<key>`: a partial update that writes only the columns passed.

`update` writes every mutable column, so two writers that each change one
field overwrite each other's change. A patch takes each mutable column as a
keyword whose default is `UNSET` (so None still means NULL for a nullable
column), writes those given, and returns the stored row (read back after an
AFTER UPDATE trigger, as `update` does) or NOT_FOUND. Immutable columns are
not offered; append-only tables get no patch.
"""

from __future__ import annotations

from .pysource import safe_docstring
from .views import FieldView, TableView
from .views_methods import MethodView, ParamView, arg_tuple

_UNSET = "_dynamic.UNSET"


def patch_method(view: TableView, suffix: str, keys: tuple[ParamView, ...], get: str) -> MethodView:
    """The patch method of a table, found by the key `keys` (its primary key)."""
    name = f"patch_by_{suffix}"
    taken = {"self", "ray_id", "statement", "bound", "stored", "exc", *(k.name for k in keys)}
    fields = view.update_fields
    words = [_keyword(f, taken) for f in fields]
    declared = ", ".join(k.declaration for k in keys)
    keywords = "".join(f", {attr}: {_annotation(f)} = {_UNSET}" for f, attr in zip(fields, words))
    values = [
        (
            attr
            if _encode(f, attr) == attr
            else f"{attr} if {attr} is {_UNSET} else {_encode(f, attr)}"
        )
        for f, attr in zip(fields, words)
    ]
    return MethodView(
        kind="patch",
        name=name,
        signature=(f"{name}(self, {declared}, ray_id: str, *{keywords}) -> Result[{view.model}]"),
        doc=safe_docstring(
            f"Write only the given columns of the {view.model} with this "
            f"{' and '.join(k.column for k in keys)}.\n\n"
            "A column left out keeps its stored value, None writes NULL; the row\n"
            "as stored, or NOT_FOUND."
        ),
        returns=view.model,
        params=keys,
        args=arg_tuple(values),
        args_after=arg_tuple(k.encode for k in keys),
        sql=name.upper(),
        fallback=get,
    )


def _keyword(field: FieldView, taken: set[str]) -> str:
    return f"{field.attr}_" if field.attr in taken else field.attr


def _annotation(field: FieldView) -> str:
    return f"{field.annotation} | _dynamic.Unset"


def _encode(field: FieldView, attr: str) -> str:
    """The column's update encoding (DEFAULT refused) applied to the keyword `attr`."""
    return field.encoded_for_update("__patch__").replace(f"__patch__.{field.attr}", attr)
