"""The Jinja environment, and rendering one template with a clear error.

Search order: user template folders, then the built-in `templates/`. A user
file at the same relative path overrides one built-in template; it can still
`{% extends "builtin/common/models.py.j2" %}` the original.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import jinja2

from ..backends.manifest import builtin_templates_dir
from ..errors import TemplateError
from .literal import assignment


def make_environment(user_dirs: tuple[Path, ...] = ()) -> jinja2.Environment:
    """A strict environment: undefined names fail, whitespace is predictable."""
    builtin = builtin_templates_dir()
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([*user_dirs, builtin]),
            jinja2.PrefixLoader({"builtin": jinja2.FileSystemLoader(builtin)}),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pyrepr"] = repr
    env.filters["pyassign"] = assignment  # plain data, laid out as black would
    return env


def preload(env: jinja2.Environment, names: list[str]) -> None:
    """Load `names` now (from the bytecode cache, or compiled) while another process works.

    A template that fails to load is left for `render_template` to report.
    """
    for name in names:
        try:
            env.get_template(name)
        except Exception:  # syntax, encoding, permissions: render_template reports it, located
            pass


def template_path(env: jinja2.Environment, name: str) -> str:
    """The file a template name resolves to (a user override or the built-in one)."""
    try:
        return env.get_template(name).filename or name
    except jinja2.TemplateError:
        return name


def render_template(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render `name`, turning any Jinja failure into a TemplateError with file:line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{exc.filename or name}:{exc.lineno}: template syntax error: {exc.message}"
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name}") from None
    except Exception as exc:  # UndefinedError, TypeError in a filter, ...
        raise TemplateError(
            f"{_template_position(exc, name)}: {type(exc).__name__}: {exc}"
        ) from None


def _template_position(exc: BaseException, name: str) -> str:
    """The deepest template frame of the traceback (Jinja maps it to template lines)."""
    position = name
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            position = f"{frame.filename}:{frame.lineno}"
    return position
