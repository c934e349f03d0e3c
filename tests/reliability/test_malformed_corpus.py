"""Bad schema input through the real CLI: exit 2, a precise message, nothing written.

Every file in tests/corpus/ plus inputs built here (a 10 MB file, binary
garbage, non-UTF-8 and UTF-16 bytes) is fed to
``python -m storegen generate --schema F --out OUT`` in a throwaway project
whose OUT already holds a valid generation. Each run must exit 2 with
``storegen: error: <file>:<line>:<col>: <specific message>`` (no traceback),
and leave every file of OUT byte-for-byte as it was, with no file added.
"""

from __future__ import annotations

import hashlib
import random
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ._support import FIGURES, REPO

CORPUS = REPO / "tests" / "corpus"
VALID_SCHEMA = """\
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    secret TEXT -- @secret
);
"""

# file name -> (line:col, or None when no position exists; message pattern)
EXPECTED: dict[str, tuple[str | None, str]] = {
    "alter_table.sql": ("4:1", r"ALTER TABLE is not supported"),
    "bad_check_expression.sql": (
        "3:25",
        r"SQLite rejects this statement: near \"<\": syntax error",
    ),
    "bad_default_expression.sql": ("3:27", r"SQLite rejects this statement: near \"\)\""),
    "check_bool_on_text.sql": (
        "4:5",
        r"tasks\.done: CHECK lists integers, but declared type 'VARCHAR\(1\)' gives TEXT affinity",
    ),
    "check_empty_enum.sql": ("3:5", r"CHECK \(kind IN \(\)\) allows no value"),
    "check_integers_on_text.sql": (
        "3:5",
        r"tasks\.level: CHECK lists integers, .* TEXT affinity, which stores them as text",
    ),
    "check_mixed_enum.sql": ("4:5", r"cannot become an enum: list only integer .* or only string"),
    "check_strings_on_integer.sql": (
        "3:5",
        r"tasks\.state: CHECK lists strings, but declared type 'INTEGER' gives INTEGER affinity, not TEXT; .*type = ",
    ),
    "check_strings_on_untyped.sql": (
        "3:5",
        r"tasks\.kind: CHECK lists strings, but no declared type gives BLOB affinity",
    ),
    "check_subquery.sql": ("3:5", r"with a subquery cannot become an enum"),
    "check_two_enums.sql": ("3:5", r"clients\.kind has two CHECK"),
    "check_unknown_column.sql": ("4:5", r"CHECK names column 'knd', which table clients lacks"),
    "collide_decoder.sql": ("4:1", r"'x_y' and 'xy' both become the decoder function"),
    "collide_keyword_escape.sql": ("4:5", r"'class' and 'class_' .* both become the attribute"),
    "collide_reserved_class.sql": (
        "1:1",
        r"model class 'Result', a name the generated code already",
    ),
    "collide_singular.sql": ("4:1", r"'boxes' and 'box' both become the model class 'Box'"),
    "create_table_as_select.sql": ("1:1", r"CREATE TABLE \.\.\. AS SELECT is not supported"),
    "duplicate_column.sql": ("4:5", r"duplicate column 'Name' .*first declared at .*:3:5"),
    "duplicate_index.sql": ("6:1", r"index idx_name is defined twice \(first at .*:5:1\)"),
    "duplicate_table.sql": ("5:1", r"table Clients is defined twice \(first at .*:1:1\)"),
    "empty.sql": ("1:1", r"no CREATE TABLE in .*: nothing to generate"),
    "fk_not_a_key.sql": ("7:5", r"neither its PRIMARY KEY nor UNIQUE"),
    "fk_parent_without_key.sql": ("6:5", r"logs has no PRIMARY KEY"),
    "fk_unknown_column.sql": ("6:5", r"names column 'client_identifier', which table clients"),
    "fk_unknown_table.sql": ("3:5", r"references table 'clients', which no schema file defines"),
    "index_unknown_column.sql": ("4:1", r"names column 'name', which table clients does not have"),
    "index_unknown_table.sql": ("4:1", r"on table 'tokens', which no schema file defines"),
    "no_tables.sql": ("1:1", r"no CREATE TABLE in .*: nothing to generate"),
    "sqlite_rejects.sql": ("1:1", r"AUTOINCREMENT not allowed on WITHOUT ROWID"),
    "stray_directive.sql": ("1:1", r"directive '@secret' is not attached to any table or column"),
    "trailing_comma.sql": ("3:14", r"trailing comma"),
    "trigger_without_end.sql": ("4:1", r"CREATE TRIGGER body has no END"),
    "truncated_column_list.sql": ("1:22", r"'\(' is never closed .*truncated"),
    "truncated_constraint.sql": ("3:15", r"SQLite rejects this statement: near \"\)\""),
    "truncated_index.sql": ("4:42", r"'\(' is never closed"),
    "truncated_keyword.sql": ("1:1", r"unrecognised statement 'CREATE'"),
    "two_primary_keys.sql": ("3:5", r"more than one PRIMARY KEY \(the first is at .*:2:5\)"),
    # Type names with no affinity keyword that storegen does not know: SQLite reads them as NUMERIC.
    "type_typo_string.sql": (
        "4:5",
        r"users\.name: declared type 'STRING' .*NUMERIC affinity \(did you mean TEXT\?",
    ),
    "type_typo_timestamp_tz.sql": (
        "3:5",
        r"events\.at: declared type 'TIMESTAMPZ' .*\(did you mean TIMESTAMP\?\)",
    ),
    "type_typo_txt.sql": (
        "4:5",
        r"posts\.status: declared type 'TXT' has none of SQLite's type keywords .*\(did you mean TEXT\?\); fix the type, or confirm it with \[tool\.storegen\.tables\.posts\.columns\.status\] type = ",
    ),
    "type_typo_varchr.sql": (
        "3:5",
        r"users\.email: declared type 'VARCHR\(200\)' .*\(did you mean VARCHAR\?\)",
    ),
    "unbalanced_close_paren.sql": ("4:1", r"unbalanced '\)': no '\(' before it"),
    "unbalanced_open_paren.sql": ("1:22", r"'\(' is never closed"),
    "unknown_directive.sql": ("3:20", r"unknown directive '@secrett'"),
    "unknown_statement.sql": ("4:1", r"unrecognised statement 'HELLO'"),
    "unknown_table_option.sql": ("3:3", r"unknown table option 'WITHOUT ROWIDS'"),
    "unterminated_block_comment.sql": ("2:26", r"unterminated block comment"),
    "unterminated_bracket_identifier.sql": ("3:5", r"unterminated quoted identifier"),
    "unterminated_quoted_identifier.sql": ("1:14", r"unterminated quoted identifier"),
    "unterminated_string.sql": ("3:32", r"unterminated string literal"),
    "virtual_table.sql": (
        "2:1",
        r"virtual table boxes uses module 'rtree', which storegen does not support",
    ),
}

TEN_MB = 10 * 1024 * 1024


def built_inputs() -> dict[str, tuple[bytes, str | None, str]]:
    """Inputs too big or too binary to commit: name -> (bytes, line:col, pattern)."""
    rng = random.Random(5)
    comment_line = b"-- padding: a schema file that is far too long to be real\n"
    lines = TEN_MB // len(comment_line) + 1
    padded = comment_line * lines + b"CREATE TABLE big (\n    id TEXT PRIMARY KEY,\n"
    garbage = rng.randbytes(4096)
    no_nul = bytes(b for b in rng.randbytes(4096) if b) + b"\xff"
    return {
        "ten_mb_truncated.sql": (padded, f"{lines + 1}:18", r"'\(' is never closed"),
        "ten_mb_unterminated_string.sql": (
            b"CREATE TABLE big (id TEXT DEFAULT '" + b"x" * TEN_MB + b"\n);\n",
            "1:35",
            r"unterminated string literal",
        ),
        "binary_garbage.bin": (
            garbage,
            _position(garbage, garbage.index(b"\0")),
            r"binary data \(a NUL byte\)",
        ),
        "binary_garbage_without_nul.bin": (no_nul, None, r"not valid UTF-8 \(byte 0x[0-9a-f]{2}\)"),
        "png_header.sql": (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "3:1", r"binary data \(a NUL byte\)"),
        "latin1_comment.sql": (
            "-- caf\u00e9 table\nCREATE TABLE t (id TEXT PRIMARY KEY);\n".encode("latin-1"),
            "1:7",
            r"not valid UTF-8 \(byte 0xe9\): save the file as UTF-8",
        ),
        "latin1_identifier.sql": (
            "CREATE TABLE clients (\n    na\u00efve TEXT PRIMARY KEY\n);\n".encode("latin-1"),
            "2:7",
            r"not valid UTF-8 \(byte 0xef\)",
        ),
        "utf16.sql": (
            "CREATE TABLE t (id TEXT PRIMARY KEY);\n".encode("utf-16"),
            "1:4",  # after the two BOM bytes and the "C"
            r"binary data \(a NUL byte\)",
        ),
        "truncated_utf8_sequence.sql": (
            "CREATE TABLE t (id TEXT PRIMARY KEY); -- \u00e9".encode()[:-1],
            "1:42",
            r"not valid UTF-8 \(byte 0xc3\)",
        ),
    }


def _position(data: bytes, offset: int) -> str:
    line_start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    line = data.count(b"\n", 0, offset) + 1
    return f"{line}:{col}"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) with its SHA-256."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def run_cli(project: Path, schema: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storegen", "generate", "--schema", str(schema), "--out", str(out)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with pyproject.toml and a valid generation in out/."""
    root = tmp_path_factory.mktemp("malformed")
    (root / "pyproject.toml").write_text('[tool.storegen]\npackage = "app_store"\n')
    (root / "valid.sql").write_text(VALID_SCHEMA)
    done = run_cli(root, root / "valid.sql", root / "out")
    assert done.returncode == 0, done.stderr
    return root


def test_every_corpus_file_has_an_expectation() -> None:
    on_disk = {path.name for path in CORPUS.glob("*.sql")}
    assert on_disk == set(EXPECTED), (
        f"missing expectations: {sorted(on_disk - set(EXPECTED))}; "
        f"missing files: {sorted(set(EXPECTED) - on_disk)}"
    )


def test_malformed_inputs_exit_2_with_a_position_and_write_nothing(project: Path) -> None:
    out = project / "out"
    before = snapshot(out)
    assert "app_store/models.py" not in before and "models.py" in before
    cases: list[tuple[str, Path, str | None, str]] = []
    for name, (location, pattern) in sorted(EXPECTED.items()):
        cases.append((name, CORPUS / name, location, pattern))
    inputs = project / "built"
    inputs.mkdir()
    for name, (data, location, pattern) in built_inputs().items():
        (inputs / name).write_bytes(data)
        cases.append((name, inputs / name, location, pattern))

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda case: run_cli(project, case[1], out), cases))

    problems = []
    for (name, path, location, pattern), done in zip(cases, runs):
        shown = path.relative_to(project).as_posix() if path.parent == inputs else str(path)
        message = done.stderr.strip()
        expected_prefix = f"storegen: error: {shown}"
        if location is not None:
            expected_prefix += f":{location}: "
        if done.returncode != 2:
            problems.append(f"{name}: exit {done.returncode}, expected 2\n{done.stderr}")
        elif "Traceback" in done.stderr or "\n" in message:
            problems.append(f"{name}: not a one-line message:\n{done.stderr}")
        elif not message.startswith(expected_prefix):
            problems.append(f"{name}: expected {expected_prefix!r}..., got {message!r}")
        elif not re.search(pattern, message):
            problems.append(f"{name}: {message!r} does not match {pattern!r}")
        if done.stdout:
            problems.append(f"{name}: printed to stdout: {done.stdout!r}")
        if snapshot(out) != before:
            problems.append(f"{name}: the output folder changed")
    FIGURES["malformed: inputs tried through the CLI"] += len(cases)
    print(f"malformed corpus: {len(cases)} inputs, every one exit 2 and nothing written")
    assert not problems, "\n".join(problems)


def test_a_failed_run_after_a_good_one_keeps_the_good_output(project: Path) -> None:
    """A half-good schema (first table fine, second broken) writes nothing either."""
    out = project / "out"
    before = snapshot(out)
    schema = project / "half.sql"
    schema.write_text(VALID_SCHEMA + "CREATE TABLE broken (\n    id TEXT PRIMARY KEY,\n")
    done = run_cli(project, schema, out)
    assert done.returncode == 2 and "half.sql:6:" in done.stderr, done.stderr
    assert snapshot(out) == before
