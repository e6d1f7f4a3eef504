"""DuckDB side of the benchmark (scripts/bench.sh): the two seed aggregates of the acceptance set
over the same raw JSON-lines file Keyhole reads, at DuckDB's default thread count, two ways:

  load    CREATE TABLE t AS SELECT * FROM read_json_auto(file, sample_size=-1), then both
          aggregates over t (what Keyhole does: load everything, then answer; the whole file is
          sampled for the schema, else a rare key such as addedAccessPolicy fails the load)
  direct  both aggregates straight over read_json_auto(file) (projection pushdown: DuckDB's
          fastest path)

seed000-1: requests by caller IP and vault; seed000-2: failures (status >= 300, without the 401
Authentication challenge) by request URI, result signature and resource.

Prints one JSON line: mode, seconds (from before the load/first query to after the last result,
Python start-up and `import duckdb` excluded), threads, row and group counts, peak RSS.
"""
import json
import os
import resource
import sys
import time

try:
    import duckdb
except ImportError:
    print(json.dumps({"skipped": "python module duckdb not installed (pip install duckdb)"}))
    sys.exit(0)

path, mode = sys.argv[1], sys.argv[2]
SRC = f"read_json_auto('{path}', format='newline_delimited', maximum_object_size=67108864)"
SRC_ALL = f"read_json_auto('{path}', format='newline_delimited', maximum_object_size=67108864, sample_size=-1)"

SEED_000_1 = """
SELECT callerIpAddress AS CallerIPAddress,
       upper(regexp_extract(resourceId, '/VAULTS/([^/]+)$', 1)) AS Resource,
       count(*) AS n
FROM {src} GROUP BY ALL
"""
SEED_000_2 = """
SELECT properties.requestUri AS requestUri_s, resultSignature AS ResultSignature,
       resourceId AS _ResourceId, count(*) AS n
FROM {src}
WHERE TRY_CAST(properties.httpStatusCode AS INTEGER) >= 300
  AND NOT (operationName = 'Authentication' AND TRY_CAST(properties.httpStatusCode AS INTEGER) = 401)
GROUP BY ALL
"""

con = duckdb.connect()
threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
t0 = time.perf_counter()
if mode == "load":
    con.execute(f"CREATE TABLE t AS SELECT * FROM {SRC_ALL}")
    src = "t"
else:
    src = SRC
g1 = con.execute(SEED_000_1.format(src=src)).fetchall()
g2 = con.execute(SEED_000_2.format(src=src)).fetchall()
secs = time.perf_counter() - t0
rows = sum(r[2] for r in g1)
print(
    json.dumps(
        {
            "mode": mode,
            "duckdb": duckdb.__version__,
            "threads": threads,
            "secs": secs,
            "rows": rows,
            "groups_seed000_1": len(g1),
            "groups_seed000_2": len(g2),
            "failures": sum(r[3] for r in g2),
            "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "bytes": os.path.getsize(path),
        }
    )
)
