"""`make bench`: every benchmark side by side in one run, bounded to a few minutes.

1. the engine: generated stores vs hand-optimized aiosqlite, sync sqlite3,
   SQLAlchemy async ORM and the seed pattern (bench/engine.py), unpinned and
   then pinned to one CPU (a child process, so every thread is pinned);
2. generation time of the repo's schema (bench/gen_scale.py), and storegen
   against sqlc 1.31.1 on synthetic schemas of 8, 100 and 500 tables with
   2 named queries each: cold, `check` on an unchanged tree, peak memory,
   ratios (bench/vs_sqlc.py, issue 25);
3. the per-operation cost over libSQL (bench/libsql_cost.py);
4. a 1,000,000-row table rebuild: `apply_migrations` vs the hand-written
   `INSERT INTO new SELECT` (bench/migrate_rebuild.py).
5. the Turso embedded replica against libSQL ws and http on one sqld
   (bench/replica_cost.py);
6. point read, pydantic models vs dataclass: what `models = "pydantic"`
   costs per read (bench/model_cost.py);
7. value codecs: datetimes and JSON columns, ns per value (bench/codec_cost.py);
8. the sync stores (backend sqlite3) vs inline sqlite3, with the async store
   vs its floor beside them (bench/sync_engine.py), a sync write's cost over
   the floor split into the file check and the rest (bench/write_split.py),
   and 16 threads sharing one sync database under the three thread models
   (bench/sync_threads.py);
9. dynamic named queries (an @optional filter, a 1,000-id IN-list) vs
   hand-written aiosqlite (bench/dynamic_queries.py).

    python -m bench [--rounds 3] [--n 200] [--skip-libsql] [--skip-migrate]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench import (
    codec_cost,
    dynamic_queries,
    engine,
    gen_scale,
    migrate_rebuild,
    model_cost,
    sync_engine,
    sync_threads,
    vs_sqlc,
    write_split,
)

parser = argparse.ArgumentParser(description="storegen benchmarks")
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--n", type=int, default=200)
parser.add_argument("--skip-libsql", action="store_true")
parser.add_argument("--skip-migrate", action="store_true")
args = parser.parse_args()

print("## Engine (ops/s; ratio to hand-optimized aiosqlite)\n", flush=True)
engine.main(["--rounds", str(args.rounds), "--n", str(args.n)])
print(flush=True)
subprocess.run(
    [
        sys.executable,
        "-m",
        "bench.engine",
        "--pin",
        "--rounds",
        str(args.rounds),
        "--n",
        str(args.n),
    ],
    check=True,
)
print("\n## Sync stores (sqlite3 backend) vs inline sqlite3\n", flush=True)
sync_engine.main(["--rounds", str(args.rounds)])  # its own n: reads and writes in chunks
print("\n## A sync write's cost over the floor, split (median µs per update)\n", flush=True)
write_split.main([])
print("\n## 16 threads on one sync database: the thread models\n", flush=True)
sync_threads.main(["--rounds", str(args.rounds)])
print("\n## Point read, pydantic models vs dataclass (µs per call)\n", flush=True)
model_cost.main(["--rounds", str(max(args.rounds, 5))])
print("\n## Value codecs, datetimes and JSON (ns per value)\n", flush=True)
codec_cost.main(["--rounds", str(max(args.rounds, 5))])
print("\n## Dynamic named queries vs hand-written aiosqlite (calls/s)\n", flush=True)
dynamic_queries.main(["--rounds", str(max(args.rounds, 9))])
print("\n## Generation time (wall, whole process)\n", flush=True)
gen_scale.main(["--sizes", ""])
print("\n## Generation: storegen vs sqlc (issue 25)\n", flush=True)
vs_sqlc.main(["--rounds", str(args.rounds)])
if not args.skip_libsql:
    print("\n## libSQL cost per operation\n", flush=True)
    from bench.libsql_cost import main

    main([])
    print("\n## Turso embedded replica vs libSQL ws / http\n", flush=True)
    from bench.replica_cost import main as replica_main

    replica_main([])
if not args.skip_migrate:
    print("\n## Migration: table rebuild\n", flush=True)
    migrate_rebuild.main(["--rounds", str(args.rounds)])
