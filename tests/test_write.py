"""output/write.py: the files land byte for byte, in a fresh folder and over an old one."""

from __future__ import annotations

from pathlib import Path

from storegen.output.write import MARKER, plan_write, write_files

FILES = {
    "__init__.py": f"# {MARKER}\n",
    "models.py": "X = 'é — ✓'\r\nY = 1\n",  # non-ASCII, and a \r\n kept as printed
    "_runtime/__init__.py": "",
    "_runtime/deep/errors.py": "class E(Exception): ...\n",
}


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_fresh_folder_gets_every_file_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "pkg" / "out"
    plan = plan_write(FILES, out)
    assert plan.changed == tuple(sorted(FILES)) and not plan.unchanged and not plan.stale
    write_files(FILES, out, plan)
    assert _tree(out) == {name: text.encode("utf-8") for name, text in FILES.items()}


def test_an_old_folder_gets_the_changes_and_loses_stale_generated_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = {**FILES, "models.py": "X = 0\n", "gone.py": f"# {MARKER}\n", "mine.py": "# kept\n"}
    write_files(old, out)
    plan = plan_write({**FILES, "mine.py": "# kept\n"}, out)
    assert plan.changed == ("models.py",)
    assert plan.stale == ("gone.py",)
    write_files({**FILES, "mine.py": "# kept\n"}, out, plan)
    expected = {name: text.encode("utf-8") for name, text in FILES.items()}
    assert _tree(out) == {**expected, "mine.py": b"# kept\n"}
