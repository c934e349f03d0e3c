"""Schema and query files to the IR: read where the options are, parsed where sqlglot is.

`read_sources` runs in the `storegen` process, which never imports sqlglot;
`parse_sources` takes plain text, so the parsing child (spare.py) that runs
it needs neither the config module nor pathlib (~4 ms of imports on the
critical path of a cold generation). `load_schema` is both, in one process.
"""

from __future__ import annotations

from .errors import ConfigError, SchemaError

TYPE_CHECKING = False  # typing's, without importing typing before the fork (spare.py)
if TYPE_CHECKING:
    from .config import Options
    from .schema.ir import Schema
    from .schema.lex import SourceFile

# The schema files and the query files as text: ``(display_path, text)`` pairs of each.
Sources = tuple[list[tuple[str, str]], list[tuple[str, str]]]


def load_schema(options: Options) -> Schema:
    """Read, parse and cross-check the schema files named in `options`."""
    return schema_of(read_sources(options), options)


def schema_of(sources: Sources, options: Options) -> Schema:
    """The schema of files already read (`read_sources`), checked as `options` ask."""
    schema = parse_sources(*sources)
    check_strict_types(schema, options)
    return schema


def read_sources(options: Options) -> Sources:
    """The schema and query files named in `options`, read as text.

    Done where the options are (the parsing child gets plain text), and before
    anything else, so that a bad path or encoding is the first error shown.
    """
    if not options.schema and options.missing_config:
        raise ConfigError(options.missing_config)
    if not options.schema:
        raise ConfigError(
            'no schema files configured: add `schema = ["schema/app.sql"]` under '
            "[tool.storegen] in pyproject.toml, or pass --schema FILE"
        )
    from .schema.files import read_schema_files

    schema = read_schema_files(list(options.schema), display=options.display_path)
    queries = read_schema_files(
        list(options.queries), display=options.display_path, kind="query file"
    )
    return schema, queries


def parse_sources(
    schema_sources: list[tuple[str, str]], query_sources: list[tuple[str, str]]
) -> Schema:
    """Parse and cross-check the schema, then type the named queries against it.

    Plain text in, so that the parsing child (spare.py) needs neither the
    config module nor pathlib (~4 ms of imports on the critical path).
    """
    import sqlite3
    from contextlib import closing

    from .queries.parse import parse_queries
    from .records import replace
    from .schema.parse import parse_schema
    from .schema.validate import validate_schema

    scanned: list[SourceFile] = []  # lexed once, for both
    schema = parse_schema(schema_sources, scanned=scanned)
    # The queries are compiled in the database the schema was validated in (~1 ms less
    # than running the schema in a second one, at 8 tables).
    with closing(sqlite3.connect(":memory:")) as db:
        schema = validate_schema(schema, schema_sources, scanned, db)
        if query_sources:  # named queries (issue 7), typed against the validated schema
            schema = replace(schema, queries=parse_queries(query_sources, schema, db))
    return schema


def check_strict_types(schema: Schema, options: Options) -> None:
    """With --strict-types, a type name one edit away from a known one is an error."""
    if options.strict_types:
        from .render.type_typos import near_miss_types

        for warning in near_miss_types(schema, options):
            raise SchemaError(f"{warning.message} (--strict-types)", warning.location)
