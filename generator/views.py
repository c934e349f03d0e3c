"""The objects templates receive: ready-to-print names, annotations and code.

Built by `context.py`; documented for template authors in docs/backends.md.
Nothing here decides what the generated code does, it only spells it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from generator.naming import attribute_name

# context.py imports these from here; `as` marks them re-exported for mypy.
from generator.pysource import docstring_body as docstring_body, merge_imports
from generator.pysource import python_literal as python_literal
from generator.pysource import safe_docstring as safe_docstring


@dataclass(frozen=True, slots=True)
class FieldView:
    """One dataclass field, and how its value converts to and from the database."""

    attr: str
    column: str
    annotation: str
    default: str | None  # Python source of the default, None when required
    default_sql: str | None  # expression DEFAULT the insert falls back to
    secret: bool
    doc: str | None  # a docstring literal, ready to print
    decode: str  # expression with `{}` for the stored value
    encode: str  # expression with `{}` for the Python value
    writable: bool
    imports: tuple[str, ...] = ()
    affinity: str = ""  # the column's SQLite affinity, for dialect workarounds

    @property
    def declaration(self) -> str:
        """`name: type = default`, with `field(repr=False)` for secrets."""
        text = f"{self.attr}: {self.annotation}"
        if self.secret:
            default = "" if self.default is None else f"default={self.default}, "
            return f"{text} = field({default}repr=False)"
        return text if self.default is None else f"{text} = {self.default}"

    def encoded(self, owner: str) -> str:
        """The expression sending `owner.attr` to the database."""
        return self.encode.replace("{}", f"{owner}.{self.attr}")


@dataclass(frozen=True, slots=True)
class ParamView:
    """A method parameter bound to a key column."""

    name: str
    annotation: str
    column: str
    codec_encode: str  # expression with `{}` for the value

    @property
    def declaration(self) -> str:
        return f"{self.name}: {self.annotation}"

    @property
    def encode(self) -> str:
        """The expression sending this parameter to the database."""
        return self.encode_as(self.name)

    def encode_as(self, variable: str) -> str:
        return self.codec_encode.replace("{}", variable)


@dataclass(frozen=True, slots=True)
class MethodView:
    """One method of a contract and of every store implementing it."""

    kind: str  # insert | insert_many | upsert | get | update | delete | list | count
    name: str
    signature: str  # everything after `async def `
    doc: str  # docstring literal
    returns: str  # the T of Result[T]
    params: tuple[ParamView, ...] = ()
    cursor: tuple[ParamView, ...] = ()
    args: str = "()"  # the parameter tuple for the main statement
    args_after: str = "()"  # the parameter tuple past a keyset cursor
    sql: str = ""  # the statement's name in the table's SQL namespace (`self._sql.NAME`)
    sql_after: str = ""  # the name of the statement past a cursor
    query: QueryView | None = None  # set for kind "query" (a named query)

    @staticmethod
    def insert(model: str) -> MethodView:
        return MethodView(
            kind="insert",
            name="insert",
            signature=f"insert(self, row: {model}, ray_id: str) -> Result[{model}]",
            doc=safe_docstring(f"Insert a new {model}; the result holds the row as stored."),
            returns=model,
            sql="INSERT",
        )

    @staticmethod
    def insert_many(model: str) -> MethodView:
        return MethodView(
            kind="insert_many",
            name="insert_many",
            signature=f"insert_many(self, rows: Sequence[{model}], ray_id: str) -> Result[int]",
            doc=safe_docstring(
                f"Insert every {model} in one transaction, all or nothing; the number inserted."
            ),
            returns="int",
            sql="INSERT_MANY",
        )

    @staticmethod
    def upsert(model: str) -> MethodView:
        return MethodView(
            kind="upsert",
            name="upsert",
            signature=f"upsert(self, row: {model}, ray_id: str) -> Result[{model}]",
            doc=safe_docstring(
                f"Insert this {model}, or, when its key exists, write its mutable columns.\n\n"
                "Immutable columns (such as created_at) keep their stored value;\n"
                "the result holds the row as stored."
            ),
            returns=model,
            sql="UPSERT",
        )

    @staticmethod
    def update(model: str) -> MethodView:
        return MethodView(
            kind="update",
            name="update",
            signature=f"update(self, row: {model}, ray_id: str) -> Result[{model}]",
            doc=safe_docstring(
                f"Write every mutable column of this {model}, found by its key.\n\n"
                "Immutable columns (such as created_at) are never overwritten. "
                "NOT_FOUND when no row has the key."
            ),
            returns=model,
            sql="UPDATE",
        )

    @staticmethod
    def get(model: str, suffix: str, params: tuple[ParamView, ...]) -> MethodView:
        name = f"get_by_{suffix}"
        return MethodView(
            kind="get",
            name=name,
            signature=f"{name}(self, {_declare(params)}, ray_id: str) -> Result[{model}]",
            doc=safe_docstring(f"The {model} with this {_words(params)}, or NOT_FOUND."),
            returns=model,
            params=params,
            args=_tuple(p.encode for p in params),
            sql=name.upper(),
        )

    @staticmethod
    def delete(model: str, suffix: str, params: tuple[ParamView, ...]) -> MethodView:
        name = f"delete_by_{suffix}"
        return MethodView(
            kind="delete",
            name=name,
            signature=f"{name}(self, {_declare(params)}, ray_id: str) -> Result[None]",
            doc=safe_docstring(
                f"Delete the {model} with this {_words(params)}; NOT_FOUND when none has it."
            ),
            returns="None",
            params=params,
            args=_tuple(p.encode for p in params),
            sql=name.upper(),
        )

    @staticmethod
    def list_by(
        model: str,
        suffix: str,
        params: tuple[ParamView, ...],
        cursor: tuple[ParamView, ...],
    ) -> MethodView:
        name = f"list_by_{suffix}" if suffix else "list_all"
        keys = [p.encode for p in params]
        if cursor:
            after_type = (
                cursor[0].annotation
                if len(cursor) == 1
                else f"tuple[{', '.join(c.annotation for c in cursor)}]"
            )
            paging = f"limit: int = 100, after: {after_type} | None = None"
            after = (  # each cursor column converts like its key column
                [cursor[0].encode_as("after")]
                if len(cursor) == 1
                else [c.encode_as(f"after[{i}]") for i, c in enumerate(cursor)]
            )
            args, args_after = _tuple([*keys, "limit"]), _tuple([*keys, *after, "limit"])
            how = "ordered by primary key; pass the last row's key as `after` for the next page"
        else:
            paging = "limit: int = 100, offset: int = 0"
            args, args_after = _tuple([*keys, "limit", "offset"]), ""
            how = "in insertion order; the table has no key, so pages use `offset`"
        head = f"{_declare(params)}, " if params else ""
        which = f"with this {_words(params)}" if params else "of the table"
        return MethodView(
            kind="list",
            name=name,
            signature=f"{name}(self, {head}ray_id: str, *, {paging}) -> Result[list[{model}]]",
            doc=safe_docstring(f"Up to `limit` {model} rows {which}, {how}."),
            returns=f"list[{model}]",
            params=params,
            cursor=cursor,
            args=args,
            args_after=args_after,
            sql=name.upper(),
            sql_after=f"{name.upper()}_AFTER" if cursor else "",
        )

    @staticmethod
    def count_by(model: str, suffix: str, params: tuple[ParamView, ...]) -> MethodView:
        name = f"count_by_{suffix}" if suffix else "count_all"
        head = f"{_declare(params)}, " if params else ""
        which = f"with this {_words(params)}" if params else "in the table"
        return MethodView(
            kind="count",
            name=name,
            signature=f"{name}(self, {head}ray_id: str) -> Result[int]",
            doc=safe_docstring(f"How many {model} rows {which}."),
            returns="int",
            params=params,
            args=_tuple(p.encode for p in params),
            sql=name.upper(),
        )


@dataclass(slots=True)
class TableView:
    """Everything the templates print for one table."""

    name: str
    model: str
    contract: str
    store: str
    doc: str
    fields: tuple[FieldView, ...]
    append_only: bool
    methods: tuple[MethodView, ...] = ()
    key_columns: tuple[str, ...] = ()
    update_fields: tuple[FieldView, ...] = ()
    bases: tuple[str, ...] = ()
    own_fields: tuple[FieldView, ...] = ()

    @property
    def name_literal(self) -> str:
        return repr(self.name)

    @property
    def sql_class(self) -> str:
        """The backend modules' namespace class holding this table's SQL (`_sql` of its store)."""
        return f"_{self.model}Sql"

    @property
    def sql_names(self) -> tuple[str, ...]:
        """Every statement name the methods read as `self._sql.NAME`, in method order."""
        return tuple(n for m in self.methods for n in (m.sql, m.sql_after) if n)

    @property
    def table_variable(self) -> str:
        """The module-level name of this table's PyPika `Table` in tables.py."""
        return attribute_name(self.name)

    @property
    def decoder(self) -> str:
        return f"decode_{attribute_name(self.model).rstrip('_')}"

    @property
    def encoder(self) -> str:
        return f"encode_{attribute_name(self.model).rstrip('_')}"

    @property
    def insert_args(self) -> str:
        return _tuple(f.encoded("row") for f in self.fields if f.writable)

    @property
    def update_args(self) -> str:
        by_column = {f.column: f for f in self.fields}
        keys = [by_column[c].encoded("row") for c in self.key_columns]
        return _tuple([*(f.encoded("row") for f in self.update_fields), *keys])

    @property
    def decode_args(self) -> str:
        """`attr=<decoded r[i]>, ...` for building the model from a row."""
        return ", ".join(
            f.attr + "=" + f.decode.replace("{}", f"r[{i}]") for i, f in enumerate(self.fields)
        )

    def fields_for(self, columns: tuple[str, ...]) -> tuple[FieldView, ...] | None:
        """The fields for `columns`, in that order, or None if any is missing."""
        by_column = {f.column: f for f in self.fields}
        if not all(c in by_column for c in columns):
            return None
        return tuple(by_column[c] for c in columns)

    def apply_mixins(self, mixins: list[MixinView]) -> None:
        inherited = {f.column for m in mixins for f in m.fields}
        self.bases = tuple(m.name for m in mixins)
        self.own_fields = tuple(f for f in self.fields if f.column not in inherited)


@dataclass(frozen=True, slots=True)
class MixinView:
    """A dataclass base holding fields that several tables share."""

    name: str
    doc: str
    fields: tuple[FieldView, ...]

    def fits(self, table: TableView) -> bool:
        """True when `table` has these columns with the very same fields."""
        own = table.fields_for(tuple(f.column for f in self.fields))
        return own is not None and own == self.fields


@dataclass(frozen=True, slots=True)
class PackageView:
    """The whole generated package, as the templates see it."""

    package: str
    sources: tuple[str, ...]
    tables: tuple[TableView, ...]
    mixins: tuple[MixinView, ...]
    results_module: str | None
    ddl: tuple[str, ...]
    backends: tuple[str, ...] = field(default=())
    query_rows: tuple[QueryRowView, ...] = field(default=())

    @property
    def query_model_import(self) -> str:
        """`from .models import <row classes of named queries>`, or "" when none."""
        names = ", ".join(r.name for r in self.query_rows)
        return f"from .models import {names}" if names else ""

    @property
    def query_decoder_import(self) -> str:
        """`from ._rows import <decoders of those row classes>`, or "" when none."""
        names = ", ".join(r.decoder for r in self.query_rows)
        return f"from ._rows import {names}" if names else ""

    @property
    def header(self) -> str:
        """The do-not-edit banner: names the schema files, no version, no date."""
        files = ", ".join(s.replace("\n", " ") for s in self.sources)
        return f"# Code generated by storegen from {files}. DO NOT EDIT.\n# Change the schema or the templates and run `storegen generate`."

    @property
    def annotation_imports(self) -> tuple[str, ...]:
        """Imports that field annotations need (datetime, Decimal, Literal)."""
        return tuple(sorted({i for t in self.tables for f in t.fields for i in f.imports}))

    def imports(self, *extra: str) -> tuple[str, ...]:
        """The annotation imports plus `extra`, merged and sorted like isort."""
        return merge_imports([*self.annotation_imports, *extra])

    def merged_imports(self, *lines: str) -> tuple[str, ...]:
        """`lines` alone (no annotation imports), merged and sorted like isort."""
        return merge_imports(lines)

    @property
    def model_imports(self) -> tuple[str, ...]:
        secrets = any(f.secret for t in self.tables for f in t.fields)
        return self.imports("from dataclasses import dataclass" + (", field" if secrets else ""))


def _declare(params: tuple[ParamView, ...]) -> str:
    return ", ".join(p.declaration for p in params)


def _words(params: tuple[ParamView, ...]) -> str:
    return " and ".join(p.column for p in params)


def _tuple(items: Iterable[str]) -> str:
    values = list(items)
    return "()" if not values else f"({', '.join(values)},)"


@dataclass(frozen=True, slots=True)
class QueryView:
    """How a named query's method runs: which database call, and how rows decode."""

    kind: str  # one | many | scalar | exec | execrows
    fetch: str  # the Database method: fetch_one | fetch_all | execute_returning | execute
    decode: str  # expression with `{}` for one row
    sql: str  # the statement as written (SQLite dialect, :name parameters)
    param_names: tuple[str, ...]  # the :names, in placeholder order

    def decode_as(self, row: str) -> str:
        return self.decode.replace("{}", row)


@dataclass(frozen=True, slots=True)
class QueryRowView:
    """The frozen dataclass a named query returns when its rows are no table's rows."""

    name: str
    doc: str
    fields: tuple[FieldView, ...]
    decoder: str

    @property
    def decode_args(self) -> str:
        return ", ".join(
            f.attr + "=" + f.decode.replace("{}", f"r[{i}]") for i, f in enumerate(self.fields)
        )
