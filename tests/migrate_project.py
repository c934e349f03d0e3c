"""A throwaway storegen project for the `storegen migrate` tests.

`Project` writes a pyproject and a schema file, runs the real CLI entry
point in-process, and reads the migrations it wrote back as the runtime's
`Migration` records (the SQLite folder, or the PostgreSQL one).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storegen.cli import main
from storegen.runtime.migrate import Migration

FOREIGN_KEYS_OFF = "-- storegen: foreign_keys=off"


@dataclass
class Run:
    code: int
    out: str
    err: str


class Project:
    """A project folder with `schema/app.sql` and backends aiosqlite + postgres."""

    def __init__(self, root: Path, backends: tuple[str, ...] = ("aiosqlite", "postgres")) -> None:
        self.root = root
        (root / "schema").mkdir(parents=True, exist_ok=True)
        quoted = ", ".join(f'"{b}"' for b in backends)
        (root / "pyproject.toml").write_text(
            "[tool.storegen]\n"
            'schema = ["schema/app.sql"]\n'
            'out = "out"\npackage = "demo_store"\n'
            f"backends = [{quoted}]\n"
        )

    def schema(self, text: str) -> None:
        (self.root / "schema" / "app.sql").write_text(text)

    def storegen(self, *args: str) -> Run:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*args, "--config", str(self.root / "pyproject.toml")])
        return Run(code, out.getvalue(), err.getvalue())

    def migrate(self, *flags: str) -> Run:
        return self.storegen("migrate", *flags)

    def files(self) -> dict[str, str]:
        """Every file under migrations/, by relative path."""
        folder = self.root / "migrations"
        if not folder.exists():
            return {}
        return {
            p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*.sql"))
        }

    def migrations(self, dialect: str = "sqlite") -> list[Migration]:
        folder = self.root / "migrations"
        if dialect != "sqlite":
            folder = folder / dialect
        return [
            Migration(p.stem, p.read_text(), p.read_text().startswith(FOREIGN_KEYS_OFF))
            for p in sorted(folder.glob("*.sql"))
        ]

    def for_db(self, db: Any) -> list[Migration]:
        """The migrations in `db`'s dialect."""
        return self.migrations("postgres" if db.sql_dialect == "postgres" else "sqlite")
