"""generator/records.py: a `@record` behaves as the `@dataclass(frozen=True)` it replaces."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from storegen.records import record


@dataclass(frozen=True)
class Plain:
    name: str
    size: int
    tags: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list, compare=False, repr=False)


@record
class Point:
    name: str
    size: int
    tags: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list, compare=False, repr=False)


@record
class Other:
    name: str
    size: int
    tags: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list, compare=False, repr=False)


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a", 1), {}),
    (("a",), {"size": 2, "tags": ("x",)}),
    ((), {"name": "b", "size": 3, "notes": ["n"]}),
    (("a", 1, ("t",), ["n"]), {}),
    ((), {"notes": ["n"], "tags": ("t",), "size": 4, "name": "c"}),
]
BAD_CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((), {}),
    (("a",), {}),
    (("a", 1, (), [], 5), {}),
    (("a", 1), {"name": "b"}),
    (("a", 1), {"colour": "red"}),
    ((), {"size": 1}),
    ((), {"name": "a", "size": 1, "tags": (), "colour": "red"}),
    (("a", 1, (), []), {"size": 2}),
]


def twins(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    return Plain(*args, **kwargs), Point(*args, **kwargs)


@pytest.mark.parametrize("args, kwargs", CALLS)
def test_same_values_repr_equality_and_hash(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    plain, point = twins(args, kwargs)
    assert dataclasses.asdict(point) == dataclasses.asdict(plain)
    assert repr(point) == repr(plain).replace("Plain(", "Point(")
    assert hash(point) == hash(plain)
    again = Point(*args, **kwargs)
    assert point == again and hash(point) == hash(again) and not point != again
    assert Point(**{**dataclasses.asdict(point), "notes": ["other"]}) == point  # compare=False
    assert Point(**{**dataclasses.asdict(point), "size": -1}) != point
    assert point != Other(*args, **kwargs) and point != plain  # another class is never equal
    assert pickle.loads(pickle.dumps(point)) == point


@pytest.mark.parametrize("args, kwargs", BAD_CALLS)
def test_same_type_errors(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError) as plain:
        Plain(*args, **kwargs)
    with pytest.raises(TypeError) as point:
        Point(*args, **kwargs)
    assert str(point.value).split("() ", 1)[1] == str(plain.value).split("() ", 1)[1]


def test_frozen_and_a_dataclass_to_the_dataclasses_module() -> None:
    point = Point("a", 1)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'size'"):
        point.size = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'size'"):
        del point.size  # type: ignore[misc]
    assert dataclasses.is_dataclass(point)
    assert [f.name for f in dataclasses.fields(point)] == ["name", "size", "tags", "notes"]
    moved = dataclasses.replace(point, size=5)
    assert moved == Point("a", 5) and point.size == 1
    assert Point("a", 1).notes is not Point("a", 1).notes  # a fresh default each time
