"""The `storegen-check` pre-commit hook, run by the real pre-commit with `try-repo`.

The hook repo is a committed copy of this source tree in a temp folder:
`try-repo` clones it (a dirty working tree would only contribute tracked
files), and pre-commit builds the hook's own virtualenv from it with pip,
from a local wheelhouse that pip filled once from its configured index
(wheelhouse.py): the hook's environment gets no network of its own. The user project is a temp git repo made by
`storegen init`; `--all-files` runs on its tracked files, so each step stages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from test_wheel import NOT_SHIPPED, REPO
from wheelhouse import offline_pip_env

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
}  # fmt: skip


def sh(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def test_try_repo_fails_on_a_stale_package_and_passes_after_generate(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env = offline_pip_env({**env, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")})
    hooks, project = tmp_path / "storegen", tmp_path / "project"
    shutil.copytree(REPO, hooks, ignore=NOT_SHIPPED)
    for step in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "hooks"]):
        assert sh(step, hooks, env).returncode == 0

    project.mkdir()
    sh(["git", "init", "-q"], project, env)
    assert sh([sys.executable, "-m", "storegen", "init"], project, env).returncode == 0
    schema = project / "schema" / "schema.sql"
    schema.write_text(schema.read_text().replace("    body TEXT NOT NULL,", "    body TEXT,"))
    sh(["git", "add", "-A"], project, env)
    try_repo = [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "storegen-check"]

    stale = sh([*try_repo, "--all-files"], project, env)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "storegen check" in stale.stdout and "Failed" in stale.stdout, stale.stdout
    assert "db is out of date; run `storegen generate`" in stale.stdout, stale.stdout
    assert "breaking  models.Note.body: field became Optional" in stale.stdout, stale.stdout

    # The schema edit needs its migration, then the package (the workflow check enforces).
    assert sh([sys.executable, "-m", "storegen", "migrate"], project, env).returncode == 0
    assert sh([sys.executable, "-m", "storegen", "generate"], project, env).returncode == 0
    sh(["git", "add", "-A"], project, env)
    fresh = sh([*try_repo, "--all-files"], project, env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "Passed" in fresh.stdout, fresh.stdout


# The snippet README.md and docs/cli.md give: a hook that needs no published repo.
LOCAL_HOOK = """\
repos:
  - repo: local
    hooks:
      - id: storegen-check
        name: storegen check
        entry: storegen check
        language: system
        files: (\\.sql|(^|/)pyproject\\.toml|(^|/)storegen\\.toml)$
        pass_filenames: false
"""


def test_the_documented_local_hook_fails_on_a_stale_package(tmp_path: Path) -> None:
    """`repo: local` with `language: system` runs the storegen on PATH (the project's venv)."""
    for page in (REPO / "README.md", REPO / "docs" / "cli.md"):
        assert LOCAL_HOOK in page.read_text(encoding="utf-8"), f"{page.name} lost the snippet"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    path = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env = {**env, **GIT_ENV, "PATH": path, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    project = tmp_path / "project"
    project.mkdir()
    sh(["git", "init", "-q"], project, env)
    for step in ("init", "migrate", "generate"):
        assert sh([sys.executable, "-m", "storegen", step], project, env).returncode == 0
    (project / ".pre-commit-config.yaml").write_text(LOCAL_HOOK)
    sh(["git", "add", "-A"], project, env)
    run = [sys.executable, "-m", "pre_commit", "run", "storegen-check", "--all-files"]

    fresh = sh(run, project, env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "storegen check" in fresh.stdout and "Passed" in fresh.stdout, fresh.stdout

    schema = project / "schema" / "schema.sql"
    schema.write_text(schema.read_text().replace("    body TEXT NOT NULL,", "    body TEXT,"))
    sh(["git", "add", "-A"], project, env)
    stale = sh(run, project, env)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "db is out of date; run `storegen generate`" in stale.stdout, stale.stdout

    for step in ("migrate", "generate"):
        assert sh([sys.executable, "-m", "storegen", step], project, env).returncode == 0
    sh(["git", "add", "-A"], project, env)
    assert sh(run, project, env).returncode == 0
