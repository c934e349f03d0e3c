"""Typed JSON columns on every backend (issue 21, item 4).

A column declared JSON or JSONB, or TEXT with CHECK (json_valid(col)), holds a
`JsonValue` (or a class the config names, validated by pydantic); values
round-trip exactly or are refused with INVALID_DATA and nothing written; a
stored value that does not decode is INVALID_DATA, logged with its ray_id.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from codec_support import BACKENDS, build_package, module, open_backend

SCHEMA = """\
CREATE TABLE js_docs (
    id INTEGER PRIMARY KEY,
    payload JSON NOT NULL,
    extra JSONB,
    notes TEXT CHECK (notes IS NULL OR json_valid(notes)),
    settings TEXT NOT NULL CHECK (json_valid(settings)),
    items TEXT CHECK (items IS NULL OR json_valid(items)),
    meta TEXT NOT NULL DEFAULT '{"v": 1}' CHECK (json_valid(meta))
);
"""
QUERIES = """\
-- name: json_parts :many
SELECT id, settings ->> '$.theme' AS theme, payload -> '$.nested' AS nested,
       json_extract(payload, '$.n') AS n, payload ->> '$.nested.e' AS e
FROM js_docs ORDER BY id;
"""
MODELS = '''\
"""The application's own classes for JSON columns."""

from __future__ import annotations

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from pydantic import BaseModel


class Item(TypedDict):
    sku: str
    qty: int


Items = list[Item]


class Limits(BaseModel):
    max_items: int
    ratio: float


class Settings(BaseModel):
    theme: str
    tags: list[str]
    limits: Limits | None = None
'''
CONFIG = {
    "tables": {
        "js_docs": {
            "columns": {
                "settings": {"json": "js_models:Settings"},  # a BaseModel
                "items": {"json": "js_models:Items"},  # list[TypedDict]
            }
        }
    }
}
NESTED: Any = {
    "a": [1, 2.5, None, True, False, {"b": 'ü\n"x', "": -0.5}],
    "n": 42,
    "nested": {"k": [[], {}], "big": 2**62, "e": "\u2603"},
}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    root = tmp_path_factory.mktemp("json")
    (root / "out").mkdir()
    (root / "out" / "js_models.py").write_text(MODELS, encoding="utf-8")
    sys.path.insert(0, str(root / "out"))  # the generated models import js_models
    return build_package(root, "js_pkg", SCHEMA, QUERIES, **CONFIG)


def ok(result: Any) -> Any:
    assert result.status is True, result
    return result.client_message


def refused(result: Any) -> str:
    assert result.status is False and result.error_code.name == "INVALID_DATA", result
    message: str = result.client_message
    return message


@pytest.mark.parametrize("backend", BACKENDS)
async def test_nested_values_and_a_configured_class_round_trip(
    package: ModuleType, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from js_models import Limits, Settings

    store = module(package, backend).JsDocStore
    settings = Settings(theme="dark", tags=["a", "b"], limits=Limits(max_items=3, ratio=0.25))
    rows = [
        package.JsDoc(
            payload=NESTED, extra=[1, "two", {"three": 3.0}], notes=None, settings=settings
        ),
        package.JsDoc(payload=42, extra=None, notes=1.5, settings=Settings(theme="", tags=[])),
        package.JsDoc(
            payload=[],
            extra={},
            notes="just text",
            settings=settings,
            items=[{"sku": "a", "qty": 2}],
        ),
        package.JsDoc(payload="x", extra=True, notes=None, settings=settings),
        package.JsDoc(payload=None, extra=None, notes=[None], settings=settings),
    ]
    async with open_backend(package, backend, tmp_path, request) as db:
        docs = store(db)
        for row in rows:
            stored = ok(await docs.insert(row, "r"))
            for name in ("payload", "extra", "notes", "settings", "items"):
                assert getattr(stored, name) == getattr(row, name), name
            assert isinstance(stored.settings, Settings)
            assert stored.meta == {"v": 1}  # the DEFAULT, decoded
            again = ok(await docs.get_by_id(stored.id, "r"))
            assert again == stored
            assert type(again.payload) is type(row.payload)
        listed = ok(await docs.list_all("r"))
        assert [r.payload for r in listed] == [r.payload for r in rows]
        parts = ok(await docs.json_parts("r"))
        # ->> and json_extract give SQLite's SQL value, PostgreSQL's ->> text; -> gives JSON.
        n = "42" if backend.startswith("postgres") else 42
        assert [p.e for p in parts] == ["\u2603", None, None, None, None]
        assert [(p.theme, p.nested, p.n) for p in parts] == [
            ("dark", NESTED["nested"], n),
            ("", None, None),
            ("dark", None, None),
            ("dark", None, None),
            ("dark", None, None),
        ]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_values_that_would_not_round_trip_are_refused(
    package: ModuleType, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from js_models import Settings

    store = module(package, backend).JsDocStore
    good = Settings(theme="dark", tags=[])
    bad_payloads: list[Any] = [
        {"x": float("nan")},
        [float("inf")],
        {"t": (1, 2)},
        {1: "int key"},
        {"s": {1, 2}},
        1.5,  # a bare float in a NUMERIC-affinity (JSON) column: SQLite would keep 1.5,
        2.0,  # but make 2.0 the integer 2
        2**70,
        {"nul": "a\x00b"},
        ["lone surrogate \ud800"],
        {"big": 1e16},  # jsonb would give back the int 10000000000000000
        [[-1.5e23]],
    ]
    async with open_backend(package, backend, tmp_path, request) as db:
        docs = store(db)
        kept = ok(await docs.insert(package.JsDoc(payload={"k": 1}, settings=good), "r"))
        for payload in bad_payloads:
            message = refused(await docs.insert(package.JsDoc(payload=payload, settings=good), "r"))
            assert message.startswith("a value for js_docs.payload "), message
            assert "nan" not in message.lower() or "NaN" in message  # names no value
        message = refused(
            await docs.insert(package.JsDoc(payload={}, settings={"theme": 1, "tags": []}), "r")
        )
        assert message == "a value for js_docs.settings does not validate as Settings"
        wrong_items: Any = [{"sku": "a", "qty": "many"}]
        message = refused(
            await docs.insert(package.JsDoc(payload={}, settings=good, items=wrong_items), "r")
        )
        assert message == "a value for js_docs.items does not validate as list"
        changed = package.JsDoc(id=kept.id, payload={"x": float("nan")}, settings=good)
        refused(await docs.update(changed, "r"))
        assert ok(await docs.list_all("r")) == [kept]  # nothing written


@pytest.mark.parametrize("backend", BACKENDS)
async def test_stored_values_that_do_not_decode_are_invalid_data(
    package: ModuleType,
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = module(package, backend).JsDocStore
    p = (lambda n: f"${n}") if backend.startswith("postgres") else (lambda n: "?")
    insert = f"INSERT INTO js_docs (id, payload, settings) VALUES ({p(1)}, {p(2)}, {p(3)})"
    async with open_backend(package, backend, tmp_path, request) as db:
        docs = store(db)
        await db.execute(insert, [1, '{"fine": true}', '{"theme": 7, "tags": "no"}'])
        if not backend.startswith("postgres"):  # jsonb cannot hold text that is not JSON
            await db.execute(insert, [2, "{not json", '{"theme": "t", "tags": []}'])
        with caplog.at_level(logging.ERROR):
            message = refused(await docs.get_by_id(1, "ray-bad-class"))
        assert message == "a stored value in js_docs.settings cannot be read"
        assert any("ray-bad-class" in r.getMessage() for r in caplog.records)
        if not backend.startswith("postgres"):
            message = refused(await docs.get_by_id(2, "ray-bad-json"))
            assert message == "a stored value in js_docs.payload cannot be read"


USER_SCRIPT = """\
from __future__ import annotations

from typing import assert_type

from js_models import Settings
from js_pkg import FailedResult, JsDoc, JsonValue
from js_pkg.aiosqlite import JsDocStore


def nested() -> JsonValue:
    return {"a": [1, 2.5, None, True, {"b": "x"}], "n": 42}


async def main() -> None:
    store = JsDocStore("app.db")
    doc = JsDoc(payload=nested(), extra=[1, "x"], notes=None, settings=Settings(theme="t", tags=[]))
    result = await store.insert(doc, "r")
    if isinstance(result, FailedResult):
        return
    row = result.client_message
    assert_type(row.settings, Settings)
    assert_type(row.payload, JsonValue)
    assert_type(row.extra, JsonValue | None)
    if isinstance(row.payload, dict):
        inner: JsonValue = row.payload.get("a")
        print(inner)
    parts = await store.json_parts("r")
    if not isinstance(parts, FailedResult):
        for part in parts.client_message:
            assert_type(part.theme, int | float | str | None)
            assert_type(part.nested, JsonValue | None)
"""
WRONG_SCRIPT = """\
from __future__ import annotations

from js_models import Settings
from js_pkg import JsDoc

JsDoc(payload={1, 2}, settings=Settings(theme="t", tags=[]))
JsDoc(payload={}, settings={"theme": "t"})
"""


def test_user_script_passes_mypy_strict(package: ModuleType) -> None:
    out = Path(package.__file__ or "").parent.parent
    (out / "js_app.py").write_text(USER_SCRIPT, encoding="utf-8")
    (out / "js_wrong.py").write_text(WRONG_SCRIPT, encoding="utf-8")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    done = subprocess.run([*mypy, "js_app.py"], cwd=out, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run([*mypy, "js_wrong.py"], cwd=out, capture_output=True, text=True)
    assert "js_wrong.py:6: error" in done.stdout, done.stdout  # a set is no JsonValue
    assert "js_wrong.py:7: error" in done.stdout, done.stdout  # a dict is no Settings


@pytest.mark.parametrize(
    ("column", "reference", "message"),
    [
        ("settings", "Settings", 'must name a class as "module.path:Name"'),
        ("settings", "js_models:", 'must name a class as "module.path:Name"'),
        ("plain", "js_models:Settings", "needs a JSON column: declare it JSON or JSONB"),
        ("settings", "js_models:JsDoc", "json class 'JsDoc' would clash with a name"),
    ],
)
def test_a_json_class_must_be_spelled_and_placed_right(
    tmp_path: Path, column: str, reference: str, message: str
) -> None:
    from storegen.errors import ConfigError

    schema = SCHEMA.replace("id INTEGER PRIMARY KEY,", "id INTEGER PRIMARY KEY, plain TEXT,")
    config = {"tables": {"js_docs": {"columns": {column: {"json": reference}}}}}
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_package(tmp_path, "js_bad", schema, **config)
