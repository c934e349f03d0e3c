"""`storegen docs`: the schema reference page, its ER diagram, and `check` keeping it fresh.

Golden pages live in tests/schema_docs/<case>.md: `relations` (a schema made
for this page: every shape of relationship) and golden package cases whose
schemas stress names and named queries. `make golden` rewrites them
(STOREGEN_UPDATE_GOLDEN=1), like the package goldens.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from storegen import load_schema
from storegen.cli import main
from storegen.config import Options, load_options, options_from_mapping
from storegen.schemadoc import schema_page
from storegen.schemadoc.erd import er_diagram, is_nullable, relationship
from storegen.schemadoc.markdown import Anchors, code, heading_text, prose
from storegen.errors import ConfigError
from test_golden import GOLDEN, case_options

HERE = Path(__file__).resolve().parent
PAGES = HERE / "schema_docs"
REPO = HERE.parent
UPDATE = os.environ.get("STOREGEN_UPDATE_GOLDEN") == "1"


def relations_options() -> Options:
    return options_from_mapping({"schema": ["relations.sql"]}, root=PAGES, source="test")


CASES = {
    "relations": relations_options,
    "quoted_identifiers": lambda: case_options(GOLDEN / "quoted_identifiers"),
    "query_features": lambda: case_options(GOLDEN / "query_features"),
    "composite_pk": lambda: case_options(GOLDEN / "composite_pk"),
    "music_store": lambda: case_options(GOLDEN / "music_store"),  # views, triggers, FTS5
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_page_matches_golden(case: str) -> None:
    options = CASES[case]()
    page = schema_page(load_schema(options), options)
    expected = PAGES / f"{case}.md"
    if UPDATE:
        expected.write_text(page, encoding="utf-8")
    old = expected.read_text(encoding="utf-8") if expected.is_file() else ""
    diff = "".join(
        difflib.unified_diff(old.splitlines(True), page.splitlines(True), "pinned", "generated")
    )
    assert not diff, f"{expected.name} differs; run `make golden` to accept:\n{diff}"


def _relations() -> dict[str, str]:
    """`parent -> child`: the Mermaid relationship of every foreign key in relations.sql."""
    schema = load_schema(relations_options())
    return {
        f"{fk.ref_table} -> {t.name} ({', '.join(fk.columns)})": relationship(t, fk)
        for t in schema.tables
        for fk in t.foreign_keys
    }


@pytest.mark.parametrize(
    ("edge", "mermaid"),
    [
        # a nullable self-reference: zero-or-one parent, many children
        ("teams -> teams (parent_id)", "|o..o{"),
        # NOT NULL and not unique: exactly one parent, many children
        ("teams -> people (team_id)", "||..o{"),
        # nullable and UNIQUE: zero-or-one on both ends
        ("people -> profiles (person_id)", "|o..o|"),
        # the foreign key is the child's INTEGER PRIMARY KEY: never NULL, identifying, 1:0..1
        ("people -> person_settings (person_id)", "||--o|"),
        # composite, inside a wider primary key: identifying, many
        ("people -> badges (team_id, email)", "||--o{"),
    ],
)
def test_cardinality_comes_from_nullability_and_uniqueness(edge: str, mermaid: str) -> None:
    assert _relations()[edge] == mermaid


def test_diagram_has_every_table_key_columns_only_and_every_foreign_key() -> None:
    schema = load_schema(relations_options())
    diagram = er_diagram(schema)
    lines = diagram.splitlines()
    assert lines[0] == "erDiagram"
    assert "    events" in lines  # no key: a bare entity, still drawn
    assert "INTEGER person_id PK, FK" in diagram
    assert "nickname" not in diagram and "bio" not in diagram  # not key columns
    edges = [line for line in lines if " : " in line]
    assert len(edges) == sum(len(t.foreign_keys) for t in schema.tables) == 5
    assert '    people ||--o{ badges : "team_id, email"' in edges


def test_diagram_spells_quoted_names_as_mermaid_accepts_them() -> None:
    schema = load_schema(case_options(GOLDEN / "quoted_identifiers"))
    diagram = er_diagram(schema)
    assert '"user accounts" {' in diagram  # a name with a space is quoted
    assert 'TEXT e_mail UK "e-mail"' in diagram  # an attribute becomes one word, named in full
    # Mermaid's attribute grammar: type, name, keys, optional "comment"; nothing else.
    attribute = re.compile(
        r'^        [A-Za-z_]\w* [A-Za-z_][\w-]* (PK|FK|UK)(, (PK|FK|UK))*( "[^"]*")?$'
    )
    body = [line for line in diagram.splitlines() if line.startswith("        ")]
    assert body and all(attribute.match(line) for line in body), body


def test_nullability_follows_sqlite_not_the_declaration_alone() -> None:
    schema = load_schema(relations_options())
    assert not is_nullable(schema.table("teams"), "id")  # rowid alias, no NOT NULL written
    assert is_nullable(schema.table("teams"), "parent_id")
    assert not is_nullable(schema.table("badges"), "badge")  # NOT NULL
    quoted = load_schema(case_options(GOLDEN / "quoted_identifiers")).table("user accounts")
    assert is_nullable(quoted, "id")  # TEXT PRIMARY KEY without NOT NULL: SQLite allows NULL


def test_page_lists_columns_keys_indexes_and_every_method_of_the_store() -> None:
    options = case_options(GOLDEN / "query_features")
    schema = load_schema(options)
    page = schema_page(schema, options)
    # every named query appears as a method of its table, with its kind and place
    for query in schema.queries:
        assert f"- `{query.name}(" in page
        assert f"named query (`:{query.kind.value}`, `{query.location}`)" in page
    relations = relations_options()
    page = schema_page(load_schema(relations), relations)
    assert (
        "| `password_hash` | `TEXT` → `str` | no |  | **secret** (kept out of `repr`). "
        "Never shown &#124; never logged. |" in page
    )
    assert "| `nickname` | `TEXT` → <code>str &#124; None</code> | yes | `'n/a'` |" in page
    assert "- `idx_events_at` on (`at`) where `what <> 'noise'`" in page
    assert "(generated, read-only)" in page
    assert "- foreign key (`team_id`, `email`) → [people](#people) (`team_id`, `email`), " in page
    assert "on delete NO ACTION, on update CASCADE" in page
    assert "- no primary key: rows are listed by `offset`" in page


def test_markdown_cells_and_anchors() -> None:
    assert code("str") == "`str`"
    assert code("str | None") == "<code>str &#124; None</code>"
    assert code("a`b") == "<code>a`b</code>"
    assert prose("x | <y>\n z") == "x &#124; &lt;y&gt; z"
    assert heading_text("_a*b_c_") == r"\_a\*b_c\_"
    anchors = Anchors()
    assert [anchors.add(t) for t in ("Tables", "tables", "user accounts", "Ünï")] == [
        "tables",
        "tables_1",
        "user-accounts",
        "uni",
    ]


def test_committed_schema_page_is_fresh() -> None:
    options = load_options(REPO / "pyproject.toml", REPO)
    assert options.docs == REPO / "docs" / "schema.md"
    page = schema_page(load_schema(options), options)
    assert options.docs.read_text(encoding="utf-8") == page, "run `make docs` and commit"


PYPROJECT = """\
[tool.storegen]
schema = ["app.sql"]
out = "out"
package = "app_store"
docs = "docs/schema.md"
"""


def test_check_fails_when_the_page_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "app.sql").write_text((PAGES / "relations.sql").read_text())
    monkeypatch.chdir(tmp_path)
    page = tmp_path / "docs" / "schema.md"

    assert main(["generate"]) == 0  # writes the package and the page
    assert page.read_text().startswith("<!-- Code generated by storegen from app.sql.")
    assert main(["check"]) == 0
    assert "out and docs/schema.md are up to date" in capsys.readouterr().out

    page.write_text(page.read_text().replace("INTEGER person_id PK, FK", "INTEGER person_id PK"))
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    assert (
        "--- a/docs/schema.md" in captured.out
        and "+        INTEGER person_id PK, FK" in captured.out
    )
    assert "docs/schema.md is out of date" in captured.err

    assert main(["docs"]) == 0
    assert "docs/schema.md written" in capsys.readouterr().out
    assert main(["check"]) == 0

    # a schema change makes the page stale too (with the package)
    (tmp_path / "app.sql").write_text(
        (PAGES / "relations.sql").read_text().replace("bio TEXT", "bio TEXT NOT NULL")
    )
    assert main(["check"]) == 1
    assert "out and docs/schema.md are out of date" in capsys.readouterr().err
    page.unlink()
    assert main(["check"]) == 1  # a missing page is stale as well
    assert "+++ b/docs/schema.md" in capsys.readouterr().out


def test_docs_without_a_configured_page_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.replace('docs = "docs/schema.md"\n', ""))
    (tmp_path / "app.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY);\n")
    monkeypatch.chdir(tmp_path)
    assert main(["docs"]) == 0
    assert "# Schema reference" in capsys.readouterr().out
    assert not (tmp_path / "docs").exists()
    assert main(["docs", "--docs", "elsewhere.md"]) == 0
    assert (tmp_path / "elsewhere.md").read_text().count("\n## t\n") == 1


def test_docs_key_must_be_a_path() -> None:
    with pytest.raises(ConfigError, match="'docs' must be a file path"):
        options_from_mapping({"docs": ["a.md"]}, root=Path("."), source="pyproject.toml")
