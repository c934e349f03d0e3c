"""Point read, pydantic models vs dataclasses: what `models = "pydantic"` costs per read.

    python -m bench.model_cost [--rounds 5] [--n 2000]

The repo's schema is generated a second time, with `models = "pydantic"`,
into a temporary folder as the package `bench_pydantic`. Both packages'
AccessTokenStore read one SQLite file (WAL), alternating per round; the table
prints the median µs per call (min-max over the rounds) and the ratio of
pydantic to dataclass, for:

  get_by_id      a point read through the store (SQL, thread hop, decode)
  list_all(100)  one page of 100 rows: the model cost, 100 times per call
  decode         building one model from a row tuple, nothing else

Below the table, the road not taken: pydantic's `model_construct` (no
validation) against its validating `__init__`, both from the same keyword
arguments. The decoders use `__init__`: pydantic-core validates in Rust,
faster than `model_construct` copies the fields in Python.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from storegen import generate
from storegen.config import load_options

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "bench_pydantic"
ROWS = 1_000
PARENTS = (
    "INSERT INTO oauth_clients (id, client_identifier, client_secret, is_confidential, "
    "redirect_uris, grant_types, scopes, is_enabled, created_at, created_by, updated_at, "
    "updated_by) VALUES ('c', 'c', NULL, 0, 'https://x/cb', 'code', NULL, 1, 0, 'b', 0, 'b');"
    "INSERT INTO oauth_users (id, external_id, is_active, created_at, created_by, updated_at, "
    "updated_by) VALUES ('u', 'u', 1, 0, 'b', 0, 'b');"
)


def pydantic_package(folder: Path) -> ModuleType:
    """The repo's schema, generated with `models = "pydantic"` into `folder`, imported."""
    options = load_options(REPO / "pyproject.toml", REPO)
    options = replace(options, models="pydantic", package=PACKAGE, out=folder / PACKAGE)
    for rel, text in generate(options).files.items():
        target = folder / PACKAGE / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(folder))
    return importlib.import_module(PACKAGE)


def token_values(now: int = 1_700_000_000) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex, "token": uuid.uuid4().hex, "client_id": "c", "user_id": "u",
        "scopes": "openid", "expires_at": now + 3600, "revoked_at": None,
        "created_at": now, "created_by": "bench", "updated_at": now, "updated_by": "bench",
    }  # fmt: skip


async def median_us(n: int, call: Callable[[int], Awaitable[object]]) -> float:
    for i in range(min(n, 50)):  # warm the connection, the statement and the page cache
        await call(i)
    start = time.perf_counter()
    for i in range(n):
        await call(i)
    return (time.perf_counter() - start) / n * 1e6


def decode_us(decode: Callable[[Sequence[Any]], object], row: tuple[Any, ...], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        decode(row)
    return (time.perf_counter() - start) / n * 1e6


async def run(rounds: int, n: int) -> dict[str, dict[str, list[float]]]:
    import generated
    from generated import _rows as dataclass_rows
    from generated.aiosqlite import AccessTokenStore, SqliteDatabase

    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="storegen-model-cost-") as tmp:
        pyd = pydantic_package(Path(tmp))
        pyd_rows = importlib.import_module(f"{PACKAGE}._rows")
        pyd_backend = importlib.import_module(f"{PACKAGE}.aiosqlite")
        path = str(Path(tmp) / "bench.db")
        setup = SqliteDatabase(path)
        await generated.create_schema(setup)
        await setup.execute_script(PARENTS)
        values = [token_values() for _ in range(ROWS)]
        writer = AccessTokenStore(setup)
        for v in values:
            assert (await writer.insert(generated.AccessToken(**v), "seed")).status
        await setup.close()
        ids = [v["id"] for v in values]
        raw = tuple(values[0].values())
        flavours = {
            "dataclass": (SqliteDatabase, AccessTokenStore, dataclass_rows.decode_access_token),
            "pydantic": (
                pyd_backend.SqliteDatabase,
                pyd_backend.AccessTokenStore,
                pyd_rows.decode_access_token,
            ),
        }
        results = {
            op: {name: [] for name in flavours} for op in ("get_by_id", "list_all(100)", "decode")
        }
        for r in range(rounds):
            order = list(flavours) if r % 2 == 0 else list(flavours)[::-1]
            opened = {name: flavours[name][0](path) for name in order}
            stores = {name: flavours[name][1](opened[name]) for name in order}
            try:
                # Flavours alternate per operation, so load on the machine hits both alike.
                for name in order:
                    store = stores[name]

                    async def get(i: int) -> None:
                        assert (await store.get_by_id(ids[i % ROWS], "b")).status

                    results["get_by_id"][name].append(await median_us(n, get))
                for name in order:
                    store = stores[name]

                    async def page(i: int) -> None:
                        assert len((await store.list_all("b", limit=100)).client_message) == 100

                    results["list_all(100)"][name].append(await median_us(max(50, n // 10), page))
                for name in order:
                    results["decode"][name].append(decode_us(flavours[name][2], raw, n * 50))
            finally:
                for db in opened.values():
                    await db.close()
        model, kwargs = pyd.AccessToken, values[0]
        for label, build in (("__init__", model), ("model_construct", model.model_construct)):
            times = [decode_us(lambda _: build(**kwargs), raw, n * 50) for _ in range(rounds)]
            CONSTRUCT[label] = statistics.median(times)
    return results


CONSTRUCT: dict[str, float] = {}


def format_table(results: dict[str, dict[str, list[float]]], title: str) -> str:
    lines = [f"### {title}", "", "| operation | dataclass | pydantic | pydantic / dataclass |"]
    lines.append("|---|---|---|---|")
    for op, by_name in results.items():
        cells, medians = [], []
        for name in ("dataclass", "pydantic"):
            values = by_name[name]
            medians.append(statistics.median(values))
            cells.append(f"{medians[-1]:,.2f} ({min(values):,.2f}–{max(values):,.2f})")
        lines.append(f"| {op} | {cells[0]} | {cells[1]} | **{medians[1] / medians[0]:.2f}×** |")
    lines += ["", "µs per call, median (min–max) over the rounds; same SQLite file, same run."]
    if CONSTRUCT:
        init, construct = CONSTRUCT["__init__"], CONSTRUCT["model_construct"]
        lines.append(
            f"pydantic from keyword arguments: validating `__init__` {init:.2f} µs, "
            f"`model_construct` {construct:.2f} µs ({construct / init:.2f}×): decoders use `__init__`."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=2000, help="point reads per flavour and round")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = asyncio.run(run(args.rounds, args.n))
    title = f"AccessToken (11 fields), {args.rounds} rounds, {time.perf_counter() - start:.0f} s"
    table = format_table(results, title)
    print(table, flush=True)
    return table


if __name__ == "__main__":
    main()
