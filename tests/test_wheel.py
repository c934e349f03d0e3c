"""The built wheel works on its own: templates and runtime files ship inside it.

Build a wheel from a copy of the source tree, install it (without its
dependencies) into a fresh venv outside the repo, and let that venv see the
dependencies through a `.pth` line naming the project venv's site-packages
(a path in a `.pth` file is not a site dir, so the editable install of
storegen that lives there stays inert). Then `storegen generate` and
`storegen check` run from the new venv on a copy of schema/, and must produce
what the source tree produces.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from storegen import generate
from wheelhouse import wheelhouse
from storegen.config import load_options

REPO = Path(__file__).resolve().parent.parent
# Everything the wheel does not need: copying less keeps the build fast and clean.
NOT_SHIPPED = shutil.ignore_patterns(
    ".git", ".venv", "tools", "tests", "generated", "bench", "examples", "docs", "build",
    "dist", "*.egg-info", "__pycache__", ".mypy_cache", ".pytest_cache", ".storegen-cache",
    ".hypothesis", "*.db", "*.db-wal", "*.db-shm",
)  # fmt: skip


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
    assert (
        done.returncode == 0
    ), f"{' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_wheel_generates_outside_the_repo(tmp_path: Path) -> None:
    source, dist, env_dir, project = (tmp_path / n for n in ("src", "dist", "venv", "project"))
    shutil.copytree(REPO, source, ignore=NOT_SHIPPED)
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        tmp_path,
    )
    (wheel,) = dist.glob("storegen-*.whl")

    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    install = ["--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)]
    run([sys.executable, "-m", "pip", *install], tmp_path)
    site_packages = Path(
        run(
            [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            tmp_path,
        ).stdout.strip()
    )
    (site_packages / "_storegen_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    shutil.copytree(REPO / "schema", project / "schema")
    shutil.copy(REPO / "pyproject.toml", project / "pyproject.toml")
    where = run(
        [
            str(python), "-I", "-c",
            "import storegen, storegen.backends.manifest as b; "
            "print(storegen.__file__); print(b.builtin_templates_dir()); print(b.runtime_dir())",
        ],
        project,
    ).stdout.split()  # fmt: skip
    for path in where:
        assert Path(path).is_relative_to(env_dir), f"the installed storegen reaches out: {where}"

    storegen = env_dir / "bin" / "storegen"
    assert "written" in run([str(storegen), "generate"], project).stdout
    run([str(storegen), "check"], project)

    out = project / "generated"
    expected = generate(load_options(project / "pyproject.toml", project)).files
    produced = {
        p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
        for p in out.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert produced.keys() == expected.keys()
    assert {k for k in produced if k.startswith("_runtime/")}, "no runtime files shipped"
    different = sorted(k for k in produced if produced[k] != expected[k])
    assert not different, f"the wheel generates other files than the source tree: {different}"


def test_wheel_without_extras_generates_and_runs_aiosqlite(tmp_path: Path) -> None:
    """A new user's path: `pip install storegen`, init, generate; drivers only as extras.

    The fresh venv installs the wheel and its real dependencies with pip, from
    wheels pip fetched once from its configured index (see wheelhouse.py).
    """
    offline = ["--no-index", "--find-links", str(wheelhouse())]
    source, dist, env_dir, project = (tmp_path / n for n in ("src", "dist", "venv", "project"))
    shutil.copytree(REPO, source, ignore=NOT_SHIPPED)
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        tmp_path,
    )
    (wheel,) = dist.glob("storegen-*.whl")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python, storegen = env_dir / "bin" / "python", env_dir / "bin" / "storegen"
    run([str(python), "-m", "pip", "install", "-q", *offline, str(wheel)], tmp_path)
    installed = run([str(python), "-m", "pip", "list", "--format=freeze"], tmp_path).stdout
    names = {line.split("==")[0].lower() for line in installed.split()}
    for driver in ("asyncpg", "libsql-client", "sphinx", "aiohttp", "pytest", "mypy"):
        assert driver not in names, f"the base install pulls {driver}: {sorted(names)}"

    project.mkdir()
    assert "written" in run([str(storegen), "init"], project).stdout
    # Generating for a backend whose driver is not installed works...
    config = project / "pyproject.toml"
    config.write_text(config.read_text().replace('["aiosqlite"]', '["aiosqlite", "postgres"]'))
    # The first migration, written for both backends.
    assert "migrations/postgres" in run([str(storegen), "migrate"], project).stdout
    run([str(storegen), "generate"], project)
    run([str(storegen), "check"], project)
    run([str(python), "-c", "import db.aiosqlite; print(db.aiosqlite.UserStore)"], project)
    # ...and importing that backend says, in one line, which extra to install.
    missing = subprocess.run(
        [str(python), "-c", "import db.postgres"], cwd=project, capture_output=True, text=True
    )
    assert missing.returncode == 1
    last = missing.stderr.strip().splitlines()[-1]
    assert last == (
        "ImportError: the postgres stores need the asyncpg driver: "
        "pip install 'storegen[postgres]'"
    ), missing.stderr

    run([str(python), "-m", "pip", "install", "-q", *offline, f"{wheel}[postgres]"], tmp_path)
    run([str(python), "-c", "import db.postgres; print(db.postgres.UserStore)"], project)
