"""FTS5 end to end: writes through the generated stores, searches through named queries.

The golden case `notes_search` has an external-content FTS5 table and the
three sync triggers of SQLite's FTS5 page. Random notes are inserted,
updated (some several times) and deleted through the generated `NoteStore`;
then, for every word of the vocabulary, the named `MATCH` query must return
exactly the notes a plain Python search finds (FTS5's default tokenizer:
case-folded runs of letters and digits), with `bm25()` a float and
`highlight()` marking the word in the title. Runs on a SQLite file, sqld
over WebSocket and the embedded replica.
"""

from __future__ import annotations

import importlib
import random
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_golden import GOLDEN, materialise_golden

CASE = GOLDEN / "notes_search"
SEED = time.time_ns() % 1_000_000
VOCABULARY = ["alpha", "Beta", "gamma", "delta", "echo", "foxtrot", "golf", "hotel"]


def words_of(text: str | None) -> set[str]:
    return set(re.findall(r"[0-9a-z]+", (text or "").lower()))


def reference_search(notes: dict[int, tuple[str, str | None]], word: str) -> list[int]:
    return sorted(
        i for i, (title, body) in notes.items() if word in words_of(title) | words_of(body)
    )


def phrase(rng: random.Random, most: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(1, most)))


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("notes-search")
    materialise_golden(CASE, root / "golden_notes_search", tmp_path_factory.mktemp("work"))
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("golden_notes_search")
    finally:
        sys.path.remove(str(root))


async def _store(kind: str, package: ModuleType, tmp_path: Path, request: Any) -> Any:
    name = package.__name__
    if kind == "aiosqlite":
        module = importlib.import_module(f"{name}.aiosqlite")
        return module.NoteStore(tmp_path / f"{uuid.uuid4().hex[:8]}.db")
    server = request.getfixturevalue("sqld_factory")()
    if kind == "libsql_replica":
        replica = importlib.import_module(f"{name}._runtime.libsql_replica")
        db = replica.LibsqlReplicaDatabase(
            tmp_path / "replica.db", server.http_url, write_url=server.ws_url, timeout=30.0
        )
        return importlib.import_module(f"{name}.libsql_replica").NoteStore(db)
    libsql = importlib.import_module(f"{name}._runtime.libsql")
    db = libsql.LibsqlDatabase(server.ws_url, timeout=30.0)
    return importlib.import_module(f"{name}.libsql").NoteStore(db)


def ok(result: Any) -> Any:
    assert result.status, result
    return result.client_message


@pytest.mark.parametrize("kind", ["aiosqlite", "libsql_ws", "libsql_replica"])
async def test_match_finds_what_a_python_search_finds(
    kind: str, package: ModuleType, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    rng = random.Random(SEED)
    store = await _store(kind, package, tmp_path, request)
    note_class = package.models.Note
    try:
        await package.create_schema(store.db)
        notes: dict[int, tuple[str, str | None]] = {}
        for _ in range(40):
            body = phrase(rng, 6) if rng.random() < 0.8 else None
            row = ok(await store.insert(note_class(title=phrase(rng, 3), body=body), "fts"))
            notes[row.id] = (row.title, row.body)
        for note_id in rng.sample(sorted(notes), 15):  # updates, some twice
            for _ in range(rng.randint(1, 2)):
                title, body = phrase(rng, 3), phrase(rng, 6)
                ok(await store.update(note_class(id=note_id, title=title, body=body), "fts"))
                notes[note_id] = (title, body)
        for note_id in rng.sample(sorted(notes), 10):
            ok(await store.delete_by_id(note_id, "fts"))
            del notes[note_id]
        if hasattr(store.db, "sync"):
            await store.db.sync()
        for word in VOCABULARY:
            expected = reference_search(notes, word.lower())
            assert ok(await store.search_ids(word, "fts")) == expected, (SEED, word)
            rows = ok(await store.search(word, "fts"))
            assert sorted(r.id for r in rows) == expected, (SEED, word)
            for found in rows:
                assert isinstance(found.score, float)
                title = notes[found.id][0]
                assert found.title == title
                marked = title if word.lower() not in words_of(title) else None
                if marked is None:
                    assert f"[{word.lower()}]" in (found.marked_title or "").lower()
                else:
                    assert found.marked_title == title
        # And the index agrees with the notes, by FTS5's own check.
        await store.db.execute("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')", ())
    finally:
        await store.db.close()
