"""`models = "pydantic"`: the generated BaseModels behave, run and type-check.

- the conformance suite (tests/conformance) runs on aiosqlite against the
  repo's schema generated with `models = "pydantic"`: in a subprocess, whose
  working folder holds that package as `generated`, so every test of the
  suite imports it unchanged (test_model_flavour checks which one it got);
- `mypy --strict` passes on that package and still catches misuse;
- in-process, on the golden case `pydantic_models` (tests/golden): secrets
  stay out of repr and dumps, query rows are frozen, a stored value that does
  not fit its field is INVALID_DATA naming the field, not the value;
- the default (dataclass) package never imports pydantic.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_golden import GOLDEN, materialise_golden

from storegen import generate
from storegen.config import load_options, options_from_mapping
from storegen.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent

# Misuse mypy must report on the pydantic package: exact field types, frozen rows.
MISUSE = """\
from generated.models import CountLiveTokensPerClientRow, OAuthUser

user = OAuthUser(id=1, external_id="e", is_active=True, created_at=1, created_by="a",
                 updated_at=1, updated_by="a")
row = CountLiveTokensPerClientRow(client_id="c", live_tokens=1)
row.live_tokens = 2
"""


@pytest.fixture(scope="module")
def pydantic_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the repo's schema generated with `models = "pydantic"`, as `generated`."""
    root = tmp_path_factory.mktemp("pydantic-package")
    options = load_options(REPO / "pyproject.toml", REPO)
    options = replace(options, models="pydantic", out=root / "generated")
    for rel, text in generate(options).files.items():
        target = root / "generated" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    return root


def test_conformance_suite_on_pydantic_models(pydantic_root: Path) -> None:
    """Every aiosqlite conformance test passes with BaseModels in place of dataclasses."""
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", str(REPO / "tests" / "conformance"),
            "-k", "aiosqlite or model_flavour", "-q", "-rA", "-p", "no:cacheprovider",
        ],
        cwd=pydantic_root,  # `python -m` puts it first on sys.path: `generated` is this one
        capture_output=True,
        text=True,
        env={**os.environ, "STOREGEN_CONFORMANCE_MODELS": "pydantic"},
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    flavour_test = "tests/conformance/test_model_flavour.py::test_model_flavour_under_test"
    assert re.search(rf"^PASSED \S*{flavour_test}$", output, re.MULTILINE), output[-2000:]
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 150, output[-2000:]


def test_mypy_strict_on_pydantic_package(pydantic_root: Path) -> None:
    """`mypy --strict` passes on the package, and sees exact fields (no plugin needed).

    One run over the package and a misuse file: the package must report
    nothing, the misuse file exactly its two mistakes.
    """
    (pydantic_root / "misuse.py").write_text(MISUSE)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "generated", "misuse.py"],
        cwd=pydantic_root,
        capture_output=True,
        text=True,
    )
    errors = [line for line in done.stdout.splitlines() if ": error: " in line]
    assert [line.split(":")[0] for line in errors] == ["misuse.py", "misuse.py"], done.stdout
    assert 'Argument "id" to "OAuthUser" has incompatible type "int"' in errors[0]
    assert 'Property "live_tokens" defined in "CountLiveTokensPerClientRow" is read-only' in (
        errors[1]
    )


def test_unknown_flavour_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        options_from_mapping({"models": "attrs"}, root=tmp_path, source="pyproject.toml")
    assert str(caught.value) == (
        "pyproject.toml: 'models' must be one of dataclass, pydantic, not 'attrs'"
    )


def test_only_the_pydantic_flavour_imports_pydantic(pydantic_root: Path) -> None:
    # The runtime may name pydantic in text (a JSON column typed with a class loads it by
    # name, lazily); no module of the dataclass package imports it.
    imports = re.compile(r"^\s*(from pydantic\b|import pydantic\b)", re.MULTILINE)
    committed = [p for p in (REPO / "generated").rglob("*.py") if imports.search(p.read_text())]
    assert committed == []
    models = (pydantic_root / "generated" / "models.py").read_text()
    assert "from pydantic import BaseModel, Field" in models


# ------------------------------------------------------------------ in process, on the golden


@pytest.fixture(scope="module")
def golden_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the golden case pydantic_models as the package `golden_pydantic`."""
    root = tmp_path_factory.mktemp("golden-pydantic")
    materialise_golden(
        GOLDEN / "pydantic_models", root / "golden_pydantic", tmp_path_factory.mktemp("work")
    )
    return root


@pytest.fixture(scope="module")
def golden(golden_root: Path) -> ModuleType:
    """`golden_pydantic`, imported."""
    root = golden_root
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module("golden_pydantic")
    finally:
        sys.path.remove(str(root))


def account(module: ModuleType, **changes: Any) -> Any:
    values = {
        "email": "a@example.com",
        "password_hash": "HASH-s3cr3t",
        "recovery_code": "RECOVERY-s3cr3t",
        "created_at": 1,
        "created_by": "test",
    }
    return module.Account(**{**values, **changes})


async def test_secrets_stay_out_of_repr_and_dumps(golden: ModuleType, tmp_path: Path) -> None:
    from golden_pydantic.aiosqlite import AccountStore, SqliteDatabase

    async with SqliteDatabase(str(tmp_path / "db.sqlite")) as db:
        await golden.create_schema(db)
        result = await AccountStore(db).insert(account(golden), "r1")
    stored = result.client_message
    assert stored.password_hash == "HASH-s3cr3t"  # the store round-trips the secret
    assert stored.recovery_code == "RECOVERY-s3cr3t"
    shown = [repr(stored), str(stored), repr(result), stored.model_dump_json()]
    shown.append(repr(stored.model_dump()))
    for text in shown:
        assert "s3cr3t" not in text
        assert "a@example.com" in text
    assert "password_hash" not in stored.model_dump()
    assert "recovery_code" not in stored.model_dump(mode="json")


async def test_store_returns_exact_pydantic_models(golden: ModuleType, tmp_path: Path) -> None:
    from golden_pydantic.aiosqlite import AccountStore, SqliteDatabase

    async with SqliteDatabase(str(tmp_path / "db.sqlite")) as db:
        await golden.create_schema(db)
        store = AccountStore(db)
        stored = (await store.insert(account(golden), "r1")).client_message
        found = (await store.get_by_id(stored.id, "r2")).client_message
    assert isinstance(found, golden.Account) and found == stored
    assert found.id == 1 and found.email_domain == "example.com"  # the database filled these
    assert type(found.is_admin) is bool and found.plan == "free"


async def test_query_rows_are_frozen(golden: ModuleType, tmp_path: Path) -> None:
    from pydantic import ValidationError

    from golden_pydantic.aiosqlite import AccountStore, SqliteDatabase

    async with SqliteDatabase(str(tmp_path / "db.sqlite")) as db:
        await golden.create_schema(db)
        store = AccountStore(db)
        await store.insert(account(golden), "r1")
        (row,) = (await store.order_totals("r2")).client_message
    assert isinstance(row, golden.OrderTotalsRow)
    assert (row.account_id, row.plan, row.orders, row.last_order_at) == (1, "free", 0, None)
    with pytest.raises(ValidationError, match="frozen"):
        row.orders = 5
    with pytest.raises(ValidationError, match="frozen"):
        golden.OrderTotalsRow(account_id=1, plan="pro", orders=1, last_order_at=None).plan = "free"
    mutable = account(golden)
    mutable.email = "b@example.com"  # table models stay mutable, as the dataclasses are
    assert mutable.email == "b@example.com"


async def test_a_stored_value_that_does_not_fit_is_invalid_data(
    golden: ModuleType, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Text in an INTEGER column (SQLite allows it): INVALID_DATA naming the column only."""
    caplog.set_level(logging.DEBUG)
    from golden_pydantic.aiosqlite import AccountStore, OrderStore, SqliteDatabase
    from golden_pydantic.results import ErrorCode

    async with SqliteDatabase(str(tmp_path / "db.sqlite")) as db:
        await golden.create_schema(db)
        accounts, orders = AccountStore(db), OrderStore(db)
        stored = (await accounts.insert(account(golden), "r1")).client_message
        order = golden.Order(
            id="o1", account_id=stored.id, status="open", total=Decimal("9.50"), qty=2,
            created_at=1, created_by="test",
        )  # fmt: skip
        assert (await orders.insert(order, "r2")).client_message == order
        await db.execute("UPDATE accounts SET created_at = 'not-a-number-s3cr3t'", ())
        await db.execute("UPDATE orders SET quantity = 'lots-s3cr3t'", ())
        bad_account = await accounts.get_by_id(stored.id, "r3")
        bad_order = await orders.get_by_id("o1", "r4")
    for result, where in ((bad_account, "accounts.created_at"), (bad_order, "orders.quantity")):
        assert result.status is False
        assert result.error_code == ErrorCode.INVALID_DATA
        assert result.client_message == f"a stored value in {where} cannot be read"
    assert "orders.quantity" in caplog.text  # logged for operators, by column
    assert "s3cr3t" not in caplog.text  # never the value


def test_api_report_reads_pydantic_fields() -> None:
    """`storegen check`'s API report sees pydantic fields as it sees dataclass ones."""
    from storegen.api.compare import compare_api
    from storegen.api.extract import read_api

    expected = GOLDEN / "pydantic_models" / "expected"
    files = {p.name: p.read_text() for p in expected.glob("*.py")}
    api = read_api(files)
    fields = {f.name: f for f in api["models.Account"].fields}
    assert fields["password_hash"].required  # Field(repr=False, exclude=True)
    assert not fields["recovery_code"].required  # Field(default=None, ...)
    assert fields["created_at"].required and list(fields)[:2] == ["created_at", "created_by"]
    assert [f.name for f in api["models.OrderTotalsRow"].fields] == [
        "account_id", "plan", "orders", "last_order_at",
    ]  # fmt: skip
    as_dataclasses = files["models.py"].replace(
        "password_hash: str = Field(repr=False, exclude=True)",
        "password_hash: str = field(repr=False)",
    )
    assert compare_api(api, read_api({**files, "models.py": as_dataclasses})) == []


def test_without_pydantic_the_import_names_the_extra(golden_root: Path) -> None:
    """pydantic is the app's dependency only with this flavour: a missing one says which extra."""
    blocked = "import sys; sys.modules['pydantic'] = None; import golden_pydantic"
    done = subprocess.run(
        [sys.executable, "-c", blocked], cwd=golden_root, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "ImportError: the generated models need pydantic: pip install 'storegen[pydantic]'"
    )
