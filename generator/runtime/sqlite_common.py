"""What the async (aiosqlite) and sync (stdlib sqlite3) SQLite engines share.

Plain functions on a `sqlite3.Connection`, no driver import: how a path is
resolved, and the transaction steps (BEGIN IMMEDIATE with foreign keys off for a rebuild,
COMMIT or ROLLBACK, savepoints). `sqlite.py` runs them on its worker thread,
`sqlite_sync.py` on the caller's thread; both get the same behaviour from
one copy. How a connection is opened, and how the file is followed when it
is replaced, is `sqlite_files.py`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import urllib.parse
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

MEMORY = ":memory:"
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
Params = Sequence[object] | Mapping[str, object]
Row = tuple[Any, ...]
_D = TypeVar("_D")


class OnePerFile(Generic[_D]):
    """Each engine's `shared()`: one database object per file in this process."""

    def __init__(self, option_names: str) -> None:
        self._by_path: dict[str, tuple[_D, object]] = {}
        self._lock = threading.Lock()
        self._option_names = option_names

    def one(self, db: _D, path: str, options: object) -> _D:
        """The object already open on `path`, else `db`; other options are a ValueError."""
        if path == MEMORY:  # ":memory:" is always private
            return db
        with self._lock:
            existing, its_options = self._by_path.setdefault(path, (db, options))
        if its_options != options:
            raise ValueError(
                f"{path} is already open with {self._option_names}={its_options}; got {options}"
            )
        return existing


def check_options(busy_timeout_ms: int, synchronous: str) -> tuple[int, str]:
    """The validated (busy timeout, synchronous level); ValueError when out of range."""
    if synchronous.upper() not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
    if busy_timeout_ms < 0:
        raise ValueError("busy_timeout_ms must be >= 0")
    return int(busy_timeout_ms), synchronous.upper()


def resolve_path(path: str | os.PathLike[str]) -> str:
    """Normalise a path, `sqlite:///rel`, `sqlite:////abs` or `file:` URI.

    Returns an absolute, symlink-free path (the registry key), or ":memory:".
    """
    text = os.fspath(path)
    if text.startswith("sqlite://"):
        rest = text[len("sqlite://") :]
        if rest in ("", "/", "/" + MEMORY):
            return MEMORY
        if not rest.startswith("/") or "?" in rest:
            raise ValueError(f"expected sqlite:///path or sqlite:////abs/path: {text}")
        text = rest[1:]
    elif text.startswith("file:"):
        parts = urllib.parse.urlsplit(text)
        if parts.query or parts.fragment or parts.netloc not in ("", "localhost"):
            raise ValueError(f"file: URI with a host or parameters: {text}")
        text = urllib.parse.unquote(parts.path)
    if text == MEMORY:
        return MEMORY
    if not text:
        raise ValueError("empty database path")
    return os.path.realpath(text)


def run_sql(sql: str, conn: sqlite3.Connection) -> None:
    conn.execute(sql)


def commit(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def begin(foreign_keys_off: bool, conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE; with `foreign_keys_off`, turn FKs off first.

    The pragma is a no-op inside a transaction (a rebuild would then fire
    ON DELETE CASCADE), so it runs before BEGIN and is checked to have held.
    """
    if foreign_keys_off:
        if conn.in_transaction:
            raise sqlite3.OperationalError(
                "foreign keys can only be turned off outside a transaction"
            )
        conn.execute("PRAGMA foreign_keys=OFF")
        if conn.execute("PRAGMA foreign_keys").fetchone() != (0,):
            conn.execute("PRAGMA foreign_keys=ON")
            raise sqlite3.OperationalError("PRAGMA foreign_keys=OFF did not take effect")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except BaseException:
        if foreign_keys_off:
            conn.execute("PRAGMA foreign_keys=ON")
        raise


def end(commit_it: bool, foreign_keys_off: bool, conn: sqlite3.Connection) -> None:
    """COMMIT (or ROLLBACK), then foreign keys back on if `begin` turned them off."""
    try:
        if commit_it:
            commit(conn)
        else:
            rollback(conn)
    finally:
        if foreign_keys_off:
            conn.execute("PRAGMA foreign_keys=ON")


def rollback_to(name: str, conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")


def undo(conn: sqlite3.Connection, nested: bool, savepoint: str) -> None:
    """Roll back a failed multi-statement call: its savepoint, or the whole transaction."""
    if nested:
        conn.execute(f"ROLLBACK TO {savepoint}")
        conn.execute(f"RELEASE {savepoint}")
    elif conn.in_transaction:
        conn.execute("ROLLBACK")


def many(sql: str, batch: Sequence[Any], conn: sqlite3.Connection) -> int:
    """`sql` once per row, all or nothing: a transaction, or a savepoint inside one."""
    nested = conn.in_transaction
    conn.execute("SAVEPOINT storegen_many" if nested else "BEGIN IMMEDIATE")
    try:
        count: int = conn.executemany(sql, batch).rowcount
        conn.execute("RELEASE storegen_many" if nested else "COMMIT")
    except BaseException:
        undo(conn, nested, "storegen_many")
        raise
    return count


# One statement on a connection: what the sync engine's writer runs.
def fetch_one(sql: str, params: Params, conn: sqlite3.Connection) -> Row | None:
    cursor = conn.execute(sql, params)
    try:
        row: Row | None = cursor.fetchone()
        return row
    finally:
        cursor.close()  # ends the statement, so no read snapshot lingers


def fetch_all(sql: str, params: Params, conn: sqlite3.Connection) -> list[Row]:
    rows: list[Row] = conn.execute(sql, params).fetchall()
    return rows


def fetch_first(sql: str, params: Params, conn: sqlite3.Connection) -> Row | None:
    rows: list[Row] = conn.execute(sql, params).fetchall()
    return rows[0] if rows else None


def execute_one(sql: str, params: Params, conn: sqlite3.Connection) -> int:
    cursor = conn.execute(sql, params)
    count = cursor.rowcount
    cursor.close()
    return count


def then_fetch(
    sql: str, params: Any, read_sql: str, key_at: Sequence[int], conn: sqlite3.Connection
) -> tuple[Any, ...] | None:
    """A write with RETURNING, then a read by the returned key, in one transaction."""
    nested = conn.in_transaction
    conn.execute("SAVEPOINT storegen_read_back" if nested else "BEGIN IMMEDIATE")
    try:
        written = conn.execute(sql, params).fetchall()
        found: tuple[Any, ...] | None = None
        if written:
            key = [written[0][i] for i in key_at]
            found = conn.execute(read_sql, key).fetchone()
        conn.execute("RELEASE storegen_read_back" if nested else "COMMIT")
    except BaseException:
        undo(conn, nested, "storegen_read_back")
        raise
    return found


def script(text: str, conn: sqlite3.Connection) -> None:
    """A DDL script in one transaction; it must not BEGIN/COMMIT itself."""
    try:
        conn.executescript(f"BEGIN IMMEDIATE;\n{text}\n;\nCOMMIT;")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if conn.in_transaction:  # e.g. an unclosed /* swallowed the COMMIT
        conn.execute("ROLLBACK")
        raise sqlite3.OperationalError("schema script is incomplete")


READ, WRITE = 1, 2
# Or-ed into the kind of a call of the open transaction (async engine): the
# worker runs no other call while its connection is inside a transaction.
TX = 4
_K = TypeVar("_K")
# A call: (function of the connection, whom to answer, READ/WRITE/0 [| TX]); its
# outcome: (whom to answer, succeeded?, value or exception).
Call = tuple[Callable[[sqlite3.Connection], Any], _K, int]
Outcome = tuple[_K, bool, Any]


_KINDS: dict[str, int] = {}  # the store's SQL is a few constant strings: ~60 ns, not ~250
# SELECTs seen, for the reads' hot path: `sql in SELECTS` ~15 ns, `.startswith` ~55.
# Both bounded: the stores' SQL is constant, but SQL a user builds per call must not
# grow them without end: each keeps < _REMEMBER texts shorter than _LONGEST, _ROOM
# characters in all: 2 MiB, not 32 MB (the 290 statements of 8 tables take 80 KB).
SELECTS: set[str] = set()
_REMEMBER, _LONGEST, _ROOM = 4096, 8192, 2 << 20
_room = {"SELECTS": _ROOM, "_KINDS": _ROOM}  # characters each may still take


def is_select(sql: str) -> bool:
    """Whether `sql` is a SELECT (a read a reader connection may run); remembered."""
    if not sql.startswith("SELECT"):
        return False
    if len(SELECTS) < _REMEMBER and len(sql) < min(_LONGEST, _room["SELECTS"]):
        if sql not in SELECTS:
            _room["SELECTS"] -= len(sql)
            SELECTS.add(sql)
    return True


def kind(sql: str) -> int:
    """READ for a SELECT, WRITE for INSERT/UPDATE/DELETE/REPLACE, else 0 (never grouped)."""
    found = _KINDS.get(sql)
    if found is None:
        head = sql.lstrip()[:7].upper()
        if head.startswith("SELECT"):
            found = READ
        elif head.startswith(("INSERT", "UPDATE", "DELETE", "REPLACE")):
            found = WRITE
        else:
            found = 0
        if len(_KINDS) < _REMEMBER and len(sql) < min(_LONGEST, _room["_KINDS"]):
            _room["_KINDS"] -= len(sql)
            _KINDS[sql] = found
    return found


class Answer:
    """Where the thread that runs a queued write leaves its outcome (sync engine)."""

    __slots__ = ("done", "ok", "value")

    def __init__(self) -> None:
        self.done = self.ok = False
        self.value: Any = None


def take_queued(queue: deque[Call[Answer]]) -> list[Call[Answer]]:
    """Every call queued so far, one atomic popleft each (threads append meanwhile)."""
    batch: list[Call[Answer]] = []
    while queue:
        batch.append(queue.popleft())
    return batch


def fail_unrun(calls: list[Call[Answer]], exc: BaseException) -> None:
    """Answer `calls` (taken off the queue, not run) with `exc`."""
    for _, answer, _ in calls:
        answer.ok, answer.value, answer.done = False, exc, True


def run_one(raw: sqlite3.Connection | None, call: Call[_K]) -> Outcome[_K]:
    fn, answer, _ = call
    try:
        if raw is None:
            raise ValueError("Connection closed")
        return (answer, True, fn(raw))
    except BaseException as exc:  # noqa: B036 - handed to the caller
        return (answer, False, exc)


def run_group(raw: sqlite3.Connection, group: list[Call[_K]]) -> list[Outcome[_K]]:
    """Run `group` in one transaction, a savepoint per call; one COMMIT (group commit).

    A failing call fails alone (its savepoint is rolled back); every caller
    learns its outcome only after the COMMIT, so durability is that of one
    commit per call. The async worker and the sync writer both use this.
    """
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.Error:
        return [run_one(raw, call) for call in group]
    results: list[Outcome[_K]] = []
    for index, (fn, answer, _) in enumerate(group):
        try:
            raw.execute("SAVEPOINT storegen_call")
            value = fn(raw)
            raw.execute("RELEASE storegen_call")
            results.append((answer, True, value))
        except BaseException as exc:  # noqa: B036 - handed to the caller
            if raw.in_transaction:
                try:
                    raw.execute("ROLLBACK TO storegen_call")
                    raw.execute("RELEASE storegen_call")
                except sqlite3.Error:
                    raw.execute("ROLLBACK")
            results.append((answer, False, exc))
            if not raw.in_transaction:
                # SQLite rolled the whole group back: run the rest one by one.
                redo = [c for c, r in zip(group[:index], results) if r[1]]
                failed = [r for r in results if not r[1]]
                rest = [run_one(raw, c) for c in redo + group[index + 1 :]]
                return failed + rest
    try:
        raw.execute("COMMIT")
    except BaseException as exc:  # noqa: B036
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        return [(answer, False, exc) for answer, _, _ in results]
    return results
