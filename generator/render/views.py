"""The objects templates receive: ready-to-print names, annotations and code.

Built by `context.py`; documented for template authors in docs/backends.md.
Nothing here decides what the generated code does, it only spells it.
The method views (`MethodView`, `ParamView`, `QueryView`) live in
`views_methods.py` and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .flavours import DATACLASS, ModelFlavour
from .typemap import JSON_IMPORT
from .naming import attribute_name

# context.py imports these from here; `as` marks them re-exported for mypy.
from .pysource import docstring_body as docstring_body, merge_imports
from .pysource import python_literal as python_literal
from .pysource import safe_docstring as safe_docstring

# Method views live in views_methods.py; re-exported so `generator.render.views` still has them.
from .views_methods import MethodView as MethodView
from .views_methods import ParamView as ParamView
from .views_methods import QueryView as QueryView
from .views_methods import arg_tuple
from ..records import record

# The Python default of a column the database fills in (rowid alias, expression
# DEFAULT, generated column): the `DEFAULT` sentinel of `_runtime/convert.py`.
DB_DEFAULT = "DEFAULT"
_SENTINEL = "_convert.DEFAULT"


# `_foreign_keys` is printed at this indent, in a file black formats at 100 columns.
_FOREIGN_KEYS_PREFIX = "    _foreign_keys: ClassVar[tuple[str, ...]] = "
_LINE_LENGTH = 100


@record
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
    table: str = ""  # the table's name, for the errors the encoders raise
    affinity: str = ""  # the column's SQLite affinity, for dialect workarounds
    db_filled: bool = False  # default is the DEFAULT sentinel: the database fills it in
    exact_text: bool = False  # an exact decimal, sent as text (a BLOB on SQLite)

    @property
    def declaration(self) -> str:
        """`name: type = default`, with `field(repr=False)` for secrets."""
        text = f"{self.attr}: {self.annotation}"
        if self.secret:
            default = "" if self.default is None else f"default={self.default}, "
            return f"{text} = field({default}repr=False)"
        return text if self.default is None else f"{text} = {self.default}"

    def encoded(self, owner: str) -> str:
        """The expression sending `owner.attr` to the database in an insert.

        The `DEFAULT` sentinel goes as NULL: the insert's SQL (COALESCE, or
        the rowid) puts the database's value in its place.
        """
        value = f"{owner}.{self.attr}"
        encode = self.encode.replace("{}", value)
        if not self.db_filled:
            return encode
        return f"None if {value} is {_SENTINEL} else {encode}"

    def encoded_for_update(self, owner: str) -> str:
        """Like `encoded`, but `DEFAULT` is refused: an update writes the row's own values."""
        value = f"{owner}.{self.attr}"
        encode = self.encode.replace("{}", value)
        if not self.db_filled:
            return encode
        refuse = f"_convert.refuse_default({self.table!r}, {self.column!r})"
        return f"{refuse} if {value} is {_SENTINEL} else {encode}"


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
    # Each foreign key's columns as a failure message names them: `author_id`, `(a, b)`.
    foreign_keys: tuple[str, ...] = ()
    # Case-insensitive (COLLATE NOCASE) comparisons: per key, and per column.
    nocase_keys: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    nocase_columns: frozenset[str] = frozenset()
    # Expression DEFAULTs as PostgreSQL computes them (pg_defaults), by column.
    postgres_defaults: dict[str, str] = field(default_factory=dict)
    # A table without a primary key: the columns its list pages order by
    # where there is no rowid (PostgreSQL): a NOT NULL unique key, or all.
    rowless_order: tuple[str, ...] = ()
    read_only: bool = False  # a view's store: reads only, a frozen model

    def nocase(self, columns: tuple[str, ...]) -> frozenset[str]:
        """Which of these key columns a lookup compares case-insensitively."""
        found = self.nocase_keys.get(columns)
        return found if found is not None else self.nocase_columns & frozenset(columns)

    @property
    def name_literal(self) -> str:
        return repr(self.name)

    @property
    def foreign_keys_literal(self) -> str:
        """The tuple as black lays it out: on the line when it fits, else one per line."""
        flat = repr(self.foreign_keys)
        if len(_FOREIGN_KEYS_PREFIX) + len(flat) <= _LINE_LENGTH:
            return flat
        return "(\n" + "".join(f"        {key!r},\n" for key in self.foreign_keys) + "    )"

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
        return arg_tuple(f.encoded("row") for f in self.fields if f.writable)

    @property
    def update_args(self) -> str:
        by_column = {f.column: f for f in self.fields}
        keys = [by_column[c].encoded_for_update("row") for c in self.key_columns]
        sets = (f.encoded_for_update("row") for f in self.update_fields)
        return arg_tuple([*sets, *keys])

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


@record
class MixinView:
    """A dataclass base holding fields that several tables share."""

    name: str
    doc: str
    fields: tuple[FieldView, ...]

    def fits(self, table: TableView) -> bool:
        """True when `table` has these columns with the very same fields."""
        own = table.fields_for(tuple(f.column for f in self.fields))
        return own is not None and own == self.fields


@record
class MigrationView:
    """One migration file, embedded as text."""

    name: str
    sql: str
    foreign_keys_off: bool


@record
class MigrationSetView:
    """One dialect's migrations: a constant in migrations.py, and where its DDL lives."""

    constant: str  # SQLITE_MIGRATIONS, POSTGRES_MIGRATIONS
    dialect: str  # the `sql_dialect` of the databases it is for
    folder: str  # as shown in the docstring
    migrations: tuple[MigrationView, ...]
    ddl_module: str  # the module defining the schema DDL for `schema_drift`
    ddl_name: str


@record
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
    migration_sets: tuple[MigrationSetView, ...] = field(default=())
    models: ModelFlavour = DATACLASS  # dataclasses or pydantic BaseModels

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
        """Imports that field annotations need (datetime, Decimal, Literal, JsonValue)."""
        found = {i for t in self.tables for f in t.fields for i in f.imports}
        found |= {i for r in self.query_rows for f in r.fields for i in f.imports}
        if self.uses_json:
            found.add(JSON_IMPORT)
        return tuple(sorted(found))

    @property
    def uses_json(self) -> bool:
        """True when an annotation names `JsonValue`: models.py then defines and exports it."""
        fields = [f for t in self.tables for f in t.fields]
        fields += [f for r in self.query_rows for f in r.fields]
        return any("JsonValue" in f.annotation for f in fields) or any(
            "JsonValue" in m.signature for t in self.tables for m in t.methods
        )

    def imports(self, *extra: str) -> tuple[str, ...]:
        """The annotation imports plus `extra`, merged and sorted like isort."""
        return merge_imports([*self.annotation_imports, *extra])

    def merged_imports(self, *lines: str) -> tuple[str, ...]:
        """`lines` alone (no annotation imports), merged and sorted like isort."""
        return merge_imports(lines)

    @property
    def model_imports(self) -> tuple[str, ...]:
        secrets = any(f.secret for t in self.tables for f in t.fields)
        return self.models.imports(self.annotation_imports, secrets=secrets)

    @property
    def models_runtime_import(self) -> str:
        """models.py's `from ._runtime.convert import ...` (DEFAULT, the dataclasses' JsonValue)."""
        names = ["DEFAULT"] if self.uses_db_default else []
        names += ["JsonValue"] if self.uses_json and not self.models.pydantic else []
        return f"from ._runtime.convert import {', '.join(names)}" if names else ""

    @property
    def uses_db_default(self) -> bool:
        """True when some model field defaults to the `DEFAULT` sentinel."""
        return any(f.db_filled for t in self.tables for f in t.fields)


@record
class QueryRowView:
    """The frozen dataclass a named query returns when its rows are no table's rows."""

    name: str
    doc: str
    fields: tuple[FieldView, ...]
    decoder: str
    # Each field's result column; an embedded model's decode names its own slice.
    positions: tuple[int, ...] = ()

    @property
    def decode_args(self) -> str:
        at = self.positions or tuple(range(len(self.fields)))
        return ", ".join(
            f.attr + "=" + f.decode.replace("{}", f"r[{at[i]}]") for i, f in enumerate(self.fields)
        )
