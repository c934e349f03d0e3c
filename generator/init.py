"""`storegen init [DIR]`: a new project in one command.

It adds a `[tool.storegen]` block to DIR/pyproject.toml (appended, so every
other byte of an existing file stays), writes a commented two-table example
schema, an empty `migrations/` folder, and runs the first generation. It
refuses, before writing anything, when the schema file or the config block
already exists: init never overwrites a user's work.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import Options, load_options, package_problem
from .errors import ConfigError

SCHEMA_FILE = "schema/schema.sql"
MIGRATIONS_DIR = "migrations"

EXAMPLE_SCHEMA = """\
-- The schema storegen reads: plain SQLite DDL, one CREATE TABLE per table.
-- A comment on the line before a table or column becomes its docstring.
-- Change it, then run `storegen generate` (and `storegen check` in CI).

-- Someone who can sign in.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    -- Unique: storegen adds get_by_email to the store.
    email TEXT NOT NULL UNIQUE,
    display_name TEXT,
    -- Unix seconds.
    created_at INTEGER NOT NULL
);

-- A note a user wrote; deleting the user deletes their notes.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    -- Indexed foreign key: storegen adds list_by_user_id and count_by_user_id.
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX notes_user_id ON notes (user_id);
"""


@dataclass(frozen=True, slots=True)
class InitPlan:
    """What init writes, all paths absolute."""

    root: Path
    pyproject: Path
    schema: Path
    migrations: Path
    package: str

    def config_block(self) -> str:
        return (
            "[tool.storegen]\n"
            f'schema = ["{SCHEMA_FILE}"]\n'
            f'out = "{self.package}"\n'
            f'package = "{self.package}"\n'
            'backends = ["aiosqlite"]\n'
        )


def plan_init(root: Path, package: str) -> InitPlan:
    """Check that init may write in `root`; raises ConfigError (exit 2) when it may not."""
    problem = package_problem(package, out_flag=False)
    if problem:
        raise ConfigError(f"--package {package!r} {problem}")
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: not a folder")
    plan = InitPlan(
        root=root,
        pyproject=root / "pyproject.toml",
        schema=root / SCHEMA_FILE,
        migrations=root / MIGRATIONS_DIR,
        package=package,
    )
    if plan.pyproject.exists():
        try:
            data = tomllib.loads(plan.pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{plan.pyproject}: cannot read it, so init leaves it alone: {exc}")
        if "storegen" in data.get("tool", {}):
            raise ConfigError(
                f"{plan.pyproject} already has a [tool.storegen] block; init does not "
                "overwrite it (edit it, or run `storegen generate`)"
            )
    if plan.schema.exists():
        raise ConfigError(
            f"{plan.schema} already exists; init does not overwrite it "
            "(add the [tool.storegen] block by hand, see docs/usage.md)"
        )
    if (root / package).exists():
        raise ConfigError(f"{root / package} already exists; choose another name with --package")
    return plan


def apply_init(plan: InitPlan) -> None:
    """Write the config block, the example schema and the migrations folder."""
    plan.root.mkdir(parents=True, exist_ok=True)
    if plan.pyproject.exists():
        old = plan.pyproject.read_bytes()
        separator = (
            b"" if old.endswith(b"\n\n") or not old else b"\n" if old.endswith(b"\n") else b"\n\n"
        )
        with plan.pyproject.open("ab") as handle:
            handle.write(separator + plan.config_block().encode("utf-8"))
    else:
        plan.pyproject.write_text(plan.config_block(), encoding="utf-8", newline="\n")
    plan.schema.parent.mkdir(parents=True, exist_ok=True)
    plan.schema.write_text(EXAMPLE_SCHEMA, encoding="utf-8", newline="\n")
    plan.migrations.mkdir(exist_ok=True)


def run_init(root: Path, package: str, generate: Callable[[Options], int]) -> int:
    """`storegen init`: write the project, generate its package, say what is next."""
    plan = plan_init(root, package)
    appended = plan.pyproject.exists()
    apply_init(plan)
    verb = "added [tool.storegen] to" if appended else "wrote"
    print(
        f"storegen: {verb} pyproject.toml; wrote {SCHEMA_FILE} (an example); "
        "made migrations/ (empty)"
    )
    # No migration yet: the first one is written from the user's own schema,
    # so replacing the example never reads as dropping its tables.
    options = load_options(plan.pyproject, root)
    status = generate(options)
    if status == 0:
        shown = options.display_path(options.migrations_dir)
        print(
            f"next: replace the example in {SCHEMA_FILE} with your tables, then run "
            f"`storegen migrate` (writes {shown}/0001_initial.sql) and `storegen generate`"
        )
    return status
