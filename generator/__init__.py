"""storegen: SQLite schema files → a typed, async storage package.

`generate(options)` is the one pure entry point: it reads the schema files and
returns every output file as text, writing nothing, so `storegen generate`
and `storegen check` are both built on this one call.
"""

from __future__ import annotations

from .errors import SchemaError, StoregenError, TemplateError
from .load import check_strict_types, load_schema, parse_sources, read_sources, schema_of

# typing.TYPE_CHECKING without importing typing (2 ms): the `storegen` command forks
# its parsing child before anything but os, signal and sys is imported (spare.py).
TYPE_CHECKING = False
if TYPE_CHECKING:  # each loads where it is used
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

    from .background import Background
    from .backends.manifest import Backend
    from .config import Options
    from .output.finish import Finished
    from .render.views import PackageView
    from .schema.ir import Schema

__all__ = ["BASE_RUNTIME", "Generation", "generate", "load_schema", "parse_sources", "read_sources"]

# The SQL of one dialect and placeholder style, shared by its backend modules.
SQL_TEMPLATE = "common/_sql.py.j2"
# Files every package gets, whatever the backends: output name → template.
COMMON_FILES = {
    "__init__.py": "common/__init__.py.j2",
    "models.py": "common/models.py.j2",
    "results.py": "common/results.py.j2",
    "contracts.py": "common/contracts.py.j2",
    "tables.py": "common/tables.py.j2",
    "schema.py": "common/schema.py.j2",
    "_rows.py": "common/_rows.py.j2",
    "_stores.py": "common/_stores.py.j2",  # the store methods, shared by every backend
    "migrations.py": "common/migrations.py.j2",  # the committed migrations, embedded
}


class Generation:
    """The parsed schema and every file of the package, relative to `out`.

    From the cache, the schema is parsed again only if someone asks for it
    (its inputs are unchanged, by the cache key): `check` and `generate`
    never do (the schema page and the table count are kept with the files).
    """

    __slots__ = ("files", "key", "warnings", "_schema", "_load", "_tables")

    def __init__(
        self, schema: Schema | None = None, files: dict[str, str] | None = None,
        *, load: Callable[[], Schema] | None = None, tables: int | None = None,
    ) -> None:  # fmt: skip
        self.files: dict[str, str] = files if files is not None else {}
        # The cache key of its inputs (None when generated without the cache).
        self.key: str | None = None
        # Near-miss type names (render/type_typos.py), found when the schema was
        # parsed; a cached generation has none to show (they were shown then).
        self.warnings: tuple[SchemaError, ...] = ()
        self._schema = schema
        self._load = load
        self._tables = tables

    @property
    def schema(self) -> Schema:
        if self._schema is None:
            assert self._load is not None, "a Generation needs a schema"
            self._schema = self._load()
        return self._schema

    @property
    def table_count(self) -> int:
        """How many tables the schema has (known without parsing it again)."""
        return (
            self._tables
            if self._schema is None and self._tables is not None
            else len(self.schema.tables)
        )


def generate(options: Options, *, cache: bool = True) -> Generation:
    """Produce the whole package in memory. Raises StoregenError on bad input.

    With `cache`, a generation from exactly the same inputs (output/cache.py
    lists them) is read back from `.storegen-cache/generation` instead. Every
    child it forked is reaped when it returns.
    """
    from .background import reap

    try:
        return generate_in_command(options, cache=cache)
    finally:
        reap()  # the SQL half's child, still exiting (~1 ms): no zombie left to the caller


def generate_in_command(options: Options, *, cache: bool = True) -> Generation:
    """`generate`, for a `storegen` command: the SQL half's child may still be exiting.

    Its exit (1-3 ms) then overlaps the writing of the files; `cli.main` reaps
    it (`background.reap`) before it returns, when it is long gone.
    """
    from .background import reap

    try:
        return _cached(options, cache)
    finally:
        reap(wait=False)


def _cached(options: Options, cache: bool) -> Generation:
    """`generate`, from the cache when it has these inputs (its children not yet reaped)."""
    from functools import partial
    from pathlib import Path

    from .background import Background

    # From here on, the schema is parsed (sqlglot imported) in a child process on
    # the other core while this one hashes the inputs and imports the rest
    # (background.py; in the `storegen` command, the child forked at start-up,
    # spare.py); a cache hit stops the child.
    sources = read_sources(options)
    with Background(parse_sources, *sources) as parsing:
        if not cache:
            return _generate(options, parsing)
        from .backends.manifest import builtin_templates_dir
        from .output import cache as generations

        key = generations.generation_key(
            options,
            Path(__file__).resolve().parent,
            [builtin_templates_dir(), *options.templates],
            sources,
        )
        hit = generations.load(options.root, key)
        if hit is not None:
            # The schema of the text the key was made from, not the files as they are now.
            load = partial(schema_of, sources, options)
            generation = Generation(files=hit[0], load=load, tables=hit[1])
            generation.key = key
            return generation
        generation = _generate(options, parsing)
    generation.key = key
    if generations.still_as_keyed(options, key):  # else a file changed during the run
        generations.store(options.root, key, generation.files, len(generation.schema.tables))
    return generation


def _generate(options: Options, parsing: Background[Schema]) -> Generation:
    # While the child parses: imports (none loads sqlglot), the common templates,
    # and the modules that finish files (the children that finish them inherit them).
    import unicodedata  # noqa: F401  # output.rules measures wide characters with it
    from dataclasses import replace

    from .backends.manifest import load_backend
    from .migrations.embed import migration_sets
    from .output import finish
    from .output import layout as _layout  # noqa: F401  # else each half imports it (~1.5 ms)
    from .output import symbols as _symbols  # noqa: F401
    from .output.cache import template_bytecode_cache
    from .render.context import build_package_view
    from .render.faces import SYNC_FILES
    from .render.type_typos import near_miss_types
    from .render.templates import make_environment, preload

    env = make_environment(options.templates)
    env.bytecode_cache = template_bytecode_cache(env)
    preload(env, [*COMMON_FILES.values(), *SYNC_FILES.values(), SQL_TEMPLATE])
    try:  # needs no schema: done while the child parses (on bad input, again below, in order)
        backends = [load_backend(name, options.templates) for name in options.backends]
        ahead = (migration_sets(options, backends), _runtime_sources(backends))
    except StoregenError:
        ahead = None
    schema = parsing.result()
    check_strict_types(schema, options)
    if ahead is None:
        backends = [load_backend(name, options.templates) for name in options.backends]
    for backend in backends:
        if backend.dialect != "sqlite":
            from .queries.objects import refuse_search_off_sqlite

            for query in schema.queries:  # FTS5 is SQLite's alone
                refuse_search_off_sqlite(query, backend.dialect)
    view = build_package_view(
        schema, options, tuple(options.display_path(p) for p in options.schema)
    )
    view = replace(
        view,
        backends=tuple(b.module for b in backends),
        migration_sets=ahead[0] if ahead else migration_sets(options, backends),
    )
    cache = options.root / ".storegen-cache" / "black"
    if options.templates:  # user templates: everything rendered, then black over it (its pool)
        rendered = _render_common(env, view, backends)
        _render_backends(rendered, env, schema, options, view, backends)
        files = finish.finish_many(rendered, cache, black=True)
    else:  # built-in templates print black-stable code: laid out here, without black
        files = _two_halves(env, schema, options, view, backends, cache)
    files["py.typed"] = ""
    runtime = ahead[1] if ahead else _runtime_sources(backends)
    files.update({name: f"{view.header}\n{text}" for name, text in runtime.items()})
    generation = Generation(schema=schema, files=files)
    generation.warnings = tuple(near_miss_types(schema, options))
    return generation


# Rendered and finished with the SQL, in the child (`_two_halves`): with these the
# two halves end together at 8 tables (instrumented, 21 interleaved cold runs on
# 2026-12-05, after the SQL and finishing passes; bench/RESULTS.md).
WITH_SQL = ("contracts.py", "_rows.py", "schema.py")


def _two_halves(
    env: Any,
    schema: Schema,
    options: Options,
    view: PackageView,
    backends: list[Backend],
    cache: Path,
) -> dict[str, str]:
    """Every file, rendered and finished on two cores: a child builds the SQL, renders the
    backend modules and `WITH_SQL` and finishes them, while this process renders and
    finishes the other common files. Without a child (no fork) it is all done here."""
    from .background import Background
    from .output import finish

    sql_half = Background(_sql_half, env, schema, options, view, backends, cache)
    try:
        rendered = _render_common(env, view, backends, skip=WITH_SQL)
        done: dict[str, Finished] = finish.finish_here(rendered, cache)
        from_child = sql_half.result()
    finally:  # its exit is waited for at the end of `generate` (background.reap)
        sql_half.close(later=True)
    done.update(from_child)
    order = [*COMMON_FILES, *rendered, *from_child]  # as rendered in one process
    files: dict[str, str] = {}
    for name in dict.fromkeys(order):
        finished = done[name]
        if isinstance(finished, TemplateError):  # the first broken file, in that order
            raise finished
        files[name] = finished
    return files


def _sql_half(
    env: Any,
    schema: Schema,
    options: Options,
    view: PackageView,
    backends: list[Backend],
    cache: Path,
) -> dict[str, Finished]:
    """In the child of `_two_halves`: `WITH_SQL`, the SQL and backend modules, finished."""
    from .output import finish
    from .render.faces import face
    from .render.templates import render_template, template_path

    rendered = {
        name: (
            render_template(env, COMMON_FILES[name], pkg=view, **face(None, backends)),
            template_path(env, COMMON_FILES[name]),
        )
        for name in WITH_SQL
    }
    _render_backends(rendered, env, schema, options, view, backends)
    return finish.finish_here(rendered, cache)


def _render_common(
    env: Any, view: PackageView, backends: list[Backend], skip: tuple[str, ...] = ()
) -> dict[str, tuple[str, str]]:
    """The common files (but `skip`), and the sync face's when a backend is sync."""
    from .render.faces import SYNC_FILES, face
    from .render.templates import render_template, template_path

    rendered: dict[str, tuple[str, str]] = {
        name: (
            render_template(env, template, pkg=view, **face(None, backends)),
            template_path(env, template),
        )
        for name, template in COMMON_FILES.items()
        if name not in skip
    }
    sync_backend = next((b for b in backends if b.sync), None)
    if sync_backend is not None:  # the same store templates again, without async/await
        sync_face = face(sync_backend, backends)
        for name, template in SYNC_FILES.items():
            rendered[name] = (
                render_template(env, template, pkg=view, **sync_face),
                template_path(env, template),
            )
    return rendered


def _render_backends(
    rendered: dict[str, tuple[str, str]],
    env: Any,
    schema: Schema,
    options: Options,
    view: PackageView,
    backends: list[Backend],
) -> None:
    """Add every backend module, and one SQL module per SQL style, to `rendered`."""
    from .render.context import attach_sql
    from .render.faces import face
    from .render.templates import render_template, template_path

    # The SQL depends on the placeholder style and dialect only: build it once for both.
    # One SQL module per style, which every backend module of that style imports.
    by_style: dict[tuple[str, str], dict[str, dict[str, object]]] = {}
    for backend in backends:
        style = (backend.paramstyle, backend.dialect)
        sql_module = f"_sql_{backend.dialect}_{backend.paramstyle}"
        statements = by_style.get(style)
        if statements is None:
            statements = by_style[style] = attach_sql(view, backend)
            rendered[f"{sql_module}.py"] = (
                render_template(env, SQL_TEMPLATE, pkg=view, sql=statements, backend=backend),
                template_path(env, SQL_TEMPLATE),
            )
        ddl = _backend_ddl(schema, options, view, backend)
        for name, template in backend.files:
            text = render_template(
                env, template, pkg=view, sql=statements, sql_module=sql_module,
                backend=backend, ddl=ddl, **face(backend, backends),
            )  # fmt: skip
            rendered[name] = (text, template_path(env, template))


def _backend_ddl(
    schema: Schema, options: Options, view: PackageView, backend: Backend
) -> tuple[str, ...]:
    """The schema DDL a backend's templates get: SQLite's, or transpiled (`ddl_dialect`)."""
    if backend.ddl_dialect is None or backend.ddl_dialect == "sqlite":
        return view.ddl
    from .backends.ddl import if_not_exists
    from .backends.dialect import schema_ddl  # sqlglot work only for backends that ask

    append_only = {t.name: t.append_only for t in view.tables}
    statements = schema_ddl(schema, options, append_only, backend.ddl_dialect)
    return tuple(if_not_exists(statement, backend.ddl_dialect) for statement in statements)


def _runtime_sources(backends: list[Backend]) -> dict[str, str]:
    """Runtime helpers, copied verbatim under `_runtime/` (behind the header: `_generate`).

    Every package gets the modules the common templates import
    (`BASE_RUNTIME`); a manifest names the modules its stores use, and the
    sibling modules those import (`from .sqlite_conn import ...`) come along,
    so a manifest that lists only `sqlite.py` still ships a working package.
    """
    import re

    from .backends.manifest import runtime_dir

    sibling_import = re.compile(r"^from \.(\w+) import", re.MULTILINE)
    sources: dict[str, str] = {}
    todo = sorted({*BASE_RUNTIME, *(name for backend in backends for name in backend.runtime)})
    while todo:
        name = todo.pop()
        if name in sources:
            continue
        sources[name] = (runtime_dir() / name).read_text(encoding="utf-8")
        todo.extend(f"{module}.py" for module in sibling_import.findall(sources[name]))
    files = {"_runtime/__init__.py": (runtime_dir() / "__init__.py").read_text(encoding="utf-8")}
    for name in sorted(sources):
        files[f"_runtime/{name}"] = sources[name]
    return files


# Imported by the common templates (results, stores, __init__), whatever the backend.
BASE_RUNTIME = (
    "errors.py",
    "convert.py",
    "database.py",
    "connect.py",
    "migrate.py",
    "dynamic.py",
)
