"""One time-zone rule for datetimes, on every backend (issue 23, item 1).

Datetimes read back aware, in UTC; a naive one is refused on write
(INVALID_DATA) unless `naive_datetimes = "utc"`; every value is stored as
canonical UTC text (`YYYY-MM-DD HH:MM:SS[.ffffff]`, what CURRENT_TIMESTAMP
writes), so ORDER BY on the column is time order. Rows other writers left in
other ISO forms still read, converted to UTC.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from codec_support import BACKENDS, build_package, module, open_backend

UTC = datetime.timezone.utc
SCHEMA = """\
CREATE TABLE dt_events (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    due DATETIME,
    since TIMESTAMP DEFAULT '2026-01-01 00:00:00',
    stamp TIMESTAMP -- unix seconds (temporal_storage = "epoch"): the same rule
);
"""
QUERIES = """\
-- name: in_time_order :many
SELECT * FROM dt_events ORDER BY at, id;

-- name: after :many
SELECT * FROM dt_events WHERE at > :since ORDER BY at, id;

-- name: raw_at :many
SELECT id, CAST(at AS TEXT) AS at_text FROM dt_events ORDER BY id;
"""
CANONICAL = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?")


def zone(hours: int, minutes: int = 0) -> datetime.timezone:
    return datetime.timezone(datetime.timedelta(hours=hours, minutes=minutes))


# Aware values whose local wall-clock text sorts differently from their instants,
# around one second with and without fractions.
AWARE = [
    datetime.datetime(2026, 12, 5, 10, 0, 0, tzinfo=zone(5, 30)),  # 04:30:00 UTC
    datetime.datetime(2026, 12, 5, 4, 30, 0, 500000, tzinfo=UTC),
    datetime.datetime(2026, 12, 4, 23, 0, 0, tzinfo=zone(-5)),  # 04:00:00 UTC
    datetime.datetime(2026, 12, 5, 4, 30, 0, 1, tzinfo=UTC),
    datetime.datetime(2026, 12, 5, 4, 29, 59, 999999, tzinfo=UTC),
    datetime.datetime(2026, 12, 5, 18, 31, 0, tzinfo=zone(14)),  # 04:31:00 UTC
    datetime.datetime(2026, 12, 4, 16, 30, 0, 250000, tzinfo=zone(-12)),  # 04:30:00.25 UTC
    datetime.datetime(1999, 12, 31, 23, 59, 59, tzinfo=zone(-1)),  # next year in UTC
]
NAIVE = datetime.datetime(2026, 12, 5, 4, 30, 0, 750000)


@pytest.fixture(scope="module", params=["refuse", "utc"])
def package(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    naive: str = request.param
    root = tmp_path_factory.mktemp(f"dt-{naive}")
    config: dict[str, Any] = {} if naive == "refuse" else {"naive_datetimes": "utc"}
    config["tables"] = {"dt_events": {"columns": {"stamp": {"temporal_storage": "epoch"}}}}
    return build_package(root, f"dt_{naive}", SCHEMA, QUERIES, **config)


def ok(result: Any) -> Any:
    assert result.status is True, result
    return result.client_message


def refused(result: Any) -> str:
    assert result.status is False and result.error_code.name == "INVALID_DATA", result
    message: str = result.client_message
    return message


@pytest.mark.parametrize("backend", BACKENDS)
async def test_one_rule_on_every_backend(
    package: ModuleType, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    naive_utc = package.__name__.endswith("_utc")
    store_class = module(package, backend).DtEventStore
    model = package.DtEvent
    async with open_backend(package, backend, tmp_path, request) as db:
        events = store_class(db)
        before = datetime.datetime.now(UTC).replace(microsecond=0)
        filled = ok(await events.insert(model(label="default"), "r"))
        after = datetime.datetime.now(UTC)
        assert filled.at.tzinfo is UTC and before <= filled.at <= after, filled.at
        assert filled.since == datetime.datetime(2026, 1, 1, tzinfo=UTC)  # a literal DEFAULT
        expected = {filled.id: filled.at}
        for i, value in enumerate(AWARE):
            whole = value.replace(microsecond=0)
            row = ok(
                await events.insert(model(label=f"aware{i}", at=value, due=value, stamp=whole), "r")
            )
            assert row.at == value and row.at.tzinfo is UTC and row.due == value
            assert row.stamp == whole and row.stamp.tzinfo is UTC
            expected[row.id] = value
        naive_stamp = await events.insert(
            model(label="naive epoch", at=AWARE[0], stamp=NAIVE.replace(microsecond=0)), "r"
        )
        if naive_utc:
            row = ok(naive_stamp)
            assert row.stamp == NAIVE.replace(microsecond=0, tzinfo=UTC)
            expected[row.id] = AWARE[0]
        else:
            assert "naive datetime" in refused(naive_stamp)
        naive = await events.insert(model(label="naive", at=NAIVE), "r")
        if naive_utc:
            row = ok(naive)
            assert row.at == NAIVE.replace(tzinfo=UTC) and row.at.tzinfo is UTC
            expected[row.id] = row.at
        else:
            assert "naive datetime" in refused(naive)
            assert "2026" not in naive.client_message  # names no value
            assert ok(await events.count_all("r")) == len(expected)
            kept = ok(await events.get_by_id(filled.id, "r"))
            stale = await events.update(type(kept)(id=kept.id, label="x", at=NAIVE, due=None), "r")
            assert stale.status is False and stale.error_code.name == "INVALID_DATA"
            assert ok(await events.get_by_id(filled.id, "r")) == kept

        ordered = ok(await events.in_time_order("r"))
        assert all(r.at.tzinfo is UTC for r in ordered)
        assert [(r.at, r.id) for r in ordered] == sorted((v, k) for k, v in expected.items())
        assert {r.id: r.at for r in ordered} == expected
        since = AWARE[3]
        later = ok(await events.after(since, "r"))
        assert [r.id for r in later] == [
            k for v, k in sorted((v, k) for k, v in expected.items()) if v > since
        ]
        if not backend.startswith("postgres"):  # SQLite keeps the text: one canonical form
            for row in ok(await events.raw_at("r")):
                assert CANONICAL.fullmatch(row.at_text), row.at_text


@pytest.mark.parametrize("backend", BACKENDS)
async def test_rows_in_other_forms_read_as_utc(
    package: ModuleType, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Text other writers left (a T, an offset, Z, naive, fractions) reads as aware UTC."""
    stored = {
        "2026-12-05T06:30:00+02:00": datetime.datetime(2026, 12, 5, 4, 30, tzinfo=UTC),
        "2026-12-05T04:30:00Z": datetime.datetime(2026, 12, 5, 4, 30, tzinfo=UTC),
        "2026-12-05 04:30:00.123": datetime.datetime(2026, 12, 5, 4, 30, 0, 123000, tzinfo=UTC),
        "2026-12-04 23:30:00.5-05:00": datetime.datetime(2026, 12, 5, 4, 30, 0, 500000, UTC),
        "2026-12-05": datetime.datetime(2026, 12, 5, tzinfo=UTC),  # date only: midnight UTC
    }
    store_class = module(package, backend).DtEventStore
    placeholder = "$1" if backend.startswith("postgres") else "?"
    async with open_backend(package, backend, tmp_path, request) as db:
        for text in stored:
            await db.execute(
                f"INSERT INTO dt_events (label, at) VALUES ('legacy', {placeholder})", [text]
            )
        rows = ok(await store_class(db).list_all("r"))
        assert [r.at for r in rows] == list(stored.values())
        assert all(r.at.tzinfo is UTC for r in rows)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_every_write_path_stores_the_canonical_form(
    package: ModuleType, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """insert_many, update and upsert encode like insert; a naive value fails the whole batch."""
    store_class = module(package, backend).DtEventStore
    model = package.DtEvent
    naive_utc = package.__name__.endswith("_utc")
    async with open_backend(package, backend, tmp_path, request) as db:
        events = store_class(db)
        batch = [model(id=i + 1, label=f"b{i}", at=value) for i, value in enumerate(AWARE[:3])]
        assert ok(await events.insert_many(batch, "r")) == 3
        mixed = [model(id=10, label="ok", at=AWARE[3]), model(id=11, label="naive", at=NAIVE)]
        result = await events.insert_many(mixed, "r")
        if naive_utc:
            assert ok(result) == 2
        else:
            refused(result)
            assert ok(await events.count_all("r")) == 3  # all or nothing
        moved = AWARE[5]
        updated = ok(
            await events.update(model(id=1, label="u", at=moved, due=moved, since=None), "r")
        )
        assert updated.at == moved and updated.due == moved and updated.at.tzinfo is UTC
        upserted = ok(await events.upsert(model(id=2, label="up", at=AWARE[6]), "r"))
        assert upserted.at == AWARE[6] and upserted.at.tzinfo is UTC
        rows = {r.id: r.at for r in ok(await events.in_time_order("r"))}
        assert rows[1] == moved and rows[2] == AWARE[6] and rows[3] == AWARE[2]
