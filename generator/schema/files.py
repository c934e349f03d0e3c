"""Schema and query files read as text, before (and apart from) any parsing.

Kept out of `parse.py` because the `storegen` process reads the files and
must not import sqlglot (the parsing child does, spare.py), and the parsing
child gets plain text, so it never imports pathlib here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import SchemaError
from .ir import Location

TYPE_CHECKING = False  # typing's, without importing it
if TYPE_CHECKING:
    from pathlib import Path


def read_schema_files(
    paths: Sequence[Path], display: Callable[[Path], str] = str, kind: str = "schema file"
) -> list[tuple[str, str]]:
    """Read schema files as text, so that parsing itself never touches the disk.

    Args:
        paths: The schema files, in the order their statements should run.
        display: How a path appears in messages; the path as given by default.
        kind: What the files are, for messages (``schema file``, ``query file``).

    Returns:
        ``(display_path, sql_text)`` pairs, ready for `parse_schema`.

    Raises:
        SchemaError: A file is unreadable, binary (has a NUL byte) or not
            UTF-8; the location is that of the first offending byte.
    """
    sources = []
    for path in paths:
        shown = display(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise SchemaError(f"{shown}: cannot read {kind}: {error.strerror}") from None
        if b"\0" in data:
            raise SchemaError(
                f"binary data (a NUL byte) in a {kind}: is this really SQL?",
                _byte_location(shown, data, data.index(b"\0")),
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SchemaError(
                f"not valid UTF-8 (byte 0x{data[error.start]:02x}): save the file as UTF-8",
                _byte_location(shown, data, error.start),
            ) from None
        sources.append((shown, text.removeprefix("\ufeff")))
    return sources


def _byte_location(path: str, data: bytes, offset: int) -> Location:
    """line:col of a byte offset, counting characters of the valid text before it."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return Location(path, data.count(b"\n", 0, offset) + 1, col)
