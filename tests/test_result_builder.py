"""`convert.success_builder`: the stores' fast SuccessResult is the same object as the slow one."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any, ClassVar

import pytest

from generated._runtime.convert import success_builder
from generated.results import SuccessResult


def test_a_built_result_is_a_true_success_result() -> None:
    build = success_builder(SuccessResult)
    built = build("ray-1", [1, "x"])
    slow = SuccessResult(ray_id="ray-1", client_message=[1, "x"])
    assert type(built) is SuccessResult and built == slow and repr(built) == repr(slow)
    assert built.status is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.ray_id = "changed"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(built)) == slow
    assert hash(build("r", 1)) == hash(SuccessResult(ray_id="r", client_message=1))


class _Registry:
    seen: ClassVar[list[type]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _Registry.seen.append(cls)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _UsersResult(_Registry):
    ray_id: str
    client_message: Any = None
    status: bool = True


def test_a_users_class_with_other_bases_keeps_its_constructor() -> None:
    before = list(_Registry.seen)
    built = success_builder(_UsersResult)("ray-2", 5)
    assert built == _UsersResult(ray_id="ray-2", client_message=5)
    assert _Registry.seen == before  # no twin subclass was made


_CONSTRUCTED: list[str] = []


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, init=False)
class _ResultWithItsOwnInit:
    """A user's results class with exactly our fields, whose constructor does more."""

    ray_id: str
    client_message: Any
    status: bool

    def __init__(self, *, ray_id: str, client_message: Any = None) -> None:
        _CONSTRUCTED.append(ray_id)
        object.__setattr__(self, "ray_id", ray_id.upper())
        object.__setattr__(self, "client_message", client_message)
        object.__setattr__(self, "status", True)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _ResultWithItsOwnNew:
    ray_id: str
    client_message: Any = None
    status: bool = True

    def __new__(cls, **kwargs: Any) -> _ResultWithItsOwnNew:
        _CONSTRUCTED.append("new")
        return object.__new__(cls)


@pytest.mark.parametrize("cls", [_ResultWithItsOwnInit, _ResultWithItsOwnNew])
def test_a_users_class_with_its_own_constructor_keeps_it(cls: type) -> None:
    # The twin fills the slots without calling the class: it may only stand in
    # for the __init__ and __new__ that dataclasses and object provide.
    build = success_builder(cls)
    _CONSTRUCTED.clear()
    built = build("ray-3", 7)
    assert _CONSTRUCTED, "the user's constructor was bypassed"
    assert built == cls(ray_id="ray-3", client_message=7)
