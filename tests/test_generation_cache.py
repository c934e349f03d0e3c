"""The generation cache never serves output for changed inputs (issue 25).

One test per input the key covers: schema, queries, the PostgreSQL objects file, config, built-in
templates, user templates, the migrations folder, the storegen package's own
code and its version, black's version (user templates run through black).
Each one changes that input alone and checks that generation ran again and
its output shows the change; a control test checks a hit is really served.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import storegen
import storegen.backends.manifest as manifest
import storegen.output.cache as cache
import storegen.render.templates as templates
from storegen import read_sources
from storegen.config import Options, load_options

SCHEMA = """CREATE TABLE notes (
    id TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
);
"""
QUERIES = """-- name: note_by_body :one
SELECT * FROM notes WHERE body = :body;
"""
CONFIG = """[tool.storegen]
schema = ["schema.sql"]
queries = ["queries.sql"]
out = "out"
package = "out"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "schema.sql").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "queries.sql").write_text(QUERIES, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """The roots generation really ran for (a cache hit adds nothing)."""
    ran: list[Path] = []
    real = storegen._generate  # type: ignore[attr-defined]

    def counting(options: Options, *rest: object) -> storegen.Generation:
        ran.append(options.root)
        return real(options, *rest)  # type: ignore[no-any-return]

    monkeypatch.setattr(storegen, "_generate", counting)
    yield ran


def generate(root: Path) -> dict[str, str]:
    return storegen.generate(load_options(None, root)).files


def test_unchanged_inputs_are_served_from_the_cache(project: Path, runs: list[Path]) -> None:
    first = generate(project)
    second = generation = storegen.generate(load_options(None, project))
    assert len(runs) == 1, "the second generation should have been a cache hit"
    assert second.files == first
    assert generation.schema.tables[0].name == "notes"  # the schema comes back too


def test_a_changed_schema_generates_again(project: Path, runs: list[Path]) -> None:
    generate(project)
    (project / "schema.sql").write_text(SCHEMA.replace("body TEXT", "text TEXT"), "utf-8")
    (project / "queries.sql").write_text(QUERIES.replace("body", "text"), "utf-8")
    files = generate(project)
    assert len(runs) == 2
    assert "text: str" in files["models.py"] and "body: str" not in files["models.py"]


def test_changed_queries_generate_again(project: Path, runs: list[Path]) -> None:
    generate(project)
    (project / "queries.sql").write_text(QUERIES.replace("note_by_body", "find_note"), "utf-8")
    files = generate(project)
    assert len(runs) == 2
    assert "find_note" in files["_stores.py"] and "note_by_body" not in files["_stores.py"]


def test_a_changed_config_generates_again(project: Path, runs: list[Path]) -> None:
    generate(project)
    with (project / "pyproject.toml").open("a", encoding="utf-8") as config:
        config.write('\n[tool.storegen.tables.notes]\nmodel = "Memo"\n')
    files = generate(project)
    assert len(runs) == 2
    assert "class Memo" in files["models.py"]


def test_changed_built_in_templates_generate_again(
    project: Path,
    runs: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    builtin = tmp_path_factory.mktemp("builtin") / "templates"
    shutil.copytree(manifest.builtin_templates_dir(), builtin)
    monkeypatch.setattr(manifest, "builtin_templates_dir", lambda: builtin)
    monkeypatch.setattr(templates, "builtin_templates_dir", lambda: builtin)
    generate(project)
    models = builtin / "common" / "models.py.j2"
    models.write_text(models.read_text("utf-8") + "\nCHANGED_TEMPLATE = 1\n", "utf-8")
    files = generate(project)
    assert len(runs) == 2
    assert "CHANGED_TEMPLATE = 1" in files["models.py"]


def test_changed_user_templates_generate_again(project: Path, runs: list[Path]) -> None:
    override = project / "tpl" / "common" / "models.py.j2"
    override.parent.mkdir(parents=True)
    override.write_text('{% extends "builtin/common/models.py.j2" %}\n', "utf-8")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as config:
        config.write('templates = ["tpl"]\n')
    generate(project)
    builtin = (manifest.builtin_templates_dir() / "common" / "models.py.j2").read_text("utf-8")
    override.write_text(builtin + "\nUSER_TEMPLATE='changed'\n", "utf-8")
    files = generate(project)
    assert len(runs) == 2
    assert 'USER_TEMPLATE = "changed"' in files["models.py"]  # black ran over it


def test_changed_migrations_generate_again(project: Path, runs: list[Path]) -> None:
    generate(project)
    migrations = project / "migrations"
    migrations.mkdir()
    (migrations / "0001_initial.sql").write_text(SCHEMA, "utf-8")
    files = generate(project)
    assert len(runs) == 2
    assert "0001_initial" in files["migrations.py"]


def test_changed_storegen_code_changes_the_key(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An editable install keeps its version while its code changes: the code is in the key."""
    options = load_options(None, project)
    package = tmp_path_factory.mktemp("pkg") / "storegen"
    package.mkdir()
    (package / "__init__.py").write_text("VERSION = 1\n", "utf-8")
    sources = read_sources(options)
    before = cache.generation_key(options, package, [], sources)
    (package / "__init__.py").write_text("VERSION = 2\n", "utf-8")
    assert cache.generation_key(options, package, [], sources) != before


def test_a_template_file_named_in_no_encoding_is_in_the_key(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A file name that is not UTF-8 (Linux allows any bytes) is hashed, not a crash."""
    options = load_options(None, project)
    templates = tmp_path_factory.mktemp("templates")
    odd = os.path.join(os.fsencode(templates), b"note-\xff.txt")
    with open(odd, "wb") as handle:
        handle.write(b"one")
    sources = read_sources(options)
    before = cache.generation_key(options, templates, [templates], sources)
    with open(odd, "wb") as handle:
        handle.write(b"two")
    assert cache.generation_key(options, templates, [templates], sources) != before


def test_the_key_is_of_the_schema_text_that_was_parsed(project: Path) -> None:
    """A schema file edited after generation read it must not file that output under
    the new text's key: the key hashes the text as read, not the file as it is now."""
    options = load_options(None, project)
    package = Path(storegen.__file__).parent
    read = read_sources(options)
    key = cache.generation_key(options, package, [], read)
    schema = project / "schema.sql"
    schema.write_text(
        schema.read_text("utf-8") + "\nCREATE TABLE later (id INTEGER PRIMARY KEY);\n"
    )
    assert cache.generation_key(options, package, [], read) == key
    assert cache.generation_key(options, package, [], read_sources(options)) != key


@pytest.mark.parametrize("dist", ["storegen", "black", "sqlglot"])
def test_another_installed_version_generates_again(
    project: Path, runs: list[Path], monkeypatch: pytest.MonkeyPatch, dist: str
) -> None:
    """storegen's own version, and black's where black runs (user templates), and the rest."""
    override = project / "tpl" / "common" / "models.py.j2"
    override.parent.mkdir(parents=True)
    override.write_text('{% extends "builtin/common/models.py.j2" %}\n', "utf-8")
    with (project / "pyproject.toml").open("a", encoding="utf-8") as config:
        config.write('templates = ["tpl"]\n')
    installed = cache.installed_distributions()
    assert any(f"/{dist}-" in entry for entry in installed), installed
    generate(project)
    upgraded = [e.replace(f"/{dist}-", f"/{dist}-99.") for e in installed]
    monkeypatch.setattr(cache, "installed_distributions", lambda: upgraded)
    generate(project)
    assert len(runs) == 2


def test_a_corrupt_entry_is_ignored(project: Path, runs: list[Path]) -> None:
    first = generate(project)
    for entry in (project / ".storegen-cache" / "generation").glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert generate(project) == first
    assert len(runs) == 2


def test_a_failed_generation_is_not_cached(project: Path, runs: list[Path]) -> None:
    (project / "schema.sql").write_text("CREATE TABLE broken (", "utf-8")
    for _ in range(2):
        with pytest.raises(storegen.errors.StoregenError):
            generate(project)
    assert len(runs) == 2
    assert not list((project / ".storegen-cache").glob("generation/*.pickle"))


def test_check_remembers_no_stale_migration_drift(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check` keeps the drift beside the generation; a schema edit is still drift."""
    from storegen.cli import main

    monkeypatch.chdir(project)
    (project / "migrations").mkdir()
    assert main(["migrate", "--name", "initial"]) == 0
    assert main(["generate"]) == 0
    assert main(["check"]) == 0
    assert main(["check"]) == 0  # from the cache
    (project / "schema.sql").write_text(SCHEMA.replace("body TEXT NOT NULL", "body TEXT"), "utf-8")
    assert main(["generate"]) == 0
    capsys.readouterr()
    assert main(["check"]) == 1
    assert "migrat" in capsys.readouterr().err


EDITED = SCHEMA + "CREATE TABLE edited_meanwhile (id INTEGER PRIMARY KEY);\n"


def test_a_hit_parses_the_text_its_key_was_made_from(project: Path, runs: list[Path]) -> None:
    """On a hit the schema is parsed only if asked for: from the text the key was made
    from, not from the file as it is by then (the docs page and the summary use it)."""
    generate(project)
    hit = storegen.generate(load_options(None, project))
    assert len(runs) == 1
    (project / "schema.sql").write_text(EDITED, "utf-8")  # saved while the command runs
    assert [t.name for t in hit.schema.tables] == ["notes"]
    assert "edited_meanwhile" not in cache.docs_page(hit, load_options(None, project))


def _migrated(project: Path) -> Path:
    """The project with its first migration written (`storegen migrate`); that file."""
    from storegen.cli import main

    (project / "migrations").mkdir()
    cwd = Path.cwd()
    os.chdir(project)
    try:
        assert main(["migrate", "--name", "initial"]) == 0
    finally:
        os.chdir(cwd)
    (migration,) = (project / "migrations").glob("*.sql")
    return migration


def test_the_drift_kept_with_a_generation_is_that_of_its_own_schema(
    project: Path, runs: list[Path]
) -> None:
    """The migration drift `check` keeps under a generation's key is worked out from that
    generation's schema: a file saved meanwhile cannot file its drift under the old key."""
    _migrated(project)
    options = load_options(None, project)
    generation = storegen.generate(options)
    (project / "schema.sql").write_text(EDITED, "utf-8")  # saved while `check` runs
    assert cache.migration_drift(options, generation) == []
    (project / "schema.sql").write_text(SCHEMA, "utf-8")
    assert cache.migration_drift(options, storegen.generate(options)) == []  # kept: in sync


def test_a_migration_saved_during_generation_files_nothing_under_the_key(
    project: Path, runs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migrations folder is hashed into the key, then read again by generation (the
    embedded migrations): a file saved in between would file one text's output under the
    other's key. Nothing is stored then; the next run generates again."""
    migration = _migrated(project)
    real = storegen._generate  # type: ignore[attr-defined]

    def saved_meanwhile(options: Options, *rest: object) -> storegen.Generation:
        generation = real(options, *rest)
        migration.write_text(migration.read_text("utf-8") + "\n-- edited\n", "utf-8")
        return generation  # type: ignore[no-any-return]

    monkeypatch.setattr(storegen, "_generate", saved_meanwhile)
    storegen.generate(load_options(None, project))
    assert not list((project / ".storegen-cache").glob("generation/*.pickle"))


def test_a_migration_saved_while_the_drift_is_worked_out_is_not_kept(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migration = _migrated(project)
    options = load_options(None, project)
    generation = storegen.generate(options)
    import storegen.migrations.command as command

    real = command.migration_drift

    def saved_meanwhile(*args: object) -> list[str] | None:
        migration.write_text(migration.read_text("utf-8") + "\n-- edited\n", "utf-8")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(command, "migration_drift", saved_meanwhile)
    cache.migration_drift(options, generation)
    assert not list((project / ".storegen-cache").glob("generation/*.drift.memo"))


def test_a_changed_postgres_objects_file_generates_again(project: Path, runs: list[Path]) -> None:
    """The file of PostgreSQL object text is printed into postgres.py: its text is an input."""
    (project / "schema.sql").write_text(
        SCHEMA + "CREATE TRIGGER notes_touch AFTER UPDATE ON notes BEGIN SELECT 1; END;\n",
        encoding="utf-8",
    )
    (project / "pyproject.toml").write_text(
        CONFIG + 'backends = ["postgres"]\n\n[tool.storegen.postgres]\nobjects = "pg.sql"\n',
        encoding="utf-8",
    )
    body = "-- storegen: notes_touch\nCREATE OR REPLACE FUNCTION touch_{n}() RETURNS int AS 'SELECT {n}' LANGUAGE sql;\n"
    (project / "pg.sql").write_text(body.format(n=1), encoding="utf-8")
    first = generate(project)
    (project / "pg.sql").write_text(body.format(n=2), encoding="utf-8")
    files = generate(project)
    assert len(runs) == 2, "an edited objects file must not be served from the cache"
    assert "touch_2" in files["postgres.py"] and "touch_1" in first["postgres.py"]
