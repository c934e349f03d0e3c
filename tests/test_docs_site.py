"""The docs site builds with `mkdocs build --strict`: a broken link, anchor or page fails.

mkdocs and mkdocs-material come from the `docs` extra, which `make venv`
installs; the build goes to a temporary folder, never into site/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "schema_docs"


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # material's banner about MkDocs 2
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_repo_docs_build_strict_and_render_the_diagram(tmp_path: Path) -> None:
    done = build(REPO / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    schema = (tmp_path / "site" / "schema" / "index.html").read_text(encoding="utf-8")
    # superfences hands the block to Material's Mermaid loader as <pre class="mermaid">
    assert '<pre class="mermaid"><code>erDiagram' in schema
    assert 'id="oauth_clients"' in schema


def test_generated_pages_link_cleanly_and_a_broken_link_fails(tmp_path: Path) -> None:
    """The golden schema pages (quoted names, named queries) pass --strict; a bad anchor fails."""
    docs = tmp_path / "docs"
    docs.mkdir()
    nav = []
    for page in sorted(PAGES.glob("*.md")):
        shutil.copy(page, docs / page.name)
        nav.append(f"  - {page.stem}: {page.name}")
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    head, _, rest = config.partition("\nnav:\n")
    _, _, tail = rest.partition("\n\n")
    (tmp_path / "mkdocs.yml").write_text(head + "\nnav:\n" + "\n".join(nav) + "\n\n" + tail)
    done = build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr

    relations = docs / "relations.md"
    relations.write_text(relations.read_text().replace("](#people)", "](#persons)", 1))
    done = build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "'#persons'" in done.stdout + done.stderr
