"""What changed in the public API between two generations, each change breaking or not.

"Breaking" means a caller's code that type-checked and ran against the old
package may fail against the new one: a name it used is gone or renamed, a
type it passed or read changed, a value it read may now be None, or a
constructor or method now needs an argument it does not pass.
Renames are inferred: a removed and an added name of the same class with the
same type (a field) or signature (a method), a model with mostly the same
fields, a contract or store serving the (renamed) same model; paired only when
the match is unique.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from .extract import Api, ClassApi, FieldApi, MethodApi, ParamApi

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Change:
    """One change to the public API, as one report line."""

    where: str  # module.Class[.member[(param)]]
    what: str
    breaking: bool

    def line(self) -> str:
        return f"  {'breaking' if self.breaking else 'ok':<10}{self.where}: {self.what}"


def compare_api(old: Api, new: Api) -> list[Change]:
    """Every change from `old` to `new`, in a stable order (by place, then text)."""
    changes: list[Change] = []
    removed = [old[k] for k in old if k not in new]
    added = [new[k] for k in new if k not in old]
    # Models first, by their fields; then contracts and stores, by the model they serve.
    models = [c for c in removed if c.module == "models"], [
        c for c in added if c.module == "models"
    ]
    renamed = _pair(*models, _model_match)
    model_renames = {a.name: b.name for a, b in renamed}
    others = [c for c in removed if c.module != "models"], [
        c for c in added if c.module != "models"
    ]
    renamed += _pair(
        *others,
        lambda a, b: a.module == b.module
        and bool(a.anchor)
        and model_renames.get(a.anchor, a.anchor) == b.anchor,
    )
    renames = {a.name: b.name for a, b in renamed}
    for a, b in renamed:
        changes.append(Change(a.key, f"class renamed to {b.name}", True))
    paired_old = {a.key for a, _ in renamed}
    paired_new = {b.key for _, b in renamed}
    changes += [Change(c.key, "class removed", True) for c in removed if c.key not in paired_old]
    changes += [Change(c.key, "class added", False) for c in added if c.key not in paired_new]
    pairs = [(old[k], new[k]) for k in old if k in new] + renamed
    for before, after in pairs:
        before = _renamed_types(before, renames)
        changes += _field_changes(after.key, before.fields, after.fields)
        changes += _method_changes(after.key, before.methods, after.methods)
    return sorted(changes, key=lambda c: (c.where, c.what))


def format_report(changes: Sequence[Change], *, breaking_only: bool = False) -> str:
    """The report `check` and `generate` print; empty when nothing is to be said."""
    shown = [c for c in changes if c.breaking or not breaking_only]
    if not shown:
        return ""
    count = sum(c.breaking for c in changes)
    head = f"storegen: public API: {len(changes)} change{'s' if len(changes) != 1 else ''}"
    lines = [f"{head}, {count} breaking", *(c.line() for c in shown)]
    return "\n".join(lines) + "\n"


def _pair(
    removed: list[_T], added: list[_T], match: Callable[[_T, _T], bool]
) -> list[tuple[_T, _T]]:
    """Removed/added pairs that match each other and nothing else: the renames."""
    pairs = []
    for a in removed:
        candidates = [b for b in added if match(a, b)]
        if len(candidates) == 1 and sum(match(x, candidates[0]) for x in removed) == 1:
            pairs.append((a, candidates[0]))
    return pairs


def _model_match(a: ClassApi, b: ClassApi) -> bool:
    """Most fields shared, name and type (a table or model renamed, its columns kept)."""
    ours, theirs = set(a.fields), set(b.fields)
    union = ours | theirs
    return bool(union) and len(ours & theirs) * 2 >= len(union)


def _renamed_types(cls: ClassApi, renames: dict[str, str]) -> ClassApi:
    """`cls` with renamed class names replaced in its annotations (reported once, as renames)."""
    if not renames:
        return cls
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, renames)) + r")\b")

    def sub(text: str) -> str:
        return pattern.sub(lambda m: renames[m.group(1)], text)

    return replace(
        cls,
        fields=tuple(replace(f, annotation=sub(f.annotation)) for f in cls.fields),
        methods=tuple(
            replace(
                m,
                returns=sub(m.returns),
                params=tuple(replace(p, annotation=sub(p.annotation)) for p in m.params),
            )
            for m in cls.methods
        ),
    )


def _field_changes(
    where: str, before: Sequence[FieldApi], after: Sequence[FieldApi]
) -> list[Change]:
    old, new = {f.name: f for f in before}, {f.name: f for f in after}
    removed = [f for f in before if f.name not in new]
    added = [f for f in after if f.name not in old]
    renamed = _pair(
        removed, added, lambda a, b: (a.annotation, a.required) == (b.annotation, b.required)
    )
    changes = [Change(f"{where}.{a.name}", f"field renamed to {b.name}", True) for a, b in renamed]
    gone = {a.name for a, _ in renamed} | {b.name for _, b in renamed}
    for f in removed:
        if f.name not in gone:
            changes.append(Change(f"{where}.{f.name}", "field removed", True))
    for f in added:
        if f.name not in gone:
            if f.required:
                changes.append(
                    Change(f"{where}.{f.name}", f"required field added ({f.annotation})", True)
                )
            else:
                changes.append(
                    Change(f"{where}.{f.name}", f"optional field added ({f.annotation})", False)
                )
    for name in old.keys() & new.keys():
        a, b = old[name], new[name]
        changes += _type_change(f"{where}.{name}", "field", a.annotation, b.annotation)
        if a.required != b.required:
            changes.append(
                Change(f"{where}.{name}", "field became required (no default)", True)
                if b.required
                else Change(f"{where}.{name}", "field no longer required (has a default)", False)
            )
    return changes


def _type_change(where: str, what: str, old: str, new: str) -> list[Change]:
    """A changed annotation: becoming Optional is named as such; any change breaks someone."""
    if old == new:
        return []
    if _optional(new) and not _optional(old):
        return [Change(where, f"{what} became Optional ({old} -> {new})", True)]
    if _optional(old) and not _optional(new):
        return [Change(where, f"{what} no longer Optional ({old} -> {new})", True)]
    return [Change(where, f"{what} type changed ({old} -> {new})", True)]


def _optional(annotation: str) -> bool:
    return bool(re.search(r"(^|\|\s*)None(\s*\||$)", annotation)) or "Optional[" in annotation


def _method_changes(
    where: str, before: Sequence[MethodApi], after: Sequence[MethodApi]
) -> list[Change]:
    old, new = {m.name: m for m in before}, {m.name: m for m in after}
    removed = [m for m in before if m.name not in new]
    added = [m for m in after if m.name not in old]
    renamed = _pair(removed, added, lambda a, b: a.shape() == b.shape())
    changes = [Change(f"{where}.{a.name}", f"method renamed to {b.name}", True) for a, b in renamed]
    gone = {a.name for a, _ in renamed} | {b.name for _, b in renamed}
    changes += [
        Change(f"{where}.{m.name}", "method removed", True) for m in removed if m.name not in gone
    ]
    changes += [
        Change(f"{where}.{m.name}", "method added", False) for m in added if m.name not in gone
    ]
    for name in old.keys() & new.keys():
        a, b = old[name], new[name]
        place = f"{where}.{name}"
        if a.returns != b.returns:
            changes.append(Change(place, f"return type changed ({a.returns} -> {b.returns})", True))
        changes += _param_changes(place, a.params, b.params)
    return changes


def _param_changes(
    where: str, before: Sequence[ParamApi], after: Sequence[ParamApi]
) -> list[Change]:
    changes: list[Change] = []
    old, new = {p.name: p for p in before}, {p.name: p for p in after}
    removed = [p for p in before if p.name not in new]
    added = [p for p in after if p.name not in old]
    renamed = _pair(
        removed, added, lambda a, b: (a.annotation, a.keyword) == (b.annotation, b.keyword)
    )
    changes += [
        Change(f"{where}({a.name})", f"parameter renamed to {b.name}", True) for a, b in renamed
    ]
    gone = {a.name for a, _ in renamed} | {b.name for _, b in renamed}
    for p in removed:
        if p.name not in gone:
            changes.append(Change(f"{where}({p.name})", "parameter removed", True))
    for p in added:
        if p.name not in gone:
            kind = "required" if p.required else "optional"
            changes.append(
                Change(f"{where}({p.name})", f"{kind} parameter added ({p.annotation})", p.required)
            )
    for name in old.keys() & new.keys():
        a, b = old[name], new[name]
        changes += _type_change(f"{where}({name})", "parameter", a.annotation, b.annotation)
        if a.required != b.required:
            changes.append(
                Change(f"{where}({name})", "parameter became required", True)
                if b.required
                else Change(f"{where}({name})", "parameter became optional", False)
            )
        if a.keyword != b.keyword:
            changes.append(
                Change(
                    f"{where}({name})",
                    "parameter became " + ("keyword-only" if b.keyword else "positional"),
                    True,
                )
            )
    if not changes and [p.name for p in before if not p.keyword] != [
        p.name for p in after if not p.keyword
    ]:
        changes.append(Change(where, "positional parameters reordered", True))
    return changes
