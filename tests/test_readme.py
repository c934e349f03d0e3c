"""The README's end-to-end example runs as printed, and the README stays short.

The schema, config and Python blocks of "Five minutes, end to end" are written
to a throwaway project, generated with the real CLI, run, and type-checked.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def test_readme_is_short() -> None:
    assert len(README.read_text().splitlines()) < 200


def test_readme_example_generates_runs_and_type_checks(tmp_path: Path) -> None:
    (schema,) = [b for b in _blocks("sql") if "CREATE TABLE authors" in b]
    (config,) = _blocks("toml")
    (program,) = [b for b in _blocks("python") if "asyncio.run(main())" in b]
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "blog.sql").write_text(schema)
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "main.py").write_text(program)

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    printed = run("-m", "storegen", "generate")
    claimed = re.search(r"# (storegen: 2 tables → blog_store: \d+ written)", README.read_text())
    assert claimed is not None
    assert printed.startswith(claimed.group(1))
    run("main.py")
    assert (tmp_path / "blog.db").exists()
    run("-m", "mypy", "--strict", "main.py", "blog_store")
