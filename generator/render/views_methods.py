"""The views of store methods: their parameters, signatures, docstrings and arguments.

`MethodView` spells one method of a contract and its stores (built by
`context.py`, and by `queries/methods.py` for named queries, with a
`QueryView`); split from `views.py` so that module stays about tables.
"""

from __future__ import annotations

from collections.abc import Iterable

from .pysource import safe_docstring
from ..records import record

# Every store method takes a ray_id for tracing, and makes one when it is omitted.
RAY_ID = "ray_id: str | None = None"


@record
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


@record
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
    # For a write whose row an AFTER trigger rewrites: the get-by-key statement
    # that reads it back, and the positions of the key in the RETURNING row.
    read_back: str = ""
    read_back_key: str = "()"
    # patch: the get-by-key statement that answers a call giving no column,
    # and the lines (Python source) that collect the columns given.
    fallback: str = ""
    lines: tuple[str, ...] = ()

    @staticmethod
    def insert(model: str) -> MethodView:
        return MethodView(
            kind="insert",
            name="insert",
            signature=f"insert(self, row: {model}, {RAY_ID}) -> Result[{model}]",
            doc=safe_docstring(f"Insert a new {model}; the result holds the row as stored."),
            returns=model,
            sql="INSERT",
        )

    @staticmethod
    def insert_many(model: str) -> MethodView:
        return MethodView(
            kind="insert_many",
            name="insert_many",
            signature=f"insert_many(self, rows: Sequence[{model}], {RAY_ID}) -> Result[int]",
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
            signature=f"upsert(self, row: {model}, {RAY_ID}) -> Result[{model}]",
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
            signature=f"update(self, row: {model}, {RAY_ID}) -> Result[{model}]",
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
            signature=f"{name}(self, {_declare(params)}, {RAY_ID}) -> Result[{model}]",
            doc=safe_docstring(f"The {model} with this {_words(params)}, or NOT_FOUND."),
            returns=model,
            params=params,
            args=arg_tuple(p.encode for p in params),
            sql=name.upper(),
        )

    @staticmethod
    def delete(model: str, suffix: str, params: tuple[ParamView, ...]) -> MethodView:
        name = f"delete_by_{suffix}"
        return MethodView(
            kind="delete",
            name=name,
            signature=f"{name}(self, {_declare(params)}, {RAY_ID}) -> Result[None]",
            doc=safe_docstring(
                f"Delete the {model} with this {_words(params)}; NOT_FOUND when none has it."
            ),
            returns="None",
            params=params,
            args=arg_tuple(p.encode for p in params),
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
            args, args_after = arg_tuple([*keys, "limit"]), arg_tuple([*keys, *after, "limit"])
            how = "ordered by primary key; pass the last row's key as `after` for the next page"
        else:
            paging = "limit: int = 100, offset: int = 0"
            args, args_after = arg_tuple([*keys, "limit", "offset"]), ""
            how = "in a stable order (rowid on SQLite); the table has no key, so pages use `offset`"
        head = f"{_declare(params)}, " if params else ""
        which = f"with this {_words(params)}" if params else "of the table"
        return MethodView(
            kind="list",
            name=name,
            signature=f"{name}(self, {head}{RAY_ID}, *, {paging}) -> Result[list[{model}]]",
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
            signature=f"{name}(self, {head}{RAY_ID}) -> Result[int]",
            doc=safe_docstring(f"How many {model} rows {which}."),
            returns="int",
            params=params,
            args=arg_tuple(p.encode for p in params),
            sql=name.upper(),
        )


@record
class QueryView:
    """How a named query's method runs: which database call, and how rows decode."""

    kind: str  # one | many | scalar | exec | execrows | execlastid | batchexec
    fetch: str  # the Database method: fetch_one | fetch_all | execute_returning | execute
    decode: str  # expression with `{}` for one row
    sql: str  # the statement as written (SQLite dialect, :name parameters)
    param_names: tuple[str, ...]  # the :names, in placeholder order
    # The SQL and the parameters the call sends (Python source). A query whose
    # text depends on the call (IN-lists aside) picks its precomputed variant:
    # `prelude` binds `statement` and `bound` from `_dynamic.pick`.
    statement: str = ""
    arguments: str = "()"
    prelude: tuple[str, ...] = ()
    sequences: tuple[str, ...] = ()  # IN-list parameters: one value each
    # (mask, order, after, SQLite text with :names) per variant, and the :names
    # of the full argument tuple the variants pick their parameters from.
    variants: tuple[tuple[int, str, bool, str], ...] = ()
    full_names: tuple[str, ...] = ()

    def decode_as(self, row: str) -> str:
        return self.decode.replace("{}", row)


def _declare(params: tuple[ParamView, ...]) -> str:
    return ", ".join(p.declaration for p in params)


def _words(params: tuple[ParamView, ...]) -> str:
    return " and ".join(p.column for p in params)


def arg_tuple(items: Iterable[str]) -> str:
    """Python source of a tuple of these expressions: `()`, `(a,)`, `(a, b)`."""
    values = list(items)
    return "()" if not values else f"({', '.join(values)},)"
