"""Directives read their own argument; the rest of the comment stays the docstring.

Issue 23 (3): `-- @renamed-from display_name Optional; shown on the profile`
used to take the whole tail as the old name, match no column, and have
`storegen migrate` propose dropping `display_name`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from migrate_project import Project

V1 = """\
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    display_name TEXT
);
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = Project(tmp_path / "proj", backends=("aiosqlite",))
    made.schema(V1)
    assert made.migrate().code == 0
    return made


def _columns(project: Project) -> dict[str, dict[str, Any]]:
    run = project.storegen("inspect")
    assert run.code == 0, run.err
    [users] = json.loads(run.out)["tables"]
    return {c["name"]: c for c in users["columns"]}


def test_renamed_from_followed_by_a_description_renames(project: Project) -> None:
    project.schema(
        V1.replace(
            "display_name TEXT\n",
            "full_name TEXT -- @renamed-from display_name Optional; shown on the profile\n",
        )
    )
    column = _columns(project)["full_name"]
    assert (column["renamed_from"], column["comment"]) == (
        "display_name",
        "Optional; shown on the profile",
    )
    run = project.migrate()
    assert run.code == 0, run.err
    [text] = [t for n, t in project.files().items() if n.startswith("0002")]
    assert "RENAME COLUMN display_name TO full_name" in text


@pytest.mark.parametrize(
    ("comment", "renamed_from", "backfill", "secret", "doc"),
    [
        ('@renamed-from "display name". Was the nickname', "display name", None, False,
         "Was the nickname"),
        ("@renamed-from [display_name]", "display_name", None, False, None),
        ("Shown on the profile. @renamed-from display_name", "display_name", None, False,
         "Shown on the profile."),
        ("@backfill 'anon'; Shown on the profile", None, "'anon'", False, "Shown on the profile"),
        ("@backfill 'a;b' || (id); Label", None, "'a;b' || (id)", False, "Label"),
        ("@backfill upper(name) @renamed-from nick", "nick", "upper(name)", False, None),
        ("@secret The API key", None, None, True, "The API key"),
        ("@secret: the API key", None, None, True, "the API key"),
        ("The key. @secret @renamed-from token kept", "token", None, True, "The key. kept"),
    ],
)  # fmt: skip
def test_every_directive_leaves_the_rest_as_docstring(
    project: Project,
    comment: str,
    renamed_from: str | None,
    backfill: str | None,
    secret: bool,
    doc: str | None,
) -> None:
    project.schema(V1.replace("display_name TEXT\n", f"label TEXT -- {comment}\n"))
    column = _columns(project)["label"]
    found = (column["renamed_from"], column["backfill"], column["secret"], column["comment"])
    assert found == (renamed_from, backfill, secret, doc)


def test_append_only_keeps_the_table_description(project: Project) -> None:
    project.schema("-- @append-only Audit trail; never edited\n" + V1)
    run = project.storegen("inspect")
    [users] = json.loads(run.out)["tables"]
    assert users["comment"] == "Audit trail; never edited" and users["append_only"] is True


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "    label TEXT NOT NULL -- @backfill 'anon' Shown on the profile\n",
            "schema/app.sql:3:28: @backfill's expression `'anon' Shown on the profile` is not "
            "SQL (near \"Shown\": syntax error): end the expression with ';' before any "
            "description (`-- @backfill 'x'; The label.`)",
        ),
        (
            "    label TEXT NOT NULL -- Label. @backfill ; shown\n",
            "schema/app.sql:3:35: directive '@backfill' needs an argument",
        ),
        (
            "    label TEXT -- @renamed-from 'display_name'\n",
            "schema/app.sql:3:19: directive '@renamed-from' needs the old name right after it",
        ),
    ],
)
def test_an_unreadable_argument_is_refused_with_its_position(
    project: Project, line: str, message: str
) -> None:
    project.schema(V1.replace("    display_name TEXT\n", line))
    run = project.migrate()
    assert run.code == 2
    assert message in run.err
    assert sorted(project.files()) == ["0001_initial.sql"]
