"""Backends: a folder of templates plus a `backend.toml` manifest.

A new backend is a new folder, not a subclass: the manifest says which module
it emits, which templates render it, which SQL placeholders its driver wants
and which runtime helpers it needs copied into the package.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from generator.errors import ConfigError

MANIFEST = "backend.toml"
_REQUIRED_KEYS = {"name", "module", "driver", "dialect", "paramstyle", "files", "runtime"}
_PARAMSTYLES = {"qmark", "dollar"}


@dataclass(frozen=True, slots=True)
class Backend:
    """One target driver: what it emits and what SQL it needs."""

    name: str
    module: str
    driver: str
    dialect: str
    paramstyle: str
    files: tuple[tuple[str, str], ...]  # (output file, template name)
    runtime: tuple[str, ...]
    folder: Path


def builtin_templates_dir() -> Path:
    """The built-in `templates/` folder, in a checkout or in an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates", here / "templates"):
        if (candidate / "common").is_dir():
            return candidate
    raise ConfigError(f"storegen is installed without its templates (looked beside {here})")


def runtime_dir() -> Path:
    """Plain Python modules copied verbatim into every generated package."""
    return Path(__file__).resolve().parent / "runtime"


def load_backend(name: str, search: tuple[Path, ...]) -> Backend:
    """Find backend `name` in the user template folders, then the built-in one."""
    for root in (*search, builtin_templates_dir()):
        manifest = root / name / MANIFEST
        if manifest.is_file():
            return read_manifest(manifest)
    known = sorted(
        {
            p.parent.name
            for root in (*search, builtin_templates_dir())
            for p in root.glob(f"*/{MANIFEST}")
        }
    )
    raise ConfigError(f"unknown backend {name!r}; found: {', '.join(known) or 'none'}")


def read_manifest(path: Path) -> Backend:
    """Parse and check one `backend.toml`."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read manifest: {exc}") from None
    missing = sorted(_REQUIRED_KEYS - set(raw))
    unknown = sorted(set(raw) - _REQUIRED_KEYS)
    if missing or unknown:
        parts = [
            f"missing key(s): {', '.join(missing)}" if missing else "",
            f"unknown key(s): {', '.join(unknown)}" if unknown else "",
        ]
        raise ConfigError(f"{path}: {'; '.join(p for p in parts if p)}")
    if raw["paramstyle"] not in _PARAMSTYLES:
        raise ConfigError(f"{path}: paramstyle must be one of {', '.join(sorted(_PARAMSTYLES))}")
    if not isinstance(raw["files"], dict):
        raise ConfigError(f"{path}: 'files' must map output file names to template names")
    return Backend(
        name=str(raw["name"]),
        module=str(raw["module"]),
        driver=str(raw["driver"]),
        dialect=str(raw["dialect"]),
        paramstyle=str(raw["paramstyle"]),
        files=tuple((str(k), str(v)) for k, v in raw["files"].items()),
        runtime=tuple(str(r) for r in raw["runtime"]),
        folder=path.parent,
    )
