"""A local folder of the wheels storegen's installs need, filled once by pip.

The wheel and pre-commit tests install storegen into fresh environments the
way a user does, with pip. Asking the package index again for every install
costs minutes here (seconds of index latency per package), so the
dependencies are downloaded once, by pip from its configured index, into
`.storegen-cache/wheelhouse/<hash of the requirements>/`, and the test
installs run with `--no-index --find-links` on that folder. A change of
pinned dependencies changes the hash, so a stale wheelhouse is never used.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def requirements() -> list[str]:
    """The base dependencies, the postgres extra and the build backend."""
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    return sorted(
        {
            *project["dependencies"],
            *project["optional-dependencies"]["postgres"],
            *data["build-system"]["requires"],
        }
    )


def wheelhouse() -> Path:
    """The folder of wheels, downloaded now unless a complete one exists."""
    wanted = requirements()
    key = hashlib.sha256("\n".join(wanted).encode()).hexdigest()[:16]
    folder = REPO / ".storegen-cache" / "wheelhouse" / key
    if (folder / ".complete").is_file():
        return folder
    partial = folder.with_name(key + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "-d", str(partial), *wanted],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, f"pip download failed:\n{done.stdout}\n{done.stderr}"
    (partial / ".complete").touch()
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


def offline_pip_env(env: dict[str, str]) -> dict[str, str]:
    """`env` with pip told to install from the wheelhouse only."""
    return {**env, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse())}
