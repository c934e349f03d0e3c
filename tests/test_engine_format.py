"""Chunked, cached, parallel formatting gives exactly what black gives on the whole module."""

from __future__ import annotations

from pathlib import Path

import black
import pytest

import storegen.output.format as fmt

GENERATED = Path(__file__).resolve().parent.parent / "generated"

UGLY = '''
import os
# a comment before the first class
@decorator( x = 1 )
class A :
    x=1
    def f(self,a,b) :
        return {'a':a,'b':b}
# a comment glued to the next function
def g( *args ) :
    return [ 1,2,3, ]

X = "a line that sits between two definitions and is long enough to be split by black, truly long"

async def h() -> None :
    """A docstring
class NotAClass:  (inside a string: never a split point)
    """
    await  os.sleep( 1 )
@decorator
@other( 'y' )
def last(): pass
'''


def whole(source: str) -> str:
    return black.format_str(source, mode=fmt.black_mode())


@pytest.mark.parametrize("chunk_lines", [1, 300])
def test_chunks_equal_whole_module_black(
    chunk_lines: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(fmt, "_CHUNK_LINES", chunk_lines)
    sources = {"ugly.py": (UGLY, "t.j2")}
    for path in (GENERATED / "contracts.py", GENERATED / "_rows.py", GENERATED / "models.py"):
        sources[path.name] = (path.read_text(encoding="utf-8"), "t.j2")
    expected = {name: whole(source) for name, (source, _) in sources.items()}
    assert fmt.format_many(sources, tmp_path / "cache") == expected  # cold, in parallel
    assert fmt.format_many(sources, tmp_path / "cache") == expected  # every chunk cached
    assert fmt.format_many(sources, None) == expected


def test_invalid_code_names_the_template(tmp_path: Path) -> None:
    from storegen.errors import TemplateError

    with pytest.raises(TemplateError, match="broken.j2"):
        fmt.format_many({"a.py": ("def f(:\n", "broken.j2"), "b.py": ("x = 1\n", "ok.j2")}, None)
