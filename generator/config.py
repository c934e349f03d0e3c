"""Options: `[tool.storegen]` in pyproject.toml, with CLI flags merged over it.

One frozen `Options` record travels through the pipeline instead of a pile of
boolean parameters. Unknown keys are errors, so a typo never silently does
nothing.
"""

from __future__ import annotations

import keyword
from dataclasses import field, replace
from pathlib import Path
from typing import Any

from .config_hints import section_problem, shown_path
from .errors import ConfigError
from .records import record

_TOP_KEYS = {
    "schema",
    "strict_types",
    "out",
    "package",
    "backends",
    "acronyms",
    "immutable_columns",
    "mixins",
    "tables",
    "results_module",
    "numeric",
    "temporal_storage",
    "naive_datetimes",
    "templates",
    "queries",
    "docs",
    "migrations",
    "models",
    "views",
    "postgres",
}
_TABLE_KEYS = {"model", "contract", "store", "append_only", "secret", "columns"}
_COLUMN_KEYS = {"type", "temporal_storage", "secret", "attribute", "json"}
_MIXIN_KEYS = {"columns", "doc"}
_VIEW_KEYS = {"key", "model", "store"}
_POSTGRES_KEYS = {"objects"}
# What the generated model classes are: stdlib dataclasses (no dependency) or
# pydantic v2 BaseModels (the generated package then needs pydantic).
MODEL_FLAVOURS = ("dataclass", "pydantic")
_HOW = ": run `storegen init`, or pass --config FILE or --schema FILE"


@record
class ColumnOptions:
    """Per-column overrides: codec, date storage, secrecy, attribute name."""

    type: str | None = None
    temporal_storage: str | None = None
    secret: bool | None = None
    attribute: str | None = None
    json: str | None = None  # "module.path:Name": a JSON column holds that class


@record
class TableOptions:
    """Per-table overrides of names and directives."""

    model: str | None = None
    contract: str | None = None
    store: str | None = None
    append_only: bool | None = None
    secret: tuple[str, ...] = ()
    columns: dict[str, ColumnOptions] = field(default_factory=dict)


# What `Options.table` answers for a table the config says nothing about.
_NO_TABLE_OPTIONS = TableOptions()


@record
class ViewOptions:
    """Per-view settings: the column(s) that identify a row, for get_by and keyset paging."""

    key: tuple[str, ...] = ()
    model: str | None = None
    store: str | None = None


@record
class Mixin:
    """A dataclass base shared by every table that has all of `columns`."""

    name: str
    columns: tuple[str, ...]
    doc: str = ""


@record
class Options:
    """Everything the generator needs to know besides the schema text."""

    root: Path
    schema: tuple[Path, ...] = ()
    out: Path = Path("generated")
    package: str = "generated"
    backends: tuple[str, ...] = ("aiosqlite",)
    acronyms: tuple[str, ...] = ()
    immutable_columns: tuple[str, ...] = ("created_at", "created_by")
    mixins: tuple[Mixin, ...] = ()
    tables: dict[str, TableOptions] = field(default_factory=dict)
    results_module: str | None = None
    numeric: str = "float"
    temporal_storage: str = "iso"
    naive_datetimes: str = "refuse"  # or "utc": a naive datetime on write is taken as UTC
    templates: tuple[Path, ...] = ()
    queries: tuple[Path, ...] = ()  # named-query files (issue 7)
    docs: Path | None = None  # the schema reference page (`storegen docs`), if wanted
    migrations: Path = Path("migrations")  # `storegen migrate` writes here (issue 12)
    models: str = "dataclass"  # one of MODEL_FLAVOURS
    views: dict[str, ViewOptions] = field(default_factory=dict)  # [tool.storegen.views.<name>]
    # [tool.storegen.postgres] objects: the PostgreSQL text of triggers and FTS5 tables
    postgres_objects: Path | None = None
    strict_types: bool = False  # `--strict-types`: a near-miss type name exits 2
    # Why no config was found ("" when one was): the message when schema files are needed.
    missing_config: str = ""

    def table(self, name: str) -> TableOptions:
        """Options for one table (empty when config says nothing about it).

        The empty one is shared (read it, never change it): the view asks ~30 times
        a table, and a new record each time was ~9% of building it.
        """
        return self.tables.get(name) or _NO_TABLE_OPTIONS

    @property
    def migrations_dir(self) -> Path:
        """The migrations folder; a relative `migrations` is relative to root, not the cwd."""
        return self.root / self.migrations

    def display_path(self, path: Path) -> str:
        """A path as users see it in messages and headers: relative to root."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start`."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_options(config_file: Path | None, cwd: Path) -> Options:
    """Read `[tool.storegen]` from `config_file` (or the nearest pyproject.toml having it).

    A `storegen.toml` file may hold the same keys at top level. Without a
    config, the options say why in `missing_config` (a near-miss section
    name such as `[tool.storgen]` included), for the error a command that
    needs schema files then gives.
    """
    if config_file is not None:
        data = _read_toml(config_file)
        if config_file.name != "pyproject.toml":
            return options_from_mapping(data, root=config_file.parent, source=str(config_file))
        section = data.get("tool", {}).get("storegen")
        if section is None:
            shown = shown_path(config_file, cwd)
            why = section_problem(shown, data) or f"no [tool.storegen] in {shown}{_HOW}"
            return _unconfigured(config_file.parent, why)
        return options_from_mapping(section, root=config_file.parent, source=str(config_file))
    near_miss, root = "", None
    for folder in (cwd, *cwd.parents):
        candidate = folder / "pyproject.toml"
        if not candidate.is_file():
            continue
        root = root or folder  # paths stay relative to the nearest project
        data = _read_toml(candidate)
        section = data.get("tool", {}).get("storegen")
        if section is not None:
            return options_from_mapping(section, root=folder, source=str(candidate))
        near_miss = near_miss or section_problem(shown_path(candidate, cwd), data)
    why = near_miss or f"no pyproject.toml with [tool.storegen] here or above{_HOW}"
    return _unconfigured(root or cwd, why)


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # here: the parsing child unpickles Options without reading TOML (~1.5 ms)

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from None


def _unconfigured(root: Path, why: str) -> Options:
    return Options(root=root, migrations=root / "migrations", missing_config=why)


def options_from_mapping(raw: dict[str, Any], *, root: Path, source: str) -> Options:
    """Validate a raw config mapping and turn it into `Options`."""
    _reject_unknown(raw, _TOP_KEYS, source)
    tables = {
        name: _table_options(value, f"{source} [tables.{name}]")
        for name, value in _mapping(raw.get("tables", {}), f"{source} tables").items()
    }
    mixins = tuple(
        _mixin(name, value, f"{source} [mixins.{name}]")
        for name, value in _mapping(raw.get("mixins", {}), f"{source} mixins").items()
    )
    options = Options(
        root=root,
        schema=tuple(root / p for p in _strings(raw, "schema", source)),
        out=root / str(raw.get("out", "generated")),
        package=str(raw.get("package", "generated")),
        backends=_strings(raw, "backends", source) or ("aiosqlite",),
        acronyms=_strings(raw, "acronyms", source),
        immutable_columns=_strings(
            raw, "immutable_columns", source, default=("created_at", "created_by")
        ),
        mixins=mixins,
        tables=tables,
        results_module=raw.get("results_module"),
        numeric=_choice(raw, "numeric", ("float", "decimal"), source, "float"),
        temporal_storage=_choice(raw, "temporal_storage", ("iso", "epoch", "str"), source, "iso"),
        naive_datetimes=_choice(raw, "naive_datetimes", ("refuse", "utc"), source, "refuse"),
        templates=tuple(root / p for p in _strings(raw, "templates", source)),
        queries=tuple(root / p for p in _strings(raw, "queries", source)),
        docs=_path(raw, "docs", root, source),
        migrations=root / str(raw.get("migrations", "migrations")),
        models=_choice(raw, "models", MODEL_FLAVOURS, source, "dataclass"),
        views={
            name: _view_options(value, f"{source} [views.{name}]")
            for name, value in _mapping(raw.get("views", {}), f"{source} views").items()
        },
        postgres_objects=_postgres_objects(raw, root, source),
        strict_types=_flag(raw, "strict_types", source),
    )
    problem = package_problem(options.package)
    if problem:
        raise ConfigError(f"{source}: package {options.package!r} {problem}")
    return options


def package_problem(package: str, *, out_flag: bool = True) -> str | None:
    """Why `package` cannot be an import name (`blog-store`, `class`), or None."""
    parts = package.split(".")
    if len(parts) > 1 and all(part.isidentifier() for part in parts):
        folder = "/".join(parts)
        return (
            "is a dotted name, but `package` is the import name of one folder: to place "
            f'it in a sub-folder, set out = "{folder}" and package = "{parts[-1]}" in '
            f"[tool.storegen]"
            + (f" (or pass --out {folder} --package {parts[-1]})" if out_flag else "")
        )
    if not package.isidentifier():
        return "is not a valid Python identifier"
    if keyword.iskeyword(package):
        return "is a Python keyword, so `import` cannot name it"
    return None


def merge_cli(options: Options, **flags: Any) -> Options:
    """Flags given on the command line win over the config file.

    `--templates` adds folders after the configured ones (docs/backends.md);
    every other flag replaces its config value.
    """
    given = {k: v for k, v in flags.items() if v not in (None, (), [])}
    for key in ("schema", "templates", "backends", "queries"):
        if key in given:
            given[key] = tuple(given[key])
    if "templates" in given:
        given["templates"] = options.templates + given["templates"]
    package = given.get("package")
    problem = package_problem(package) if package is not None else None
    if problem:
        raise ConfigError(f"--package {package!r} {problem}")
    return replace(options, **given)


def _view_options(raw: Any, where: str) -> ViewOptions:
    view = _mapping(raw, where)
    _reject_unknown(view, _VIEW_KEYS, where)
    keys = _strings(view, "key", where)
    for name in ("model", "store"):
        if name in view and not str(view[name]).isidentifier():
            raise ConfigError(f"{where}: '{name}' must be a class name, not {view[name]!r}")
    return ViewOptions(key=keys, model=view.get("model"), store=view.get("store"))


def _postgres_objects(raw: dict[str, Any], root: Path, source: str) -> Path | None:
    section = _mapping(raw.get("postgres", {}), f"{source} postgres")
    _reject_unknown(section, _POSTGRES_KEYS, f"{source} [postgres]")
    return _path(section, "objects", root, f"{source} [postgres]")


def _table_options(raw: Any, where: str) -> TableOptions:
    table = _mapping(raw, where)
    _reject_unknown(table, _TABLE_KEYS, where)
    columns = {}
    for name, value in _mapping(table.get("columns", {}), f"{where} columns").items():
        column = _mapping(value, f"{where} columns.{name}")
        _reject_unknown(column, _COLUMN_KEYS, f"{where} columns.{name}")
        columns[name] = _column_options(column, f"{where} columns.{name}")
    for key in ("model", "contract", "store"):
        if key in table and not str(table[key]).isidentifier():
            raise ConfigError(f"{where}: '{key}' must be a class name, not {table[key]!r}")
    if "append_only" in table and not isinstance(table["append_only"], bool):
        raise ConfigError(f"{where}: 'append_only' must be true or false")
    return TableOptions(
        model=table.get("model"),
        contract=table.get("contract"),
        store=table.get("store"),
        append_only=table.get("append_only"),
        secret=_strings(table, "secret", where),
        columns=columns,
    )


def _column_options(column: dict[str, Any], where: str) -> ColumnOptions:
    """Check each value's type and spelling: `temporal_storage = "epcoh"` must not pass."""
    for key in ("type", "attribute", "json"):
        if key in column and not isinstance(column[key], str):
            raise ConfigError(f"{where}: '{key}' must be a string")
    if "secret" in column and not isinstance(column["secret"], bool):
        raise ConfigError(f"{where}: 'secret' must be true or false")
    storage = column.get("temporal_storage")
    if storage is not None:
        _choice(column, "temporal_storage", ("iso", "epoch", "str"), where, "iso")
    return ColumnOptions(**column)


def _mixin(name: str, raw: Any, where: str) -> Mixin:
    mixin = _mapping(raw, where)
    _reject_unknown(mixin, _MIXIN_KEYS, where)
    columns = _strings(mixin, "columns", where)
    if not columns:
        raise ConfigError(f"{where}: a mixin needs a non-empty 'columns' list")
    if not name.isidentifier():
        raise ConfigError(f"{where}: mixin name {name!r} is not a valid class name")
    return Mixin(name=name, columns=columns, doc=str(mixin.get("doc", "")))


def _flag(raw: dict[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key!r} must be true or false")
    return value


def _reject_unknown(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table, got {type(raw).__name__}")
    return raw


def _strings(
    raw: dict[str, Any], key: str, where: str, default: tuple[str, ...] = ()
) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _path(raw: dict[str, Any], key: str, root: Path, where: str) -> Path | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: '{key}' must be a file path (a string)")
    return root / value


def _choice(
    raw: dict[str, Any], key: str, allowed: tuple[str, ...], where: str, default: str
) -> str:
    value = raw.get(key, default)
    if value not in allowed:
        raise ConfigError(f"{where}: '{key}' must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)
