"""`@record`: a frozen dataclass whose methods are shared functions, not code compiled per class.

`@dataclass(frozen=True)` writes six methods per class as source text and
compiles each (`exec`): ~0.45 ms a class on Python 3.11, ~8 ms for the IR
alone, and the IR is imported on the critical path of a cold generation, in
the child that parses the schema before anything else can start. A record
is the same dataclass (fields, `dataclasses.fields`, `replace`, `asdict`,
pickling, `is_dataclass`), made with `init=False, repr=False, eq=False`,
and given these methods, written once for every class:

- `__init__`: the dataclass's signature (positional or keyword, the field
  defaults, `default_factory`), with the dataclass's TypeErrors;
- `__eq__`: the same class and equal field values, else NotImplemented;
  `__hash__`: the hash of the field values (both over the fields with
  `compare=True`, as a frozen dataclass does);
- `__repr__`: `Name(field=value, ...)` over the fields with `repr=True`;
- `__setattr__`, `__delattr__`: raise `dataclasses.FrozenInstanceError`.

Type checkers see a frozen dataclass (`dataclass_transform`). No `__slots__`,
no `__post_init__`, no `InitVar`, no `init=False` / `kw_only` / `hash=` field,
no method of its own in place of the ones above: `record` refuses such a
class with a TypeError when it decorates it (silently ignoring an option
would bind arguments to the wrong field or hash what should not be), so a
class that needs those stays a dataclass.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, dataclass_transform

_T = TypeVar("_T")
_MISSING = dataclasses.MISSING
_FIELD = getattr(dataclasses, "_FIELD")  # a field's kind, as dataclasses marks it
_INITVAR = getattr(dataclasses, "_FIELD_INITVAR")


@dataclass_transform(frozen_default=True)
def record(cls: type[_T]) -> type[_T]:
    """Make `cls` a frozen dataclass with the shared methods (see the module docstring)."""
    _refuse_class(cls)
    if not cls.__doc__ and _object_signature(cls):
        # What dataclass writes for a class without a docstring, `Name` and the signature
        # (here `()`, object's), without `inspect.signature`: it tokenizes object's text
        # signature: 1.4-3 ms for the first (tokenize's regexes), ~0.07 ms each after.
        cls.__doc__ = f"{cls.__name__}()"
    made: Any = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(made)
    _refuse_fields(made)
    made._record_init = tuple((f.name, f.default, f.default_factory) for f in fields if f.init)
    made._record_names = frozenset(f.name for f in fields if f.init)
    made._record_order = tuple(f.name for f in fields if f.init)
    made._record_compare = tuple(f.name for f in fields if f.compare)
    made._record_repr = tuple(f.name for f in fields if f.repr)
    made.__init__ = _init
    made.__repr__ = _repr
    made.__eq__ = _eq
    made.__hash__ = _hash
    made.__setattr__ = _setattr
    made.__delattr__ = _delattr
    return made  # type: ignore[no-any-return]


def replace(obj: _T, /, **changes: Any) -> _T:
    """`dataclasses.replace(obj, **changes)`, ~10x faster for a record.

    A record's fields are all in its `__dict__` and its `__init__` only stores
    them (`_init`), so the copy takes them from there; anything else (a plain
    dataclass, a subclass with its own `__init__`) goes to `dataclasses.replace`.
    The parse calls this hundreds of times per schema (a column per constraint).
    """
    cls = type(obj)
    if cls.__init__ is not _init:
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    names = cls._record_names  # type: ignore[attr-defined]
    if not names.issuperset(changes):
        unknown = next(key for key in changes if key not in names)
        raise TypeError(f"__init__() got an unexpected keyword argument {unknown!r}")
    old = obj.__dict__
    new = object.__new__(cls)
    order = cls._record_order  # type: ignore[attr-defined]
    # `_init` stores every field and nothing else: a `__dict__` of that size holds just
    # the fields (anything cached beside them, e.g. by a cached_property, is left out).
    new.__dict__.update(old if len(old) == len(order) else {name: old[name] for name in order})
    new.__dict__.update(changes)
    return new


def _object_signature(cls: type) -> bool:
    """Whether `inspect.signature(cls)` is object's `()`: no metaclass, no other constructor."""
    return (
        type(cls) is type
        and getattr(cls, "__init__") is object.__init__
        and getattr(cls, "__new__") is object.__new__
    )


_OWN_METHODS = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")


def _refuse(cls: type, what: str) -> TypeError:
    return TypeError(
        f"@record does not implement {what} (class {cls.__qualname__}): use @dataclass"
    )


def _refuse_class(cls: type) -> None:
    """Class options `record` does not implement (it would drop them silently)."""
    if "__slots__" in cls.__dict__:
        raise _refuse(cls, "__slots__")
    if hasattr(cls, "__post_init__"):
        raise _refuse(cls, "__post_init__")
    for name in _OWN_METHODS:
        if name in cls.__dict__:
            raise _refuse(cls, f"a class's own {name}")


def _refuse_fields(made: Any) -> None:
    """Field options `record` does not implement; `compare` and `repr` it honours."""
    for f in made.__dataclass_fields__.values():
        if f._field_type is _INITVAR:
            raise _refuse(made, f"InitVar (field {f.name!r})")
        if f._field_type is not _FIELD:
            continue  # a ClassVar: not a field
        if not f.init:
            raise _refuse(made, f"init=False (field {f.name!r})")
        if f.kw_only:
            raise _refuse(made, f"kw_only (field {f.name!r})")
        if f.hash is not None:
            raise _refuse(made, f"hash={f.hash!r} (field {f.name!r})")


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    order = cls._record_order
    if len(args) == len(order) and not kwargs:  # every field, in order: the common calls
        self.__dict__.update(zip(order, args))
        return
    if len(kwargs) == len(order) and not args and cls._record_names.issuperset(kwargs):
        self.__dict__.update(kwargs)
        return
    spec = cls._record_init
    if len(args) > len(spec):
        raise TypeError(f"__init__() {_takes(spec)} but {len(args) + 1} were given")
    if kwargs:
        unknown = next((key for key in kwargs if key not in cls._record_names), None)
        if unknown is not None:
            raise TypeError(f"__init__() got an unexpected keyword argument {unknown!r}")
    values = self.__dict__
    for index, (name, default, factory) in enumerate(spec):
        if index < len(args):
            if name in kwargs:
                raise TypeError(f"__init__() got multiple values for argument {name!r}")
            values[name] = args[index]
        elif name in kwargs:
            values[name] = kwargs[name]
        elif default is not _MISSING:
            values[name] = default
        elif factory is not _MISSING:
            values[name] = factory()
        else:
            missing = [n for n, d, f in spec[index:] if n not in kwargs and d is f is _MISSING]
            raise TypeError(f"__init__() {_missing(missing)}")


def _takes(spec: tuple[tuple[str, Any, Any], ...]) -> str:
    """Python's own words: `takes from 2 to 4 positional arguments`."""
    most = len(spec) + 1
    least = 1 + sum(1 for _, default, factory in spec if default is factory is _MISSING)
    count = f"from {least} to {most}" if least < most else f"{most}"
    return f"takes {count} positional argument{'s' if most > 1 else ''}"


def _missing(names: list[str]) -> str:
    """Python's own words: `missing 2 required positional arguments: 'a' and 'b'`."""
    quoted = [repr(name) for name in names]
    listed = (
        quoted[0]
        if len(quoted) == 1
        else (
            f"{quoted[0]} and {quoted[1]}"
            if len(quoted) == 2
            else f"{', '.join(quoted[:-1])}, and {quoted[-1]}"
        )
    )
    plural = "s" if len(quoted) > 1 else ""
    return f"missing {len(quoted)} required positional argument{plural}: {listed}"


def _values(self: Any) -> tuple[Any, ...]:
    values = self.__dict__
    return tuple([values[name] for name in type(self)._record_compare])


def _eq(self: Any, other: object) -> Any:  # bool, or NotImplemented
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self))


def _repr(self: Any) -> str:
    values = self.__dict__
    shown = ", ".join(f"{name}={values[name]!r}" for name in type(self)._record_repr)
    return f"{type(self).__qualname__}({shown})"


def _setattr(self: Any, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
