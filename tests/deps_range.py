"""`make test-deps-range`: storegen at the lowest and the highest versions its metadata allows.

pyproject.toml declares compatible ranges (`sqlglot>=30.0,<31`), so a user's
app may hold any version inside them; our own CI installs the exact pins of
constraints.txt. This builds one virtualenv per end of the ranges:

- lowest: every base dependency at its `>=` bound, exactly;
- highest: the newest versions the ranges allow (pip's eager upgrade);

and in each runs the goldens, the committed-output check (generated/ must
come out byte-identical, whatever black, sqlglot, PyPika or Jinja2 inside
the range did the work), and the golden packages on the aiosqlite stores.
The black cache is keyed by black's version, so nothing formatted by one
version is reused by another.

Usage: python tests/deps_range.py [lowest|highest]...  (default: both)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# What runs inside each venv: the generator's output, and the stores on the lowest aiosqlite.
TESTS = [
    "tests/test_deps_range.py",
    "tests/test_golden.py",
    "tests/test_committed_output.py",
    "tests/test_parse.py",
    "tests/test_queries.py",
    "tests/test_golden_runs.py",
    "tests/test_runtime_sqlite.py",
    "-k",
    "not typecheck",
]
TEST_TOOLS = ("pytest", "pytest-asyncio")
_BOUND = re.compile(
    r"^([A-Za-z0-9_.-]+)\s*>=\s*([0-9][^,;\s]*)\s*,\s*<\s*([0-9][^,;\s]*)\s*(;.*)?$"
)


# Environment markers of a range (`name ...; sys_platform == 'linux'`), by name.
MARKERS: dict[str, str] = {}
# The extra installed at both ends too: the golden pydantic package runs on it.
EXTRAS = ("pydantic",)


def base_ranges(*, extras: tuple[str, ...] = ()) -> dict[str, tuple[str, str]]:
    """pyproject's base dependencies (and `extras`): name -> (lowest allowed, first excluded)."""
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    ranges = {}
    for requirement in requirements:
        match = _BOUND.match(requirement.strip())
        if match is None:
            raise SystemExit(f"pyproject.toml: {requirement!r} is not `name>=low,<high`")
        ranges[match[1].lower()] = (match[2], match[3])
        if match[4]:
            MARKERS[match[1].lower()] = match[4]
    return ranges


def pins(path: Path) -> dict[str, str]:
    """constraints.txt as name -> exact version."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[name.strip().lower()] = version.strip()
    return found


def build(mode: str) -> Path:
    """A fresh venv at .venv-deps-<mode> with storegen and its deps at one end of the ranges."""
    venv = REPO / f".venv-deps-{mode}"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    tools = [f"{t}=={pins(REPO / 'constraints.txt')[t]}" for t in TEST_TOOLS]
    editable = f"{REPO}[{','.join(EXTRAS)}]"
    if mode == "lowest":
        ranges = base_ranges(extras=EXTRAS)
        exact = [f"{name}=={low}{MARKERS.get(name, '')}" for name, (low, _) in ranges.items()]
        subprocess.run([*pip, "-e", editable, *exact, *tools], check=True)
    else:
        eager = ["--upgrade", "--upgrade-strategy", "eager"]
        subprocess.run([*pip, *eager, "-e", editable, *tools], check=True)
    return python


def run(mode: str) -> int:
    python = build(mode)
    freeze = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    installed = dict(
        (line.split("==")[0].lower(), line.split("==")[1])
        for line in freeze.splitlines()
        if "==" in line
    )
    ranges = base_ranges(extras=EXTRAS)
    shown = ", ".join(f"{name} {installed.get(name, '?')}" for name in ranges)
    print(f"== {mode}: {shown}", flush=True)
    pytest = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS]
    done = subprocess.run(["env", f"STOREGEN_DEPS_RANGE={mode}", *pytest], cwd=REPO)
    return done.returncode


def main(argv: list[str]) -> int:
    modes = argv or ["lowest", "highest"]
    if not set(modes) <= {"lowest", "highest"}:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    failed = [mode for mode in modes if run(mode) != 0]
    if failed:
        print(f"deps-range: FAILED at the {' and '.join(failed)} versions", file=sys.stderr)
        return 1
    print(f"deps-range: OK ({', '.join(modes)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
