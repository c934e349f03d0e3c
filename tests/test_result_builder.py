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
