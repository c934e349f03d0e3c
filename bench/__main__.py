"""`make bench`: the benchmarks we have, side by side in one run.

Today that is the per-operation cost of the generated stores over libSQL
(ws, http) next to the local aiosqlite file; the full side-by-side engine
benchmark of issue 4 will join it here.
"""

from bench.libsql_cost import main

main()
