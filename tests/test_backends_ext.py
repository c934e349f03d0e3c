"""Extending storegen with backends: user template folders, overrides, the scaffold,
manifest and template errors, transpiled DDL, and the postgres runtime's edges.

The postgres backend itself runs the whole conformance suite (tests/conformance).
"""

from __future__ import annotations

import importlib
import re
import shutil
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storegen import generate
from storegen.backends.manifest import (
    builtin_templates_dir,
    load_backend,
    read_manifest,
    scaffold_backend,
)
from storegen.config import Options

REPO = Path(__file__).resolve().parent.parent

SCHEMA = """\
PRAGMA foreign_keys = ON;

-- A team.
CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE, -- Shown in the UI.
    is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    score REAL,
    founded DATE
);

CREATE INDEX idx_teams_is_active ON teams (is_active);

-- @append-only
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    at INTEGER NOT NULL
);
"""


def options(root: Path, *, backends: tuple[str, ...] = ("aiosqlite",), **more: object) -> Options:
    schema = root / "schema.sql"
    if not schema.exists():
        schema.write_text(SCHEMA)
    return Options(
        root=root, schema=(schema,), out=root / "demo_pkg", package="demo_pkg",
        backends=backends, **more,  # type: ignore[arg-type]
    )  # fmt: skip


def storegen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storegen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(REPO)},
        timeout=120,
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PYPROJECT = """\
[tool.storegen]
schema = ["schema.sql"]
out = "demo_pkg"
package = "demo_pkg"
backends = {backends}
templates = ["user_templates"]
"""


def project(root: Path, backends: str = '["aiosqlite"]') -> Path:
    write(root / "schema.sql", SCHEMA)
    write(root / "pyproject.toml", PYPROJECT.format(backends=backends))
    (root / "user_templates").mkdir(exist_ok=True)
    return root


# ------------------------------------------------------------------ overrides


def test_a_user_file_overrides_one_builtin_template_and_can_include_it(tmp_path: Path) -> None:
    user = tmp_path / "user"
    write(
        user / "common" / "models.py.j2",
        '{% include "builtin/common/models.py.j2" %}\n\nOVERRIDDEN = True\n',
    )
    base = generate(options(tmp_path)).files
    files = generate(options(tmp_path, templates=(user,))).files
    assert files["models.py"].startswith(base["models.py"].rstrip("\n"))
    assert files["models.py"].rstrip().endswith("OVERRIDDEN = True")
    assert files["contracts.py"] == base["contracts.py"]  # only that one file changed


def test_an_override_can_extend_the_builtin_template(tmp_path: Path) -> None:
    user = tmp_path / "user"
    write(user / "common" / "results.py.j2", '{% extends "builtin/common/results.py.j2" %}\n')
    base = generate(options(tmp_path)).files
    assert generate(options(tmp_path, templates=(user,))).files == base


# ------------------------------------------------------------------ errors name the template


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("{{ pkg.header }}\n\n{% if %}\n", 3, "template syntax error"),
        ("{{ pkg.header }}\nX = 1\n{{ pkg.no_such_attribute }}\n", 3, "no_such_attribute"),
    ],
    ids=["jinja-syntax", "undefined-variable"],
)
def test_a_broken_user_template_names_file_and_line(
    tmp_path: Path, text: str, line: int, what: str
) -> None:
    root = project(tmp_path)
    template = write(root / "user_templates" / "common" / "tables.py.j2", text)
    done = storegen(root, "generate")
    assert done.returncode == 2, done.stderr
    assert f"{template}:{line}" in done.stderr
    assert what in done.stderr
    assert not (root / "demo_pkg").exists()


def test_rendered_code_that_black_rejects_names_the_template(tmp_path: Path) -> None:
    root = project(tmp_path)
    template = write(
        root / "user_templates" / "common" / "tables.py.j2", "{{ pkg.header }}\n\ndef (:\n"
    )
    done = storegen(root, "generate")
    assert done.returncode == 2, done.stderr
    assert str(template) in done.stderr and "not valid Python" in done.stderr
    assert f"{template}:3:" in done.stderr  # the template line of the text black rejected


# ------------------------------------------------------------------ manifests

MANIFEST = """\
name = "mine"
module = "mine"
driver = "aiosqlite"
dialect = "sqlite"
paramstyle = "qmark"
runtime = ["errors.py", "convert.py", "database.py", "sqlite.py", "connect.py"]
{extra}
[files]
"mine.py" = "mine/stores.py.j2"
"""


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (MANIFEST.replace('driver = "aiosqlite"\n', "").format(extra=""), "missing key(s): driver"),
        (MANIFEST.format(extra='colour = "blue"\n'), "unknown key(s): colour"),
        (MANIFEST.format(extra='ddl_dialect = "oracle"\n'), "ddl_dialect 'oracle'"),
        (MANIFEST.replace("qmark", "named").format(extra=""), "paramstyle must be one of"),
        (MANIFEST.replace('"sqlite.py"', '"nosuch.py"').format(extra=""), "'nosuch.py'"),
        ("name = \n", "cannot read manifest"),
        (MANIFEST.format(extra='sync = "yes"\n'), "'sync' must be true or false"),
    ],
    ids=["missing-key", "unknown-key", "unknown-ddl-dialect", "bad-paramstyle", "bad-runtime",
         "not-toml", "sync-not-bool"],
)  # fmt: skip
def test_a_bad_manifest_exits_2_with_a_clear_message(
    tmp_path: Path, manifest: str, message: str
) -> None:
    root = project(tmp_path, '["aiosqlite", "mine"]')
    write(root / "user_templates" / "mine" / "backend.toml", manifest)
    shutil_copy(
        builtin_templates_dir() / "aiosqlite" / "stores.py.j2",
        root / "user_templates" / "mine" / "stores.py.j2",
    )
    done = storegen(root, "generate")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "backend.toml" in done.stderr or "ddl_dialect" in done.stderr


def shutil_copy(source: Path, target: Path) -> None:
    target.write_bytes(source.read_bytes())


# ------------------------------------------------------------------ scaffold and listing


def test_backends_lists_builtin_and_user_backends_with_their_origin(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert storegen(root, "new-backend", "mine", "--from", "aiosqlite").returncode == 0
    done = storegen(root, "backends")
    assert done.returncode == 0, done.stderr
    lines = {line[2:].split()[0]: line for line in done.stdout.splitlines() if "module=" in line}
    assert {"aiosqlite", "libsql", "postgres", "mine"} <= set(lines)
    assert "built-in" in lines["postgres"] and "driver=asyncpg" in lines["postgres"]
    assert f"user: {root / 'user_templates'}" in lines["mine"]
    assert lines["aiosqlite"].startswith("*") and not lines["mine"].startswith("*")


def test_new_backend_scaffolds_a_working_backend(tmp_path: Path) -> None:
    root = project(tmp_path, '["aiosqlite", "mine"]')
    done = storegen(root, "new-backend", "mine", "--from", "aiosqlite")
    assert done.returncode == 0, done.stderr
    folder = root / "user_templates" / "mine"
    backend = load_backend("mine", (root / "user_templates",))
    assert (backend.name, backend.module, backend.driver) == ("mine", "mine", "aiosqlite")
    assert backend.files == (("mine.py", "mine/stores.py.j2"),)
    assert (folder / "stores.py.j2").read_text() == (
        builtin_templates_dir() / "aiosqlite" / "stores.py.j2"
    ).read_text()
    again = storegen(root, "new-backend", "mine", "--from", "aiosqlite")
    assert again.returncode == 2 and "already exists" in again.stderr

    done = storegen(root, "generate")
    assert done.returncode == 0, done.stderr
    assert (root / "demo_pkg" / "mine.py").is_file()
    code = (
        "import asyncio, sys\n"
        "from demo_pkg import Team, create_schema\n"
        "from demo_pkg.mine import TeamStore, SqliteDatabase\n"
        "async def main():\n"
        "    db = SqliteDatabase(sys.argv[1])\n"
        "    await create_schema(db)\n"
        "    store = TeamStore(db)\n"
        "    team = Team(id='t1', name='a', is_active=True)\n"
        "    assert (await store.insert(team, 'r1')).client_message == team\n"
        "    assert (await store.get_by_id('t1', 'r2')).client_message == team\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "x.db")], cwd=root, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_a_manifest_naming_one_runtime_module_gets_the_modules_it_imports(
    tmp_path: Path,
) -> None:
    """`runtime = ["sqlite.py"]` alone: its sibling modules are copied too, so it runs."""
    folder = tmp_path / "user_templates" / "lean"
    folder.mkdir(parents=True)
    (folder / "backend.toml").write_text(
        MANIFEST.replace('"mine', '"lean')
        .replace(
            'runtime = ["errors.py", "convert.py", "database.py", "sqlite.py", "connect.py"]',
            'runtime = ["sqlite.py"]',
        )
        .format(extra="")
    )
    shutil.copy(builtin_templates_dir() / "aiosqlite" / "stores.py.j2", folder / "stores.py.j2")
    files = generate(
        options(tmp_path, backends=("lean",), templates=(tmp_path / "user_templates",))
    ).files
    runtime = sorted(name for name in files if name.startswith("_runtime/"))
    assert runtime == [
        "_runtime/__init__.py",
        "_runtime/connect.py",  # the base every package gets
        "_runtime/convert.py",
        "_runtime/database.py",
        "_runtime/dynamic.py",  # the base too: IN-lists, query variants, patches
        "_runtime/errors.py",
        "_runtime/jsonvalue.py",  # what convert.py imports (JSON columns)
        "_runtime/libsql_urls.py",  # what migrate.py imports (pure Python, no driver)
        "_runtime/migrate.py",  # the base too: migrate() runs in every package
        "_runtime/schema_info.py",
        "_runtime/sqlite.py",  # what the manifest named
        "_runtime/sqlite_common.py",  # what sqlite.py imports
        "_runtime/sqlite_conn.py",
        "_runtime/sqlite_files.py",
        "_runtime/sqlite_transactions.py",
        "_runtime/sqlite_watch.py",  # what sqlite_files.py imports
        "_runtime/sqlite_worker.py",
        "_runtime/turns.py",
    ]
    out = tmp_path / "demo_pkg"
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    code = (
        "import asyncio, sys\n"
        "from demo_pkg import Team, create_schema\n"
        "from demo_pkg.lean import TeamStore, SqliteDatabase\n"
        "async def main():\n"
        "    db = SqliteDatabase(sys.argv[1])\n"
        "    await create_schema(db)\n"
        "    team = Team(id='t1', name='a', is_active=True)\n"
        "    assert (await TeamStore(db).insert(team, 'r1')).client_message == team\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "x.db")], cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_new_backend_refuses_a_bad_name_or_source(tmp_path: Path) -> None:
    root = project(tmp_path)
    bad = storegen(root, "new-backend", "my-backend")
    assert bad.returncode == 2 and "Python identifier" in bad.stderr
    unknown = storegen(root, "new-backend", "mine", "--from", "nosuch")
    assert unknown.returncode == 2 and "unknown backend 'nosuch'" in unknown.stderr


def test_the_conformance_registry_covers_every_configured_backend(tmp_path: Path) -> None:
    """A configured backend gets harnesses from its driver, with no test written."""
    from conformance.harness import HARNESSES, harnesses_for

    root = project(tmp_path)
    assert storegen(root, "new-backend", "mine", "--from", "aiosqlite").returncode == 0
    assert storegen(root, "new-backend", "remote", "--from", "libsql").returncode == 0
    user = (root / "user_templates",)
    built = harnesses_for([load_backend(n, user) for n in ("mine", "remote", "postgres")], "pkg")
    assert [(h.name, h.module) for h in built] == [
        ("mine", "pkg.mine"),
        ("remote-ws", "pkg.remote"),
        ("remote-http", "pkg.remote"),
        ("postgres", "pkg.postgres"),
    ]
    assert all(h.reopen is not None for h in built)
    names = {h.name for h in HARNESSES}
    assert {"aiosqlite", "libsql-ws", "libsql-http", "postgres"} <= names


# ------------------------------------------------------------------ transpiled DDL


def test_postgres_ddl_is_transpiled_and_fixed(tmp_path: Path) -> None:
    files = generate(options(tmp_path, backends=("aiosqlite", "postgres"))).files
    module = files["postgres.py"]
    namespace: dict[str, object] = {}
    start = module.index("POSTGRES_SCHEMA_STATEMENTS: tuple")
    end = module.index('"""', module.index(")\n", start))
    exec(module[start:end], namespace)  # the literal tuple only
    ddl = "\n".join(namespace["POSTGRES_SCHEMA_STATEMENTS"])  # type: ignore[arg-type]
    assert "PRAGMA" not in ddl and "--" not in ddl and "/*" not in ddl
    assert "is_active BIGINT NOT NULL CHECK (is_active IN (0, 1))" in ddl
    assert "score DOUBLE PRECISION" in ddl and "founded TEXT" in ddl  # what the codecs send
    assert " INT " not in ddl and "NULLS FIRST" not in ddl
    assert "CREATE INDEX IF NOT EXISTS idx_teams_is_active ON teams(is_active)" in ddl
    assert "LANGUAGE plpgsql" in ddl
    assert "'append-only: events'" in ddl and "'UNIQUE constraint failed: events.id'" in ddl
    # The SQLite DDL of the common schema module is untouched.
    assert "CREATE TRIGGER IF NOT EXISTS" in files["schema.py"]


def test_method_bodies_are_written_once_and_backends_hold_only_sql(tmp_path: Path) -> None:
    files = generate(options(tmp_path, backends=("aiosqlite", "libsql", "postgres"))).files
    shared = files["_stores.py"]
    assert "async def get_by_id(" in shared and "self._sql.GET_BY_ID" in shared
    # The SQL is written once per dialect and placeholder style: aiosqlite and
    # libsql import the same module.
    sql_module = {"aiosqlite.py": "_sql_sqlite_qmark", "libsql.py": "_sql_sqlite_qmark"}
    sql_module["postgres.py"] = "_sql_postgres_dollar"
    assert sorted(name for name in files if name.startswith("_sql_")) == [
        "_sql_postgres_dollar.py",
        "_sql_sqlite_qmark.py",
    ]
    for module, source in sql_module.items():
        text = files[module]
        assert "async def get_by_id(" not in text and "self._db.fetch" not in text, module
        assert "class _TeamSql:" not in text and "class TeamStore(" in text, module
        assert f"from .{source} import" in text and "_sql = _TeamSql" in text, module
        assert "class _TeamSql:" in files[f"{source}.py"]
    assert (
        '"id"=$1' in files["_sql_postgres_dollar.py"] and '"id"=?' in files["_sql_sqlite_qmark.py"]
    )


def _flat(text: str) -> str:
    """Python source on one line: the faces may wrap a call differently."""
    flat = re.sub(r",\s*\)", ")", re.sub(r"\s+", " ", text))
    return flat.replace("( ", "(").replace(" )", ")")


# The async face's point read: try `fetch_one_now`, await `fetch_one` on NOT_NOW.
_READ_NOW = re.compile(
    r"(\w+) = self\._now\((.*?)\) "
    r"if \1 is NOT_NOW: \1 = self\._db\.fetch_one\(\2\) "
)
# The async face's fallback for a database without `fetch_one_now`, and its one-time lookup.
_NEVER_NOW = re.compile(r"def _never_now\(.*?return now |_now = _FetchOneNow\(\) ")


def test_sync_stores_are_the_async_bodies_without_async_and_await(tmp_path: Path) -> None:
    """One template, two faces: strip `async `/`await ` from the async stores and
    contracts (and the async point read's NOT_NOW fallback) and the sync ones
    remain, but for the protocol and module names."""
    view = "CREATE VIEW active_teams AS SELECT id, name FROM teams WHERE is_active = 1;\n"
    (tmp_path / "schema.sql").write_text(SCHEMA + view)  # a read-only view store too
    files = generate(options(tmp_path, backends=("aiosqlite", "sqlite3", "postgres_sync"))).files
    assert "class ActiveTeamStore(" in files["_sync_stores.py"]
    for async_name, sync_name in (
        ("_stores.py", "_sync_stores.py"),
        ("contracts.py", "sync_contracts.py"),
    ):
        stripped = files[async_name].replace("async def ", "def ").replace("await self.", "self.")
        stripped = stripped.replace("import NOT_NOW, NotNow, Database", "import Database")
        stripped = _READ_NOW.sub(r"\1 = self._db.fetch_one(\2) ", _flat(stripped))
        stripped = _NEVER_NOW.sub("", stripped)
        synced = _flat(
            files[sync_name]
            .replace("SyncDatabase", "Database")
            .replace("sync_contracts", "contracts")
            .replace("sync stores' methods", "stores' methods")
            .replace("every sync backend", "every backend")
            .replace("(sqlite3, postgres_sync)", "(aiosqlite)")
        )
        assert synced == stripped, sync_name
    assert "fetch_one_now" in files["_stores.py"] and "NOT_NOW" not in files["_sync_stores.py"]
    assert (
        "await self." not in files["_sync_stores.py"]
        and "async def" not in files["_sync_stores.py"]
    )
    for module in ("sqlite3.py", "postgres_sync.py"):
        assert "from . import _sync_stores" in files[module]
        assert "class TeamStore(" in files[module] and "async def" not in files[module]


def test_new_backend_from_a_sync_backend_stays_sync(tmp_path: Path) -> None:
    folder = scaffold_backend("mysync", "sqlite3", tmp_path, ())
    assert "sync = true" in (folder / "backend.toml").read_text()
    assert read_manifest(folder / "backend.toml").sync


def test_postgres_stores_use_dollar_parameters(tmp_path: Path) -> None:
    files = generate(options(tmp_path, backends=("postgres",))).files
    sql = files["_sql_postgres_dollar.py"]
    assert '"id"=$1' in sql and "?" not in sql
    assert "from ._sql_postgres_dollar import" in files["postgres.py"]


# ------------------------------------------------------------------ postgres runtime


def test_connect_picks_postgres_for_postgresql_urls() -> None:
    from generated import connect
    from generated._runtime.connect import backend_for
    from generated._runtime.postgres import PostgresDatabase

    assert backend_for("postgresql://u@h:5432/db") == "postgres"
    assert backend_for("postgres://u@h/db") == "postgres"
    db = connect("postgresql://u@127.0.0.1:1/db")._db  # no I/O
    assert isinstance(db, PostgresDatabase)
    with pytest.raises(ValueError):
        PostgresDatabase("postgresql://u@h:notaport/db")


async def test_an_unreachable_server_is_unavailable() -> None:
    from generated.postgres import OAuthUserStore, PostgresDatabase
    from generated.results import ErrorCode, FailedResult

    db = PostgresDatabase("postgresql://postgres@127.0.0.1:1/postgres", timeout=5)
    result = await OAuthUserStore(db).get_by_id("u1", "r1")
    assert isinstance(result, FailedResult) and result.error_code == ErrorCode.UNAVAILABLE
    await db.close()


async def test_bools_are_sent_as_integers_and_read_back(postgres_server: object) -> None:
    import asyncpg

    from generated._runtime.convert import encode_bool

    assert encode_bool(True) == 1 and type(encode_bool(True)) is int
    assert encode_bool(73) == 73 and encode_bool(None) is None
    conn = await asyncpg.connect(postgres_server.url)  # type: ignore[attr-defined]
    try:
        assert await conn.fetchval("SELECT $1::bigint", encode_bool(True)) == 1
    finally:
        await conn.close()


def test_generated_package_modules_import_without_asyncpg_use() -> None:
    """Importing the package does not import asyncpg (connect imports it lazily)."""
    code = "import sys, generated, generated.aiosqlite; print('asyncpg' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == "False", run.stderr
    assert importlib.util.find_spec("asyncpg") is not None


# ------------------------------------------------------------------ golden schemas on PostgreSQL

# Golden cases whose schemas fit the postgres backend's documented limits
# (not: named queries).
PG_GOLDEN_CASES = [
    "append_only", "comments", "composite_pk", "decimal_and_dates_config", "declared_types",
    "enums", "foreign_keys", "if_not_exists", "keyword_columns", "mixins", "name_overrides",
    "named_constraints", "quoted_identifiers", "secrets", "unique_index",
    "autoincrement", "generated_columns", "sqlite_quirks", "builtin_names", "postgres_backend",
    "bare_keywords", "defaults", "no_primary_key",
]  # fmt: skip


@pytest.mark.parametrize("case", PG_GOLDEN_CASES)
async def test_golden_schemas_run_on_postgres(
    case: str, postgres_server: object, tmp_path: Path
) -> None:
    """Each golden schema, generated for postgres: create_schema, round trips, every finder."""
    import dataclasses

    import test_golden_runs as runs
    from test_golden import case_options

    from generated._runtime.postgres import PostgresDatabase
    from storegen.config import merge_cli
    from storegen.output.write import write_files

    root = tmp_path / case
    shutil.copytree(
        REPO / "tests" / "golden" / case, root, ignore=shutil.ignore_patterns("expected")
    )
    package = f"pg_golden_{case}"
    opts = merge_cli(
        case_options(root), out=tmp_path / package, package=package, backends=["postgres"]
    )
    opts = dataclasses.replace(opts, backends=("postgres",))
    write_files(generate(opts).files, opts.out)
    sys.path.insert(0, str(tmp_path))
    try:
        backend = importlib.import_module(f"{package}.postgres")
        encoders = runs.insert_encoders(importlib.import_module(f"{package}._rows"))
    finally:
        sys.path.remove(str(tmp_path))
    url = postgres_server.url  # type: ignore[attr-defined]
    async with PostgresDatabase(url, timeout=10) as db:
        await db.execute_script("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        await backend.create_schema(db)
        stores = [cls(db) for cls in runs.store_classes(backend)]
        assert stores
        for round_, values in enumerate(runs.SAMPLES):
            full = round_ == 0
            rows = {
                s.table: runs.build_row(s.model, values, required_only=not full) for s in stores
            }
            stored = await runs.insert_in_order(stores, rows)
            for store in stores:
                row, kept = rows[store.table], stored[store.table]
                if full:
                    encode = encoders[store.model]
                    assert encode(kept) == encode(row), f"{store.table}: {kept} != {row}"
                await runs.exercise(store, kept)
        for store in stores:
            assert runs.ok(await store.count_all("count"), f"{store.table}.count_all") == 2
            await runs.check_paging(store)


async def test_a_stopped_server_is_unavailable_and_the_store_recovers() -> None:
    """Server gone → UNAVAILABLE (never an exception); back on the same port → works again."""
    from pg_server import start_postgres

    from generated.postgres import OAuthUserStore, PostgresDatabase, create_schema
    from generated.results import ErrorCode, FailedResult

    server = start_postgres()
    try:
        async with PostgresDatabase(server.url, timeout=5) as db:
            await create_schema(db)
            users = OAuthUserStore(db)
            assert (await users.count_all("r1")).status is True
            server.halt()
            down = await users.count_all("r2")
            assert isinstance(down, FailedResult) and down.error_code == ErrorCode.UNAVAILABLE
            server.start()
            back = await users.count_all("r3")
            assert back.status is True and back.client_message == 0
    finally:
        server.stop()


async def test_a_silent_server_times_out_as_unavailable() -> None:
    from pg_server import start_postgres

    from generated.postgres import OAuthUserStore, PostgresDatabase
    from generated.results import ErrorCode, FailedResult

    server = start_postgres()
    try:
        async with PostgresDatabase(server.url, timeout=1) as db:
            server.pause()
            try:
                result = await OAuthUserStore(db).count_all("r1")
            finally:
                server.resume()
            assert isinstance(result, FailedResult) and result.error_code == ErrorCode.UNAVAILABLE
    finally:
        server.stop()
