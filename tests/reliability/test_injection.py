"""Schema text must never escape the strings it is printed into.

Comments, quoted identifiers, DEFAULT strings, CHECK IN-list values and even
schema file names end up in docstrings, comments, string literals and SQL of
the generated package. Each payload below tries to break out (quotes, triple
quotes, backslashes, Jinja delimiters, control characters, line separators)
and then run code: `raise SystemExit` or create a marker file. The package
must still be valid Python, import in a fresh interpreter with no output and
no marker, keep every docstring equal to its comment, and store and read the
hostile defaults and names verbatim.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storegen import generate
from storegen.render.context import build_package_view

from ._support import FIGURES, forget_package, import_package, options_for, write_package

# Each one is run in the generated module if it ever escapes its string.
ESCAPES = [
    '"""',
    "'''",
    'ends with """',
    "ends with '''",
    'ends with "',
    "ends with \\",
    '\\"""',
    '""" + __import__("pathlib").Path(MARKER).touch() + """',
    "''' + __import__('pathlib').Path(MARKER).touch() + '''",
    '"""; raise SystemExit(97); """',
    "{{ pkg.package }} {% for x in y %}{% endfor %} {# hidden #} {{",
    "\\x41 \\N{BULLET} \\u0041 \\\\ \\'",
    "ctrl \x01\x02\x1b[31m red \x7f del",
    "seps \u2028 line \u2029 para \x85 nel \x0b vt \x0c ff",
    "tab\there and a\rcarriage return",
]


def payloads(marker: Path) -> list[str]:
    return [p.replace("MARKER", repr(str(marker))) for p in ESCAPES]


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def expected_doc(comment: str) -> str:
    """What a `--` comment becomes: its words joined by single spaces."""
    return " ".join(comment.split())


def as_shown(text: str) -> str:
    return inspect.cleandoc(text).strip()


def class_doc(module: ast.Module, name: str) -> str | None:
    """A class docstring as `help()` shows it.

    black pads a docstring that starts or ends with a quote with one space
    (so `\"\"\"` cannot touch the closing quotes), and re-indents continuation
    lines; `cleandoc` and `strip` undo exactly that.
    """
    for node in module.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            doc = ast.get_docstring(node, clean=False)
            return None if doc is None else inspect.cleandoc(doc).strip()
    raise AssertionError(f"no class {name}")


def field_docs(module: ast.Module, name: str) -> dict[str, str]:
    """Attribute docstrings (the string right after a field) of one class."""
    cls = next(n for n in module.body if isinstance(n, ast.ClassDef) and n.name == name)
    docs = {}
    for stmt, after in zip(cls.body, cls.body[1:]):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[stmt.target.id] = after.value.value
    return docs


def import_in_fresh_interpreter(out: Path, package: str) -> subprocess.CompletedProcess[str]:
    modules = [
        "",
        ".models",
        ".results",
        ".contracts",
        ".tables",
        ".schema",
        "._rows",
        ".aiosqlite",
    ]
    code = "; ".join(f"import {package}{m}" for m in modules)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=out, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    return tmp_path


def generate_package(project: Path, name: str, sql: str, package: str) -> Any:
    path = project / name
    path.write_text(sql, encoding="utf-8")
    options = options_for(project, [path], package)
    generation = generate(options)
    write_package(generation.files, project / "out", package)
    return generation, build_package_view(generation.schema, options, ())


def assert_inert(project: Path, package: str, marker: Path) -> None:
    done = import_in_fresh_interpreter(project / "out", package)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == "", (done.stdout, done.stderr)
    assert not marker.exists(), "a payload ran"


def test_comments_cannot_break_out_of_docstrings(project: Path) -> None:
    marker = project / "MARKER"
    texts = payloads(marker)
    lines = []
    for n, text in enumerate(texts):
        lines += [f"-- {text}", f"CREATE TABLE t{n} (", f"    id INTEGER PRIMARY KEY, -- {text}"]
        lines += [f"    -- {text}", "    body TEXT", ");", ""]
    generation, view = generate_package(project, "comments.sql", "\n".join(lines), "inj_comments")
    assert_inert(project, "inj_comments", marker)
    models = ast.parse(generation.files["models.py"])
    contracts = ast.parse(generation.files["contracts.py"])
    stores = ast.parse(generation.files["aiosqlite.py"])
    for n, (text, table) in enumerate(zip(texts, view.tables)):
        wanted = expected_doc(text)
        assert class_doc(models, table.model) == as_shown(wanted), (n, text)
        assert class_doc(contracts, table.contract) == as_shown(wanted), (n, text)
        assert class_doc(stores, table.store) == as_shown(wanted), (n, text)
        assert field_docs(models, table.model) == {"id": wanted, "body": wanted}, (n, text)
    FIGURES["injection: payloads tried"] += len(texts)


def test_names_defaults_and_enum_values_stay_verbatim(project: Path) -> None:
    marker = project / "MARKER"
    texts = payloads(marker) + ["new\nline", 'x"); DROP TABLE t0; --', "sq'l"]
    tables = []
    for n, text in enumerate(texts):
        table, column = f"{text} table {n}", f"{text} col"
        enum = (f"{text} a", f"{text} b")
        ddl = (
            f"CREATE TABLE {sql_name(table)} (\n"
            f"    id INTEGER PRIMARY KEY,\n"
            f"    {sql_name(column)} TEXT NOT NULL DEFAULT {sql_string(text)},\n"
            f"    kind TEXT NOT NULL DEFAULT {sql_string(enum[0])}"
            f" CHECK (kind IN ({sql_string(enum[0])}, {sql_string(enum[1])}))\n"
            ");\n"
            f"CREATE INDEX {sql_name(f'{text} index {n}')} ON {sql_name(table)} ({sql_name(column)});\n"
        )
        tables.append((table, column, enum, ddl))
    sql = "\n".join(t[3] for t in tables)
    generation, view = generate_package(project, "names.sql", sql, "inj_names")
    assert_inert(project, "inj_names", marker)
    models = ast.parse(generation.files["models.py"])
    for (table, _, _, _), tv in zip(tables, view.tables):
        assert class_doc(models, tv.model) == as_shown(f"A row of the {table} table.")
    mods = import_package(project / "out", "inj_names")
    try:
        asyncio.run(round_trip(project / "names.db", mods, view, tables, texts))
    finally:
        forget_package("inj_names")
    assert not marker.exists()
    FIGURES["injection: payloads tried"] += len(texts)


async def round_trip(
    db_path: Path, mods: Any, view: Any, tables: list[Any], texts: list[str]
) -> None:
    stores = mods["aiosqlite"]
    db = stores.SqliteDatabase(db_path)
    try:
        await mods["schema"].create_schema(db)
        for (table, column, enum, _), tv, text in zip(tables, view.tables, texts):
            store = getattr(stores, tv.store)(db)
            model = getattr(mods["models"], tv.model)
            attr = next(f.attr for f in tv.fields if f.column == column)
            assert store.table == table
            # The dataclass defaults are the SQL defaults, character for character.
            await db.execute(f"INSERT INTO {sql_name(table)} (id) VALUES (1)", ())
            by_sql = await store.get_by_id(1, "ray")
            assert by_sql.client_message == model(id=1), (table, by_sql)
            assert getattr(by_sql.client_message, attr) == text
            assert by_sql.client_message.kind == enum[0]
            # And a row written through the store reads back verbatim.
            row = model(id=2, kind=enum[1], **{attr: text + text})
            inserted = await store.insert(row, "ray")
            assert inserted.status, inserted
            listing = await getattr(store, f"list_by_{attr.rstrip('_')}")(text + text, "ray")
            assert listing.client_message == [row], listing
    finally:
        await db.close()


@pytest.mark.parametrize(
    "file_name",
    [
        'x"""; raise SystemExit(97); """.sql',
        "x'''; raise SystemExit(97); '''.sql",
        'y\r__import__("pathlib").Path("MARKER").touch()\r.sql',
        'z\n__import__("pathlib").Path("MARKER").touch()\n.sql',
        "w\u2028raise SystemExit(97)\u2029.sql",
        "ends with backslash \\",
        '{{ pkg }} {% if 1 %}x{% endif %}".sql',
    ],
    ids=[
        "triple-double",
        "triple-single",
        "carriage-return",
        "newline",
        "separators",
        "backslash",
        "jinja",
    ],
)
def test_schema_file_names_cannot_break_out(project: Path, file_name: str) -> None:
    """File names appear in the header comment and the package docstring."""
    marker = project / "out" / "MARKER"  # the payloads touch it relative to the import's cwd
    generate_package(
        project, file_name, "CREATE TABLE items (id INTEGER PRIMARY KEY);\n", "inj_file"
    )
    assert_inert(project, "inj_file", marker)
    init = ast.parse((project / "out" / "inj_file" / "__init__.py").read_text(encoding="utf-8"))
    doc = ast.get_docstring(init, clean=False)
    assert doc is not None and doc.startswith(f"Typed storage for {file_name}: models"), doc
    FIGURES["injection: payloads tried"] += 1
