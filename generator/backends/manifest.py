"""Backends: a folder of templates plus a `backend.toml` manifest.

A new backend is a new folder, not a subclass: the manifest says which module
it emits, which templates render it, which SQL placeholders its driver wants
and which runtime helpers it needs copied into the package.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..errors import ConfigError
from ..records import record

MANIFEST = "backend.toml"
_REQUIRED_KEYS = {"name", "module", "driver", "dialect", "paramstyle", "files", "runtime"}
# Optional keys: `ddl_dialect` asks for the schema DDL transpiled to that
# dialect (the `ddl` template variable); `description` is shown by `storegen backends`.
# `sync = true`: the backend's stores are sync (no `async def`); the package
# then also gets `_sync_stores.py` and `sync_contracts.py` (render/faces.py).
_OPTIONAL_KEYS = {"ddl_dialect", "description", "sync"}
_PARAMSTYLES = {"qmark", "dollar"}


@record
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
    ddl_dialect: str | None = None
    description: str = ""
    sync: bool = False


def builtin_templates_dir() -> Path:
    """The built-in `templates/` folder, in a checkout or in an installed wheel."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "templates", package / "templates"):
        if (candidate / "common").is_dir():
            return candidate
    raise ConfigError(f"storegen is installed without its templates (looked beside {package})")


def runtime_dir() -> Path:
    """Plain Python modules copied verbatim into every generated package."""
    return Path(__file__).resolve().parent.parent / "runtime"


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
    unknown = sorted(set(raw) - _REQUIRED_KEYS - _OPTIONAL_KEYS)
    if missing or unknown:
        parts = [
            f"missing key(s): {', '.join(missing)}" if missing else "",
            f"unknown key(s): {', '.join(unknown)}" if unknown else "",
        ]
        allowed = (
            ", ".join(sorted(_REQUIRED_KEYS)) + "; optional: " + ", ".join(sorted(_OPTIONAL_KEYS))
        )
        raise ConfigError(f"{path}: {'; '.join(p for p in parts if p)} (a manifest has {allowed})")
    if not isinstance(raw.get("sync", False), bool):
        raise ConfigError(f"{path}: 'sync' must be true or false")
    for key in ("name", "module", "driver", "dialect", "paramstyle", "ddl_dialect", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise ConfigError(f"{path}: {key!r} must be a string")
    if not isinstance(raw["runtime"], list) or not all(isinstance(r, str) for r in raw["runtime"]):
        raise ConfigError(f"{path}: 'runtime' must be a list of file names in generator/runtime/")
    for name in raw["runtime"]:
        if not (runtime_dir() / name).is_file():
            raise ConfigError(
                f"{path}: runtime helper {name!r} does not exist in generator/runtime/"
            )
    if not str(raw["module"]).isidentifier():
        raise ConfigError(f"{path}: module {raw['module']!r} is not a valid Python module name")
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
        ddl_dialect=raw.get("ddl_dialect"),
        description=str(raw.get("description", "")),
        sync=bool(raw.get("sync", False)),
    )


def discover_backends(search: tuple[Path, ...]) -> list[tuple[Backend, str]]:
    """Every backend found, first match per name wins: (backend, where it comes from).

    The origin is "user: <folder>" for user template folders and "built-in".
    """
    found: dict[str, tuple[Backend, str]] = {}
    builtin = builtin_templates_dir()
    for root in (*search, builtin):
        origin = "built-in" if root == builtin else f"user: {root}"
        for manifest in sorted(root.glob(f"*/{MANIFEST}")):
            name = manifest.parent.name
            if name not in found:
                found[name] = (read_manifest(manifest), origin)
    return [found[name] for name in sorted(found)]


def scaffold_backend(name: str, source: str, dest: Path, search: tuple[Path, ...]) -> Path:
    """Copy backend `source` to `dest/name`, renaming it in the manifest and file names.

    The copy is ready to edit: its manifest says `name`/`module = name`, renders
    `<name>.py` from `<name>/stores.py.j2`, and keeps the driver, dialect,
    paramstyle and runtime helpers of the source. Returns the new folder.
    """
    if not name.isidentifier() or name == "common":
        raise ConfigError(f"backend name {name!r} must be a Python identifier (and not 'common')")
    origin = load_backend(source, search)
    folder = dest / name
    if folder.exists():
        raise ConfigError(f"{folder} already exists; choose another name or --dir")
    files: list[tuple[str, str]] = []
    folder.mkdir(parents=True)
    for output, template in origin.files:
        if not template.startswith(f"{origin.name}/"):
            files.append((output, template))  # a shared template (e.g. common/...): keep it
            continue
        template_file = origin.folder / Path(template).relative_to(origin.name)
        new_template = f"{name}/{Path(template).relative_to(origin.name).as_posix()}"
        target = folder / Path(template).relative_to(origin.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template_file.read_text(encoding="utf-8"), encoding="utf-8")
        new_output = f"{name}.py" if output == f"{origin.module}.py" else output
        files.append((new_output, new_template))
    lines = [
        f"# Scaffolded from the {origin.name!r} backend by `storegen new-backend`; edit freely.",
        f"name = {_toml(name)}",
        f"module = {_toml(name)}",
        f"driver = {_toml(origin.driver)}",
        f"dialect = {_toml(origin.dialect)}",
        f"paramstyle = {_toml(origin.paramstyle)}",
    ]
    if origin.ddl_dialect:
        lines.append(f"ddl_dialect = {_toml(origin.ddl_dialect)}")
    lines.append(f"description = {_toml(f'Scaffolded from {origin.name}')}")
    if origin.sync:
        lines.append("sync = true")
    lines.append("runtime = [" + ", ".join(_toml(r) for r in origin.runtime) + "]")
    lines += ["", "[files]", *(f"{_toml(out)} = {_toml(tpl)}" for out, tpl in files)]
    (folder / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
