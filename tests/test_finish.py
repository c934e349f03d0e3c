"""Finishing rendered modules without black: in parallel or not, the same bytes; errors still named."""

from __future__ import annotations

import os

import pytest

import storegen.output.finish as finish
from storegen.errors import TemplateError
from tests.test_background import run_forked_check


@pytest.mark.skipif(not hasattr(os, "fork"), reason="without fork the work runs in this process")
def test_parallel_finishing_gives_the_same_package() -> None:
    """In a fresh interpreter: threads of other tests would keep the children from forking."""
    run_forked_check("finishing_in_children_gives_the_same_package")


def test_children_take_the_largest_files_and_leave_this_process_its_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(finish, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(finish, "_workers", lambda: 2)
    sizes = {"a.py": 60, "b.py": 20, "c.py": 12, "d.py": 8}
    sources = {name: (f"X = {'1' * size}\n", "t.j2") for name, size in sizes.items()}
    early = finish.start_early(sources, black=False, keep=0.25)
    assert early is not None
    try:  # a is 54% of the text, a and b 75%: the child takes both, this process c and d
        assert early.names == {"a.py", "b.py"}
        assert finish.finish_many(sources, None, black=False, early=early) == {
            name: text for name, (text, _) in sources.items()
        }
    finally:
        early.close()


@pytest.mark.parametrize("parallel", [False, True])
def test_broken_rendered_code_names_its_template(
    monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    if parallel:
        monkeypatch.setattr(finish, "PARALLEL_MIN_BYTES", 1)
    sources = {
        "_a.py": ("import os\n\ndef f(:\n    pass\n", "templates/common/_a.py.j2"),
        "b.py": ("x = 1\n", "templates/common/b.py.j2"),
    }
    early = finish.start_early({"b.py": sources["b.py"]}, black=False)
    with pytest.raises(TemplateError, match="_a.py.j2"):
        finish.finish_many(sources, None, black=False, early=early)


def test_user_templates_still_go_through_black() -> None:
    sources = {"_m.py": ("import os\nimport sys\nX=os.sep\n", "mine.j2")}
    assert finish.finish_many(sources, None, black=True) == {"_m.py": "import os\n\nX = os.sep\n"}
    # Without black, the layout is shape's alone (the built-in templates print black's).
    assert finish.finish_many(sources, None, black=False) == {"_m.py": "import os\nX=os.sep\n"}


@pytest.mark.parametrize(
    "printed, expected",
    [
        ("X = (0, )\n", "X = (0,)\n"),  # spacing shape does not normalise
        ("X = 'ÜberTabelle' + '" + "x" * 100 + "'\n", None),  # long and non-ASCII
        ("def f(a,b):\n    return a\n", "def f(a, b):\n    return a\n"),
        ("x = f( a)\n", "x = f(a)\n"),  # each spacing pattern shape checks first...
        ("x  = [a ,b]\n", "x = [a, b]\n"),  # ...before the one that decides
        ("x = {'a': 1 }\n", 'x = {"a": 1}\n'),
    ],
)
def test_lines_shape_cannot_vouch_for_go_through_black(printed: str, expected: str | None) -> None:
    import black

    from storegen.output.format import black_mode

    want = expected or black.format_str(printed, mode=black_mode())
    assert finish.finish_many({"_m.py": (printed, "t.j2")}, None, black=False) == {"_m.py": want}
