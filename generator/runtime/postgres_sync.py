"""A PostgreSQL database for the sync stores, through psycopg 3; threads share it.

A connection per thread (made on the thread's first call, in autocommit
mode): PostgreSQL serves concurrent connections itself, so threads never
wait on each other in the process, and a thread's transaction lives on its
own connection, which no other thread touches. `RawCursor` sends the same
`$1, $2` statements as the asyncpg backend (`_sql_postgres_dollar.py`).
Every statement has a deadline (`statement_timeout`, `timeout` seconds);
a broken connection is replaced on the next call. Errors map to the same
ErrorCodes and messages as the async backend (`postgres_common.py`).

`with db.transaction():` is BEGIN ... COMMIT on the thread's connection (a
SAVEPOINT when nested); inside it each call runs in a savepoint of its own,
so a call that fails (a FailedResult) leaves the block usable, as on SQLite.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

try:  # the driver is an extra: say which one, in one line
    import psycopg
except ImportError:
    raise ImportError(
        "the postgres_sync stores need psycopg 3: pip install 'storegen[postgres-sync]'"
    ) from None

from psycopg.types.string import TextLoader

from .errors import Failure
from .postgres_codecs import SERVER_SETTINGS, utc_text
from .postgres_common import (
    DEFAULT_TIMEOUT,
    MIGRATION_LOCK_KEY,
    PgError,
    check_url,
    classify_postgres,
)

__all__ = ["SyncPostgresDatabase", "classify_psycopg_error"]

_T = TypeVar("_T")
Row = tuple[Any, ...]
_SHARED: dict[tuple[str, float], SyncPostgresDatabase] = {}
_SHARED_LOCK = threading.Lock()
_get_ident = threading.get_ident


def classify_psycopg_error(
    exc: BaseException, table: str, *, operation: str | None = None
) -> Failure:
    """An ErrorCode and a client-safe message for what psycopg (or a decoder) raised."""
    error = None
    if isinstance(exc, psycopg.Error) and exc.sqlstate:
        diag = exc.diag
        error = PgError(
            sqlstate=exc.sqlstate,
            message=diag.message_primary or "",
            table_name=diag.table_name,
            column_name=diag.column_name,
            constraint_name=diag.constraint_name,
            detail=diag.message_detail,
        )
    unavailable = isinstance(
        exc, (psycopg.OperationalError, psycopg.InterfaceError, ConnectionError, TimeoutError)
    )
    return classify_postgres(exc, error, table, operation, unavailable=unavailable)


class _UtcTextLoader(TextLoader):
    """timestamptz as the canonical UTC text the shared decoders read (see postgres_codecs)."""

    def load(self, data: Any) -> str:
        text = super().load(data)
        return utc_text(text if isinstance(text, str) else text.decode())


class SyncPostgresDatabase:
    """A PostgreSQL database reached by URL; a connection per thread, opened lazily."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be > 0 seconds")
        self._url = check_url(url)
        self._timeout = float(timeout)
        self._conns: dict[int, psycopg.Connection[Row]] = {}
        self._conns_lock = threading.Lock()

    @classmethod
    def shared(cls, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> SyncPostgresDatabase:
        """The one instance for this URL and timeout in this process."""
        db = cls(url, timeout=timeout)
        with _SHARED_LOCK:
            return _SHARED.setdefault((db._url, db._timeout), db)

    @property
    def sql_dialect(self) -> str:
        """The SQL dialect of this database's DDL and migrations: "postgres"."""
        return "postgres"

    @property
    def url(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return "SyncPostgresDatabase(<url hidden>)"  # a URL may hold a password

    def classify_error(self, exc: BaseException, table: str, operation: str) -> Failure:
        return classify_psycopg_error(exc, table, operation=operation)

    def fetch_one(self, sql: str, params: Sequence[object]) -> Row | None:
        return self._run(lambda conn: conn.execute(sql, params).fetchone())

    def fetch_all(self, sql: str, params: Sequence[object]) -> list[Row]:
        return self._run(lambda conn: conn.execute(sql, params).fetchall())

    def execute(self, sql: str, params: Sequence[object]) -> int:
        # No parameters: the simple protocol, which runs several statements (migrations).
        return self._run(lambda conn: conn.execute(sql, params or None).rowcount)

    def execute_returning(self, sql: str, params: Sequence[object]) -> Row | None:
        return self.fetch_one(sql, params)

    def execute_then_fetch(
        self, sql: str, params: Sequence[object], read_sql: str, key_at: Sequence[int]
    ) -> Row | None:
        """The write, then a read by the returned key, in one transaction."""

        def op(conn: psycopg.Connection[Row]) -> Row | None:
            with conn.transaction():
                written = conn.execute(sql, params).fetchone()
                if written is None:
                    return None
                return conn.execute(read_sql, [written[i] for i in key_at]).fetchone()

        return self._run(op)

    def execute_many(self, sql: str, rows: Iterable[Sequence[object]]) -> int:
        """Every row in one transaction (a savepoint inside one): all or nothing."""
        batch = list(rows)
        if not batch:
            return 0

        def op(conn: psycopg.Connection[Row]) -> int:
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(sql, batch)
                return cursor.rowcount

        return self._run(op)

    def execute_script(self, script: str) -> None:
        def op(conn: psycopg.Connection[Row]) -> None:
            with conn.transaction():
                conn.execute(script)

        self._run(op)

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Make every call of this thread inside the block one atomic unit.

        COMMIT on success, ROLLBACK when an exception leaves it (it
        propagates); a nested block is a savepoint. Other threads run on
        their own connections and see only what was committed.
        """
        return self._transaction(False)

    def migration_transaction(
        self, *, foreign_keys_off: bool = False
    ) -> contextlib.AbstractContextManager[None]:
        """`transaction()` holding the migrations' advisory lock until it ends.

        PostgreSQL alters tables in place, so `foreign_keys_off` changes nothing.
        """
        return self._transaction(True)

    @contextlib.contextmanager
    def _transaction(self, migration_lock: bool) -> Iterator[None]:
        conn = self._connection()
        with conn.transaction():
            if migration_lock:
                conn.execute("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY])
            yield

    def close(self) -> None:
        """Close every thread's connection; the next call opens a new one."""
        with self._conns_lock:
            conns, self._conns = self._conns, {}
        for conn in conns.values():
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def __enter__(self) -> SyncPostgresDatabase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, op: Callable[[psycopg.Connection[Row]], _T]) -> _T:
        conn = self._connection()
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            # Inside transaction(): a savepoint per call, so a failed call
            # leaves the block usable.
            with conn.transaction():
                return op(conn)
        return op(conn)

    def _connection(self) -> psycopg.Connection[Row]:
        me = _get_ident()
        conn = self._conns.get(me)
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        conn = psycopg.connect(
            self._url,
            autocommit=True,
            cursor_factory=psycopg.RawCursor,
            connect_timeout=max(1, math.ceil(self._timeout)),
            options=" ".join(
                [f"-c statement_timeout={int(self._timeout * 1000)}"]
                + [f"-c {name}={value}" for name, value in SERVER_SETTINGS.items()]
            ),
        )
        # The same value forms as the asyncpg backend (postgres_codecs.py): the
        # session in UTC, timestamptz as canonical UTC text, json(b) as text.
        conn.adapters.register_loader("timestamptz", _UtcTextLoader)
        conn.adapters.register_loader("jsonb", TextLoader)
        conn.adapters.register_loader("json", TextLoader)
        with self._conns_lock:  # copy on write: readers of the dict never lock
            self._conns = {**self._conns, me: conn}
        return conn
