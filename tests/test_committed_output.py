"""The committed generated/ package is exactly what the generator makes of schema/."""

from __future__ import annotations

from pathlib import Path

from storegen import generate
from storegen.config import load_options
from storegen.output.write import diff_files

REPO = Path(__file__).resolve().parent.parent


def test_committed_output_is_fresh() -> None:
    options = load_options(REPO / "pyproject.toml", REPO)
    diff = diff_files(generate(options).files, options.out)
    assert not diff, (
        f"{options.display_path(options.out)}/ is not a fresh generation of the schema "
        f"(changed or stale files below); run `make generate` and commit the result.\n{diff}"
    )
