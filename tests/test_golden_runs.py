"""The golden packages run and type-check, not only match text.

Each ``tests/golden/<case>/expected/`` is copied into one temporary folder as
the package ``golden_<case>`` (the generated code only imports itself
relatively, so the name is free), with the ``_runtime/`` helpers the generator
produces for the case added (goldens do not pin them), next to a tiny ``myapp/results.py`` for the
case that brings its own result classes. Then:

- per case: import it, ``create_schema`` on a SQLite file, and through the
  aiosqlite stores insert one fully populated row per table (its round trip
  must be exact), one row with only the required fields (the database fills
  the defaults), then call every get/list/count/update/patch method once;
- once for all cases: ``mypy --strict`` over every package, in one run.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import inspect
import os
import subprocess
import sys
import types
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest
from test_golden import GOLDEN, materialise_golden

CASES = sorted(p.parent.parent.name for p in GOLDEN.glob("*/expected/__init__.py"))

MYAPP_RESULTS = '''\
"""An application's own result classes, as `results_module` expects them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Generic, Literal, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class SuccessResult(Generic[T]):
    ray_id: str
    client_message: T
    status: Literal[True] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedResult:
    ray_id: str
    error_code: Enum
    client_message: str | None = None
    status: Literal[False] = False
'''

UTC = datetime.timezone.utc
# Two value sets, so the full row and the required-only row never collide.
SAMPLES: list[dict[Any, Any]] = [
    {
        int: 1,
        str: "x",
        float: 1.5,
        bytes: b"\x00x",
        bool: True,
        Decimal: Decimal("12.34"),
        datetime.date: datetime.date(2024, 5, 1),
        datetime.datetime: datetime.datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC),
        "json": {"kind": "signup", "user": {"name": "Ada", "tags": [1, 2.5, None, True]}},
    },
    {
        int: 2,
        str: "y",
        float: -2.25,
        bytes: b"y",
        bool: False,
        Decimal: Decimal("-7.5"),
        datetime.date: datetime.date(1999, 12, 31),
        datetime.datetime: datetime.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
        "json": ["y", {"k": []}],
    },
]


@pytest.fixture(scope="session")
def package_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every golden package as `golden_<case>`, plus `myapp`, in one folder."""
    root = tmp_path_factory.mktemp("golden-packages")
    work = tmp_path_factory.mktemp("golden-generation")
    for case in CASES:
        materialise_golden(GOLDEN / case, root / f"golden_{case}", work)
    (root / "myapp").mkdir()
    (root / "myapp" / "__init__.py").write_text("")
    (root / "myapp" / "results.py").write_text(MYAPP_RESULTS)
    return root


def sample(hint: Any, values: dict[Any, Any]) -> Any:
    """A value for a field annotation: the first literal, or the set's value for the type."""
    origin = get_origin(hint)
    json_alias = getattr(hint, "__name__", "") == "JsonValue"  # pydantic's TypeAliasType
    if json_alias or (
        origin in (Union, types.UnionType) and any(get_origin(a) is dict for a in get_args(hint))
    ):
        return values["json"]  # JsonValue
    if origin in (Union, types.UnionType):
        return sample(next(a for a in get_args(hint) if a is not type(None)), values)
    if origin is Literal:
        options = get_args(hint)
        return options[0] if values is SAMPLES[0] else options[-1]
    return values[hint]


def model_fields(model: type[Any]) -> list[tuple[str, bool]]:
    """(name, has a default) per field of a model dataclass or pydantic model."""
    if dataclasses.is_dataclass(model):
        return [(f.name, f.default is not dataclasses.MISSING) for f in dataclasses.fields(model)]
    return [(name, not info.is_required()) for name, info in model.model_fields.items()]


def build_row(model: type[Any], values: dict[Any, Any], *, required_only: bool) -> Any:
    hints = get_type_hints(model)
    kwargs = {}
    for name, has_default in model_fields(model):
        if required_only and has_default:
            continue
        kwargs[name] = sample(hints[name], values)
    return model(**kwargs)


def ok(result: Any, what: str) -> Any:
    assert result.status is True, f"{what} failed: {result}"
    return result.client_message


def key_params(method: Callable[..., Any]) -> list[str]:
    """A finder's key parameters: everything but ray_id and the paging keywords."""
    skip = ("self", "ray_id", "limit", "after", "offset")
    return [n for n in inspect.signature(method).parameters if n not in skip]


def attr_value(row: Any, param: str) -> Any:
    """The row's value for a method parameter (`limit_` is the attribute `limit`)."""
    return getattr(row, param) if hasattr(row, param) else getattr(row, param.rstrip("_"))


def store_classes(module: types.ModuleType) -> list[type[Any]]:
    classes = [getattr(module, name) for name in module.__all__]
    return [c for c in classes if isinstance(c, type) and hasattr(c, "model")]


def insert_encoders(rows_module: types.ModuleType) -> dict[type[Any], Callable[[Any], Any]]:
    """`encode_<model>_insert` per model: it sends exactly the writable columns."""
    encoders = {}
    for name, function in vars(rows_module).items():
        if name.startswith("encode_") and name.endswith("_insert"):
            encoders[get_type_hints(function)["row"]] = function
    return encoders


@pytest.mark.parametrize("case", CASES)
async def test_golden_package_runs(case: str, package_root: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(package_root))
    try:
        package = importlib.import_module(f"golden_{case}")
        backend = importlib.import_module(f"golden_{case}.aiosqlite")
        encoders = insert_encoders(importlib.import_module(f"golden_{case}._rows"))
    finally:
        sys.path.remove(str(package_root))
    classes = store_classes(backend)
    assert classes, f"golden_{case}.aiosqlite exports no store"
    async with backend.SqliteDatabase(str(tmp_path / "golden.db")) as db:
        await package.create_schema(db)
        every = [cls(db) for cls in classes]
        stores = [s for s in every if hasattr(s, "insert")]
        views = [s for s in every if not hasattr(s, "insert")]  # read-only: a view's store
        for round_, values in enumerate(SAMPLES):
            full = round_ == 0
            rows = {s.table: build_row(s.model, values, required_only=not full) for s in stores}
            stored = await insert_in_order(stores, rows)
            for store in stores:
                row, kept = rows[store.table], stored[store.table]
                if full:  # every writable column survives the round trip exactly
                    encode = encoders[store.model]
                    assert encode(kept) == encode(row), f"{store.table}: {kept} != {row}"
                await exercise(store, kept)
        for store in stores:
            assert ok(await store.count_all("count"), f"{store.table}.count_all") == 2
            await check_paging(store)
        for view in views:
            await exercise_view(view)


async def exercise_view(store: Any) -> None:
    """A view's store reads what the view holds: each row by its key, and in pages."""
    name = type(store).__name__
    assert not any(hasattr(store, w) for w in ("insert", "update", "upsert", "delete_by_id"))
    listed = ok(await store.list_all("view"), f"{name}.list_all")
    assert ok(await store.count_all("view"), f"{name}.count_all") == len(listed)
    for row in listed:
        await exercise(store, row)
    if listed:
        await check_paging(store)


async def insert_in_order(stores: list[Any], rows: dict[str, Any]) -> dict[str, Any]:
    """Insert one row per store, parents before children (found by retrying)."""
    stored: dict[str, Any] = {}
    pending = list(stores)
    while pending:
        failed = {}
        for store in pending:
            result = await store.insert(rows[store.table], f"insert-{store.table}")
            if result.status:
                stored[store.table] = result.client_message
            else:
                failed[store.table] = result
        if len(failed) == len(pending):
            raise AssertionError(f"inserts fail whatever the order: {failed}")
        pending = [s for s in pending if s.table in failed]
    return stored


async def exercise(store: Any, stored: Any) -> None:
    """Find the stored row through every finder and list_all, and update it if allowed."""
    name = type(store).__name__
    finders = sorted(n for n in dir(store) if n.startswith(("get_by_", "list_by_", "count_by_")))
    for finder in finders:
        method = getattr(store, finder)
        args = [attr_value(stored, p) for p in key_params(method)]
        if any(a is None for a in args):
            continue  # a NULL finds nothing by equality
        value = ok(await method(*args, finder), f"{name}.{finder}")
        if finder.startswith("get_by_"):
            assert value == stored, f"{name}.{finder} returned another row"
        elif finder.startswith("list_by_"):
            assert stored in value, f"{name}.{finder} misses the row"
        else:
            assert value >= 1, f"{name}.{finder} counts {value}"
    assert stored in ok(await store.list_all("list"), f"{name}.list_all")
    if hasattr(store, "update"):
        updated = ok(await store.update(stored, "update"), f"{name}.update")
        assert updated == stored, f"{name}.update changed the row"
    for patcher in sorted(n for n in dir(store) if n.startswith("patch_by_")):
        # Every mutable column given its own value: each codec's encoding in a patch.
        method = getattr(store, patcher)
        parameters = inspect.signature(method).parameters.values()
        given = {p.name: attr_value(stored, p.name) for p in parameters if p.kind is p.KEYWORD_ONLY}
        args = [attr_value(stored, n) for n in key_params(method) if n not in given]
        patched = ok(await method(*args, patcher, **given), f"{name}.{patcher}")
        assert patched == stored, f"{name}.{patcher} changed the row"
        assert ok(await method(*args, patcher), f"{name}.{patcher}()") == stored


async def check_paging(store: Any) -> None:
    """Each page starts right after the row named by `after` (or at `offset`)."""
    name = type(store).__name__
    listed = ok(await store.list_all("all"), f"{name}.list_all")
    assert ok(await store.list_all("one", limit=1), f"{name}.list_all(limit=1)") == listed[:1]
    if "offset" in inspect.signature(store.list_all).parameters:
        page = ok(await store.list_all("offset", offset=1), f"{name}.list_all(offset=1)")
        assert page == listed[1:], f"{name}.list_all(offset=1) is not the rest"
        return
    # The primary key's getter: the first one the class defining the methods declares
    # (a backend's store inherits them from the shared `_stores` module).
    getter = next(n for c in type(store).__mro__ for n in vars(c) if n.startswith("get_by_"))
    params = key_params(getattr(store, getter))
    for i, row in enumerate(listed):
        key = tuple(attr_value(row, p) for p in params)
        after = key[0] if len(key) == 1 else key
        page = ok(await store.list_all("page", after=after), f"{name}.list_all(after={after})")
        assert page == listed[i + 1 :], f"{name}.list_all(after={after!r}) is not the next page"


def test_golden_packages_typecheck(package_root: Path) -> None:
    """One `mypy --strict` run over every golden package (and the myapp stub)."""
    packages = [f"golden_{case}" for case in CASES]
    assert len(packages) >= 15, f"expected the golden packages, found {packages}"
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "myapp", *packages]
    done = subprocess.run(
        command,
        cwd=package_root,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(package_root)},
    )
    assert (
        done.returncode == 0
    ), f"mypy --strict over the golden packages:\n{done.stdout}{done.stderr}"
