"""The `storegen` command in the environments daemons, cron and supervisors give it.

Generation forks children (generator/background.py) and exits without the
interpreter's teardown (storegen/__main__.py); neither may change an outcome
when SIGCHLD is ignored, stdout or stderr is closed, or a user template is
unreadable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.test_cli import OUT, make_project


def run(root: Path, *args: str, close: tuple[int, ...] = (), ignore_sigchld: bool = False) -> int:
    """`python -m storegen args` in `root`; its exit code. `close`: fds closed before exec."""

    def prepare() -> None:
        if ignore_sigchld:
            signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # inherited through exec
        for fd in close:
            os.close(fd)

    done = subprocess.run(
        [sys.executable, "-m", "storegen", *args],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=prepare,
        timeout=120,
    )
    return done.returncode


def own_cache(root: Path) -> Path:
    """A project with a cache of its own: the generation must really run (no cache hit)."""
    (root / ".storegen-cache").unlink()
    return root


def test_generate_works_when_sigchld_is_ignored(tmp_path: Path) -> None:
    root = own_cache(make_project(tmp_path / "demo"))
    assert run(root, "generate", ignore_sigchld=True) == 0
    assert (root / OUT / "aiosqlite.py").is_file()
    assert run(root, "check", ignore_sigchld=True) == 0  # a cache hit, with the child stopped


def test_generate_works_with_stdout_or_stderr_closed(tmp_path: Path) -> None:
    for fd in (1, 2):
        root = own_cache(make_project(tmp_path / f"closed-{fd}"))
        assert run(root, "generate", close=(fd,)) == 0, f"fd {fd} closed"
        assert (root / OUT / "aiosqlite.py").is_file()
        assert run(root, "check", close=(fd,)) == 0


def test_an_undecodable_user_template_is_a_located_error(tmp_path: Path) -> None:
    root = own_cache(make_project(tmp_path / "demo"))
    templates = root / "tpl" / "common"
    templates.mkdir(parents=True)
    (templates / "models.py.j2").write_bytes(b"# caf\xe9: Latin-1, not UTF-8\n")
    with (root / "pyproject.toml").open("a") as config:
        config.write('templates = ["tpl"]\n')
    done = subprocess.run(
        [sys.executable, "-m", "storegen", "generate"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "common/models.py.j2" in done.stderr and "Traceback" not in done.stderr
    assert not (root / OUT).exists()  # nothing half-written


def run_into_a_left_pipe(root: Path, *args: str) -> int:
    """`python -m storegen args` writing into a pipe whose reader has already left
    (`storegen check | true`): every write to stdout meets EPIPE, deterministically."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "storegen", *args],
            cwd=root, stdin=subprocess.DEVNULL, stdout=write_end, stderr=subprocess.DEVNULL,
            timeout=120,
        )  # fmt: skip
    finally:
        os.close(write_end)
    return done.returncode


def test_check_keeps_its_verdict_when_the_reader_of_stdout_leaves(tmp_path: Path) -> None:
    # `storegen check | head` once exited 0 on a stale package: the diff met the
    # closed pipe and the BrokenPipeError ended the command before its verdict.
    root = make_project(tmp_path / "demo")
    assert run(root, "generate") == 0
    assert run_into_a_left_pipe(root, "check") == 0  # up to date: its message is lost, not its code
    (root / OUT / "models.py").write_text("# edited by hand\n")
    assert run_into_a_left_pipe(root, "check") == 1  # stale: the diff is lost, the verdict is not
    assert run(root, "check") == 1
