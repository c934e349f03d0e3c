"""generator/records.py: a `@record` behaves as the `@dataclass(frozen=True)` it replaces."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any, ClassVar

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


_UNIMPLEMENTED = {
    "init=False field": (
        "from dataclasses import field\n"
        "class C:\n a: int\n b: int = field(init=False, default=7)\n",
        "init=False",
    ),
    "kw_only field": (
        "from dataclasses import field\n"
        "class C:\n a: int = field(kw_only=True, default=0)\n b: int = 0\n",
        "kw_only",
    ),
    "KW_ONLY marker": (
        "from dataclasses import KW_ONLY\nclass C:\n _: KW_ONLY\n a: int = 0\n",
        "kw_only",
    ),
    "hash=False field": (
        "from dataclasses import field\n"
        "class C:\n a: int\n b: list = field(hash=False, default_factory=list)\n",
        "hash=False",
    ),
    "hash=True field": (
        "from dataclasses import field\nclass C:\n a: int = field(hash=True, compare=False)\n",
        "hash=True",
    ),
    "InitVar": (
        "from dataclasses import InitVar\nclass C:\n a: int\n b: InitVar[int]\n",
        "InitVar",
    ),
    "__post_init__": ("class C:\n a: int\n def __post_init__(self): pass\n", "__post_init__"),
    "__slots__": ("class C:\n __slots__ = ('a',)\n a: int\n", "__slots__"),
    "own __repr__": ("class C:\n a: int\n def __repr__(self): return 'C'\n", "__repr__"),
    "own __eq__": ("class C:\n a: int\n def __eq__(self, o): return True\n", "__eq__"),
    "own __hash__": ("class C:\n a: int\n def __hash__(self): return 0\n", "__hash__"),
}


@pytest.mark.parametrize("case", sorted(_UNIMPLEMENTED))
def test_refuses_what_it_does_not_implement(case: str) -> None:
    """A dataclass option `record` would silently drop (wrong binding, wrong hash, a
    KeyError in repr) is refused when the class is decorated, naming the option."""
    source, option = _UNIMPLEMENTED[case]
    code = compile(source, case, "exec", dont_inherit=True)  # real annotations, not strings
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    dataclass(frozen=True)(namespace["C"])  # the same class is a valid dataclass
    namespace = {}
    exec(code, namespace)
    with pytest.raises(TypeError, match="use @dataclass") as refused:
        record(namespace["C"])
    assert option in str(refused.value)


def test_accepts_what_it_implements() -> None:
    """compare=False / repr=False fields and a ClassVar are honoured, not refused."""

    @record
    class Quiet:
        kind: ClassVar[str] = "quiet"
        a: int
        b: int = field(default=0, compare=False, repr=False)

    assert Quiet(1, 2) == Quiet(1, 3) and hash(Quiet(1, 2)) == hash(Quiet(1, 3))
    assert repr(Quiet(1, 2)).endswith("Quiet(a=1)")


def test_a_class_without_a_docstring_gets_the_doc_dataclass_writes_without_inspect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """dataclass writes `Name()` (object's signature) through `inspect.signature`, which
    tokenizes object's text signature (1.4-3 ms the first time, on the parsing child's
    path): a record writes the same doc itself."""

    class Bare:
        name: str
        size: int = 0

    class Twin:
        name: str
        size: int = 0

    expected = dataclass(init=False, repr=False, eq=False)(Twin).__doc__
    assert expected == "Twin()"

    def no_signature(*args: object, **kwargs: object) -> None:
        raise AssertionError("inspect.signature was called")

    monkeypatch.setattr("inspect.signature", no_signature)
    made = record(Bare)
    assert made.__doc__ == "Bare()"
    assert made("a").size == 0

    class Documented:
        """Its own."""

        name: str

    assert record(Documented).__doc__ == "Its own."


@pytest.mark.parametrize(
    "changes", [{}, {"size": 9}, {"name": "z", "tags": ("q",), "notes": ["m"]}]
)
def test_replace_gives_what_dataclasses_replace_gives(changes: dict[str, Any]) -> None:
    from storegen.records import replace

    plain, point = Plain("a", 1, ("t",), ["n"]), Point("a", 1, ("t",), ["n"])
    expected, made = dataclasses.replace(plain, **changes), replace(point, **changes)
    assert dataclasses.asdict(made) == dataclasses.asdict(expected)
    assert made == dataclasses.replace(point, **changes) and made is not point
    assert type(made) is Point and point.size == 1  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.size = 3  # type: ignore[misc]
    assert replace(plain, **changes) == expected  # a plain dataclass: dataclasses.replace


def test_replace_refuses_a_name_that_is_no_field() -> None:
    from storegen.records import replace

    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        replace(Point("a", 1), colour="red")


def test_replace_leaves_out_what_is_cached_beside_the_fields() -> None:
    """A cached_property writes to the instance `__dict__`: a copy must compute its own."""
    from functools import cached_property

    from storegen.records import replace

    @record
    class Sized:
        size: int

        @cached_property
        def double(self) -> int:
            return self.size * 2

    first = Sized(2)
    assert first.double == 4  # now cached in first.__dict__
    copy = replace(first, size=5)
    assert copy.double == 10 and copy == Sized(5) and "double" not in vars(replace(copy))
