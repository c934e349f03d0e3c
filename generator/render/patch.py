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
from .views_methods import RAY_ID, MethodView, ParamView

_UNSET = "UNSET"


def patch_method(view: TableView, suffix: str, keys: tuple[ParamView, ...], get: str) -> MethodView:
    """The patch method of a table, found by the key `keys` (its primary key)."""
    name = f"patch_by_{suffix}"
    taken = {"self", "ray_id", "statement", "keys", "stored", "exc", "mask", "given"}
    taken |= {k.name for k in keys}
    fields = view.update_fields
    words = [_keyword(f, taken) for f in fields]
    declared = ", ".join(k.declaration for k in keys)
    keywords = "".join(f", {attr}: {_annotation(f)} = {_UNSET}" for f, attr in zip(fields, words))
    lines = []
    for bit, (field, attr) in enumerate(zip(fields, words)):
        lines += [f"if {attr} is not {_UNSET}:", f"    mask |= {1 << bit}"]
        lines += ["    " + line for line in _append(field, attr)]
    return MethodView(
        kind="patch",
        name=name,
        signature=f"{name}(self, {declared}, {RAY_ID}, *{keywords}) -> Result[{view.model}]",
        doc=safe_docstring(
            f"Write only the given columns of the {view.model} with this "
            f"{' and '.join(k.column for k in keys)}.\n\n"
            "A column left out keeps its stored value, None writes NULL; the row\n"
            "as stored, or NOT_FOUND."
        ),
        returns=view.model,
        params=keys,
        args_after=_tuple([k.encode for k in keys]),
        sql=name.upper(),
        fallback=get,
        lines=tuple(lines),
    )


def _keyword(field: FieldView, taken: set[str]) -> str:
    return f"{field.attr}_" if field.attr in taken else field.attr


def _annotation(field: FieldView) -> str:
    return f"{field.annotation} | Unset"


def _append(field: FieldView, attr: str) -> list[str]:
    """Statements appending the column's value as the database stores it (as `update`)."""
    lines = []
    if field.db_filled:  # the DEFAULT sentinel is for inserts; an update needs a value
        lines += [f"if {attr} is _convert.DEFAULT:"]
        lines += [f"    _convert.refuse_default({field.table!r}, {field.column!r})"]
    null = "None if {} is None else "
    if field.encode.startswith(null):
        codec = field.encode.removeprefix(null).replace("{}", attr)
        lines += [f"if {attr} is None:", "    given.append(None)", "else:"]
        lines += [f"    given.append({codec})"]
    else:
        lines += [f"given.append({field.encode.replace('{}', attr)})"]
    return lines


def _tuple(items: list[str]) -> str:
    """A tuple without a magic trailing comma (black would keep it exploded)."""
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
