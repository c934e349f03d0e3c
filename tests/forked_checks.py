"""Checks of generator/background.py that need this process to fork.

`Background` forks only when no other thread runs, and a long pytest session
has threads left by earlier tests, so tests/test_background.py runs each
function here in a fresh interpreter (`python -c`), where a failed assert is
a non-zero exit with its traceback.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from storegen import load_schema, spare
from storegen.__main__ import _warm_parser
from storegen.background import Background
from storegen.config import load_options
from storegen.errors import SchemaError
from storegen.schema.ir import Location
from tests.test_golden import REPO, case_options, discover_cases


def _forked(job: Background[Any]) -> Background[Any]:
    assert job._pid is not None, "this check needs a fork (another thread running?)"
    return job


def result_is_computed_in_a_child_process() -> None:
    with _forked(Background(os.getpid)) as job:
        assert job.result() != os.getpid()


def every_schema_crosses_the_pipe_unchanged() -> None:
    """Every golden (its error too) and the repo's schema: the child's equals this one's."""
    for project in [REPO, *discover_cases()]:
        options = load_options(None, REPO) if project == REPO else case_options(project)
        try:
            here = load_schema(options)
        except SchemaError as error:
            with _forked(Background(load_schema, options)) as job:
                try:
                    job.result()
                except SchemaError as raised:
                    assert (str(raised), raised.location) == (str(error), error.location)
                else:
                    raise AssertionError(f"{project.name}: the child's schema raised nothing")
            continue
        with _forked(Background(load_schema, options)) as job:
            assert job.result() == here, project.name


def _refuse(line: int) -> None:
    raise SchemaError("no such table: t", Location("schema.sql", line, 7))


def a_storegen_error_in_the_child_is_raised_here_unchanged() -> None:
    with _forked(Background(_refuse, 3)) as job:
        try:
            job.result()
        except SchemaError as raised:
            assert str(raised) == "schema.sql:3:7: no such table: t"
            assert raised.location == Location("schema.sql", 3, 7)
            assert raised.message == "no such table: t"
        else:
            raise AssertionError("no SchemaError")


def _fails_elsewhere(parent: int) -> int:
    if os.getpid() != parent:
        raise RuntimeError("a bug, in the child only")
    return parent


def any_other_failure_in_the_child_is_computed_here() -> None:
    """A bug shows its real traceback from this process, never a pickled copy."""
    with _forked(Background(_fails_elsewhere, os.getpid())) as job:
        assert job.result() == os.getpid()


def an_unpicklable_result_is_computed_here() -> None:
    with _forked(Background(lambda: (os.getpid(), threading.Lock()))) as job:
        pid, _ = job.result()
    assert pid == os.getpid()


def close_stops_a_child_nobody_waits_for() -> None:
    started = time.perf_counter()
    job = _forked(Background(time.sleep, 30))
    child = job._pid
    job.close()
    assert time.perf_counter() - started < 5
    assert child is not None
    try:
        os.waitpid(child, os.WNOHANG)
    except ChildProcessError:
        return  # reaped: no zombie left behind
    raise AssertionError("the child was not reaped")


def a_child_closed_later_is_reaped_by_reap() -> None:
    """`close(later=True)` after the result lists the child; `reap()` leaves no zombie."""
    from storegen import background

    job = _forked(Background(os.getpid))
    child = job._pid
    assert job.result() == child
    job.close(later=True)
    assert job._pid is None and child is not None
    background.reap()
    assert not background._exiting
    _assert_reaped(child)


def reap_without_waiting_keeps_a_running_child_for_later() -> None:
    from storegen import background

    child = os.fork()
    if child == 0:
        time.sleep(0.5)
        os._exit(0)
    background._exiting.append(child)
    background.reap(wait=False)
    assert background._exiting == [child]
    background.reap()
    assert not background._exiting
    _assert_reaped(child)


def close_later_still_stops_a_child_nobody_waits_for() -> None:
    """`later` is only for a child whose result was read: an unread one is stopped and reaped."""
    started = time.perf_counter()
    job = _forked(Background(time.sleep, 30))
    child = job._pid
    job.close(later=True)
    assert time.perf_counter() - started < 5
    assert child is not None
    _assert_reaped(child)


def generate_leaves_no_child_behind() -> None:
    """`generate` from Python returns with every child reaped: a caller's own
    `os.wait()` must find its own child, not storegen's (review: the SQL half's
    child was once left exiting, a zombie until the next fork)."""
    from storegen import generate

    options = load_options(None, REPO)
    spare.prestart(_warm_parser)
    generate(options, cache=False)
    spare.discard()
    _assert_no_child()


def the_command_reaps_what_generation_left_exiting() -> None:
    """`storegen generate` leaves the SQL half's child exiting while it writes the
    files, and `cli.main` reaps it before returning."""
    from storegen import background, cli

    root = Path(tempfile.mkdtemp())  # a fresh project: no cache entry to hit
    (root / "app.sql").write_text((REPO / "schema" / "oauth.sql").read_text("utf-8"), "utf-8")
    (root / "storegen.toml").write_text('schema = ["app.sql"]\nout = "gen"\n', "utf-8")
    real_exit = os._exit

    def slow_exit(code: int) -> None:  # the children are still exiting as generation returns
        time.sleep(0.3)
        real_exit(code)

    os._exit = slow_exit  # type: ignore[assignment]  # this check's process and its children
    spare.prestart(_warm_parser)
    assert cli.main(["generate", "--config", str(root / "storegen.toml")]) == 0
    assert (root / "gen" / "models.py").is_file()
    assert background._exiting == []
    _assert_no_child()


def _assert_no_child() -> None:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return  # no child left at all
    raise AssertionError(f"a child was left running or unreaped (waitpid: {pid})")


def _assert_reaped(child: int) -> None:
    try:
        os.waitpid(child, os.WNOHANG)
    except ChildProcessError:
        return  # reaped: no zombie left behind
    raise AssertionError(f"the child {child} was not reaped")


def generating_for_sqlite_leaves_sqlglot_to_the_child() -> None:
    """The point of the child: this process renders without ever importing sqlglot."""
    from storegen import generate

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "schema.sql").write_text(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n", "utf-8"
        )
        (project / "queries.sql").write_text(
            "-- name: note_by_body :one\nSELECT * FROM notes WHERE body = :body;\n", "utf-8"
        )
        (project / "pyproject.toml").write_text(
            '[tool.storegen]\nschema = ["schema.sql"]\nqueries = ["queries.sql"]\n'
            'out = "out"\npackage = "out"\nbackends = ["aiosqlite", "sqlite3"]\n',
            "utf-8",
        )
        files = generate(load_options(None, project), cache=False).files
    assert "async def note_by_body" in files["_stores.py"]
    assert "sqlglot" not in sys.modules


def finishing_in_children_gives_the_same_package() -> None:
    """The SQL, backend modules and contracts built and finished in a child while this
    process does the other common files, or everything in this process: the same bytes,
    in the same order."""
    import storegen
    import storegen.background as background

    options = load_options(None, REPO)
    background.can_fork = lambda: False
    inline = storegen.generate(options, cache=False).files
    background.can_fork = spare.can_fork
    real_half = storegen._sql_half
    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / "pid"

        def half(*args: Any) -> Any:
            record.write_text(str(os.getpid()), encoding="utf-8")
            return real_half(*args)

        storegen._sql_half = half  # type: ignore[assignment]
        files = storegen.generate(options, cache=False).files
        assert int(record.read_text(encoding="utf-8")) != os.getpid(), "no child built the SQL"
    assert list(files) == list(inline) and files == inline
    assert {"contracts.py", "_sql_sqlite_qmark.py", "aiosqlite.py"} <= set(files)


# The child forked as the `storegen` command starts (generator/spare.py).


def _warm_fails() -> None:
    raise RuntimeError("a warm-up that fails")


def _gone(pid: int) -> bool:
    """Whether process `pid` has exited: reaped, or a zombie its parent has yet to reap."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")  # Linux: an orphan's reaper (PID 1) may be slow or absent
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def the_first_background_takes_the_spare() -> None:
    """The work goes to the spare, warmed up first, and comes back equal; the next forks."""
    spare.prestart(_warm_parser)
    assert spare.waiting()
    waiting = spare._spare
    options = load_options(None, REPO)
    with Background(load_schema, options) as parsing:
        assert waiting is not None and parsing._pid == waiting.pid
        assert not spare.waiting()
        assert parsing.result() == load_schema(options)
    with _forked(Background(os.getpid)) as job:
        assert job._pid != waiting.pid and job.result() != os.getpid()


def a_spare_whose_warm_up_fails_still_does_its_job() -> None:
    spare.prestart(_warm_fails)
    with _forked(Background(_refuse, 4)) as job:
        try:
            job.result()
        except SchemaError as raised:
            assert raised.location == Location("schema.sql", 4, 7)
        else:
            raise AssertionError("no SchemaError")


def work_that_does_not_pickle_forks_as_without_a_spare() -> None:
    """A lambda cannot go through the pipe: the spare is stopped, and a child forked as usual."""
    spare.prestart(_warm_fails)
    waiting = spare._spare
    assert waiting is not None
    with _forked(Background(lambda: os.getpid())) as job:
        assert job._pid != waiting.pid and job.result() != os.getpid()
    assert not spare.waiting() and _gone(waiting.pid)


def a_job_too_large_for_the_pipe_forks_as_without_a_spare() -> None:
    """Larger than a pipe can be made to hold (Linux: pipe-max-size; elsewhere 16 KB)."""
    spare.prestart(_warm_fails)
    waiting = spare._spare
    assert waiting is not None
    try:
        with open("/proc/sys/fs/pipe-max-size", encoding="ascii") as limit:
            text = "x" * (2 * int(limit.read()))
    except OSError:
        text = "x" * 100_000
    with _forked(Background(len, text)) as job:
        assert job._pid != waiting.pid and job.result() == len(text)
    assert _gone(waiting.pid)


_RELEASE = -1  # the read end the next spare's warm-up waits on


def _warm_until_released() -> None:
    os.read(_RELEASE, 2)


def a_large_job_goes_to_the_spare_without_waiting_for_its_warm_up() -> None:
    """Where a pipe's buffer can grow (Linux), a job beyond 16 KB (a big project's
    schema text) still goes to the spare, and handing it over does not wait for the
    warm-up: here the warm-up ends only once the job has been handed over."""
    global _RELEASE
    import fcntl
    import signal

    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    _RELEASE, release = os.pipe()
    spare.prestart(_warm_until_released)
    waiting = spare._spare
    text = "x" * 300_000
    signal.alarm(30)  # a handover waiting for the warm-up would hang here: fail instead
    with Background(len, text) as job:
        assert waiting is not None and job._pid == waiting.pid
        os.write(release, b"go")
        assert job.result() == len(text)
    signal.alarm(0)


def a_spare_that_died_leaves_the_work_to_this_process() -> None:
    import signal

    spare.prestart(_warm_fails)
    waiting = spare._spare
    assert waiting is not None
    os.kill(waiting.pid, signal.SIGKILL)
    with Background(_fails_elsewhere, os.getpid()) as job:
        assert job._pid == waiting.pid
        assert job.result() == os.getpid()  # computed here: the dead child sent nothing
    assert _gone(waiting.pid)


def discard_stops_a_spare_nobody_took() -> None:
    spare.prestart(_warm_parser)
    waiting = spare._spare
    assert waiting is not None
    spare.discard()
    assert not spare.waiting() and _gone(waiting.pid)
    spare.discard()  # nothing left to stop


def a_spare_exits_when_the_command_is_gone() -> None:
    """A command that exits (os._exit, a crash) without `discard`: the spare follows it."""
    import subprocess

    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / "pid"
        code = (
            "import os; from storegen import spare; spare.prestart(lambda: None); "
            f"open({str(record)!r}, 'w').write(str(spare._spare.pid)); os._exit(0)"
        )  # no pipe to capture: the spare would hold it, and a wait on it would hang
        subprocess.run(
            [sys.executable, "-c", code], check=True, cwd=REPO, timeout=60,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        pid = int(record.read_text())
    deadline = time.perf_counter() + 10
    while not _gone(pid):
        assert time.perf_counter() < deadline, "the spare outlived its command"
        time.sleep(0.01)


def the_command_generates_the_same_package_through_the_spare() -> None:
    """`python -m storegen generate` (spare, forks, os._exit) writes what `generate` returns."""
    import shutil
    import subprocess

    from storegen import generate

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for name in ("schema", "pyproject.toml"):
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, project / name)
            else:
                shutil.copy(source, project / name)
        shutil.copytree(REPO / "migrations", project / "migrations")
        options = load_options(None, project)
        files = generate(options, cache=False).files
        shutil.rmtree(project / ".storegen-cache", ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "storegen", "generate"],
            cwd=project, check=True, capture_output=True,
        )  # fmt: skip
        for name, text in files.items():
            assert (options.out / name).read_text(encoding="utf-8") == text, name
        (project / "schema" / "logs.sql").write_text("CREATE TABLE broken (", encoding="utf-8")
        shutil.rmtree(project / ".storegen-cache", ignore_errors=True)
        done = subprocess.run(
            [sys.executable, "-m", "storegen", "check"], cwd=project, capture_output=True, text=True
        )
        assert done.returncode == 2, done.stderr
        assert "schema/logs.sql:1:" in done.stderr and "Traceback" not in done.stderr


def the_spare_parses_without_loading_importlib_metadata() -> None:
    """sqlglot imports it for dialect plugins only: deferred, it loads on first use, and then
    behaves as itself (a dialect name sqlglot does not know goes through entry_points).
    In an interpreter of its own: this module's imports load importlib.metadata."""
    import subprocess

    subprocess.run([sys.executable, "-c", _DEFERRED_METADATA], check=True, cwd=REPO, timeout=60)


_DEFERRED_METADATA = """
import importlib, sys
from storegen.__main__ import _warm_parser

_warm_parser()
stand_in = sys.modules["importlib.metadata"]
assert "importlib.metadata._meta" not in sys.modules and "email" not in sys.modules
assert importlib.metadata is stand_in
import sqlglot

assert sqlglot.parse_one("SELECT a FROM t", read="sqlite").sql() == "SELECT a FROM t"
try:
    sqlglot.Dialect.get_or_raise("no_such_dialect")
except ValueError as error:
    assert "no_such_dialect" in str(error)
else:
    raise AssertionError("an unknown dialect was found")
real = sys.modules["importlib.metadata"]
assert real is not stand_in and "importlib.metadata._meta" in sys.modules
assert importlib.metadata is real
assert stand_in.version("sqlglot") == real.version("sqlglot") == sqlglot.__version__
from importlib.metadata import PackageNotFoundError

assert PackageNotFoundError is real.PackageNotFoundError
"""


def the_spare_defers_sqlglot_diff_and_difflib() -> None:
    """storegen never diffs trees, and sqlglot uses difflib only to suggest a name in an
    error: both load on first use, and then behave as themselves (`sqlglot.diff` stays
    the function sqlglot binds over its submodule)."""
    import subprocess

    subprocess.run([sys.executable, "-c", _DEFERRED_DIFF], check=True, cwd=REPO, timeout=60)


_DEFERRED_DIFF = """
import sys
from storegen.__main__ import _warm_parser

_warm_parser()
diff_stand_in, difflib_stand_in = sys.modules["sqlglot.diff"], sys.modules["difflib"]
assert "ChangeDistiller" not in vars(diff_stand_in), "sqlglot.diff was loaded"
assert "SequenceMatcher" not in vars(difflib_stand_in), "difflib was loaded"
import sqlglot
from sqlglot.diff import diff as early

assert "ChangeDistiller" not in vars(diff_stand_in), "from sqlglot.diff import diff loaded it"
try:
    sqlglot.parse_one("SELECT 1", read="sqlit")
except ValueError as error:  # sqlglot suggests the name through difflib.get_close_matches
    assert "Did you mean sqlite" in str(error), error
else:
    raise AssertionError("an unknown dialect was found")
import difflib

assert difflib is not difflib_stand_in and difflib.SequenceMatcher
assert difflib_stand_in.get_close_matches("ab", ["abc"]) == ["abc"]
edits = sqlglot.diff(sqlglot.parse_one("SELECT a FROM t"), sqlglot.parse_one("SELECT b FROM t"))
real = sys.modules["sqlglot.diff"]
assert real is not diff_stand_in and "ChangeDistiller" in vars(real)
assert callable(sqlglot.diff) and sqlglot.diff.__name__ == "diff", sqlglot.diff
assert [type(e).__name__ for e in edits] == [type(e).__name__ for e in real.diff(
    sqlglot.parse_one("SELECT a FROM t"), sqlglot.parse_one("SELECT b FROM t"))]
assert early(sqlglot.parse_one("SELECT 1"), sqlglot.parse_one("SELECT 1"))
from sqlglot.diff import Insert

assert Insert is real.Insert
"""


def generate_sends_the_parsing_child_plain_text() -> None:
    """What `generate` hands the spare is `parse_sources` on (display path, text) pairs:
    unpickling it needs neither the config module nor pathlib."""
    import pickle

    from storegen import generate
    from storegen.load import parse_sources

    sent: list[bytes] = []
    take = spare.take

    def record(job: bytes) -> spare.Spare | None:
        sent.append(job)
        return take(job)

    spare.take = record  # type: ignore[assignment]
    spare.prestart(_warm_fails)
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "schema.sql").write_text("CREATE TABLE n (id INTEGER PRIMARY KEY);\n", "utf-8")
        (project / "pyproject.toml").write_text(
            '[tool.storegen]\nschema = ["schema.sql"]\nout = "out"\npackage = "out"\n', "utf-8"
        )
        generate(load_options(None, project), cache=False)
    (job,) = sent
    assert b"storegen.config" not in job and b"pathlib" not in job, job
    function, args = pickle.loads(job)
    assert function is parse_sources
    assert args == ([("schema.sql", "CREATE TABLE n (id INTEGER PRIMARY KEY);\n")], [])


def the_spare_parses_plain_text_without_config_or_pathlib() -> None:
    """The job is text in, schema out (`storegen.load.parse_sources`): the parsing child
    imports neither the config module nor pathlib (~4 ms on the critical path). In an
    interpreter of its own; pathlib, which the editable install's finder loads at
    start-up, is dropped from sys.modules first, so any import of it shows."""
    import subprocess

    subprocess.run([sys.executable, "-c", _PLAIN_TEXT_JOB], check=True, cwd=REPO, timeout=60)


_PLAIN_TEXT_JOB = """
import sys
sys.modules.pop("pathlib", None)
from storegen.__main__ import _warm_parser

_warm_parser()
from storegen.load import parse_sources

schema = parse_sources(
    [("s.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL);")],
    [("q.sql", "-- name: t_by_a :one\\nSELECT * FROM t WHERE a = :a;\\n")],
)
assert [t.name for t in schema.tables] == ["t"] and [q.name for q in schema.queries] == ["t_by_a"]
assert "storegen.config" not in sys.modules, "the parsing child imported the config module"
assert "pathlib" not in sys.modules, "the parsing child imported pathlib"
"""
