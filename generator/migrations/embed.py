"""The committed migrations as the generated `migrations.py` embeds them.

The package then migrates a database without storegen installed: one tuple
per dialect (SQLite's folder, and `migrations/<dialect>/` for each backend
manifest with a `ddl_dialect`).
"""

from __future__ import annotations

from pathlib import Path

from ..backends.manifest import Backend
from ..config import Options
from ..render.views import MigrationSetView, MigrationView
from .files import read_migrations

__all__ = ["migration_sets"]


def migration_sets(options: Options, backends: list[Backend]) -> tuple[MigrationSetView, ...]:
    """SQLite's set first, then one per `ddl_dialect`, each read from its folder."""
    sets = [_set(options, "sqlite", options.migrations_dir, "schema", "SCHEMA_SQL")]
    for backend in backends:
        dialect = backend.ddl_dialect
        if dialect and dialect != "sqlite" and all(s.dialect != dialect for s in sets):
            sets.append(
                _set(
                    options,
                    dialect,
                    options.migrations_dir / dialect,
                    backend.module,
                    f"{backend.name.upper()}_SCHEMA_SQL",
                )
            )
    return tuple(sets)


def _set(
    options: Options, dialect: str, folder: Path, module: str, ddl_name: str
) -> MigrationSetView:
    shown = options.display_path(folder)
    files = read_migrations(folder, shown)
    return MigrationSetView(
        constant=f"{dialect.upper()}_MIGRATIONS",
        dialect=dialect,
        folder=shown,
        migrations=tuple(MigrationView(m.name, m.sql, m.foreign_keys_off) for m in files),
        ddl_module=module,
        ddl_name=ddl_name,
    )
