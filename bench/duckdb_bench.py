"""DuckDB side of the benchmark: read_json_auto of the same raw JSON-lines file, then the same
aggregate as seed000-1 (count by caller IP and vault). Prints seconds, rows/s, MB/s and peak RSS."""
import os
import resource
import sys
import time

try:
    import duckdb
except ImportError:
    print("duckdb: skipped (python module not installed; `pip install duckdb`)")
    sys.exit(0)

path = sys.argv[1]
size = os.path.getsize(path)
con = duckdb.connect()
con.execute("SET threads TO 1")  # per-core figure, comparable with keyhole's single thread
t0 = time.perf_counter()
rows = con.execute(
    """
    SELECT callerIpAddress,
           lower(regexp_extract(resourceId, '/VAULTS/([^/]+)$', 1)) AS vault,
           count(*) AS n
    FROM read_json_auto(?, format='newline_delimited', maximum_object_size=67108864)
    GROUP BY ALL
    """,
    [path],
).fetchall()
t1 = time.perf_counter()
total = sum(r[2] for r in rows)
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
secs = t1 - t0
print(
    f"duckdb {duckdb.__version__} (1 thread): {secs:.2f} s, {total / secs:,.0f} records/s, "
    f"{size / 1e6 / secs:.0f} MB/s, peak RSS {peak_kb / 1024:.0f} MiB ({peak_kb * 1024 / size:.2f} x input), "
    f"{len(rows)} groups over {total} records"
)
