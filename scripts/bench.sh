#!/usr/bin/env bash
# Benchmarks (spec §6): prints figures, asserts nothing. Generates a raw JSON-lines file of
# ${BENCH_MB:-200} MB (cached in target/bench-data), then measures on one core:
#   keyhole events (parse + normalise + de-dup + sort + serialise), keyhole analyze (+ every rule),
#   and, side by side, DuckDB read_json_auto + count by caller IP and vault, and jq when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${BENCH_MB:-200}
DATA=target/bench-data/raw-${MB}MB.jsonl
cargo build -q --release -p keyhole-cli -p keyhole-gen
mkdir -p target/bench-data
if [ ! -f "$DATA" ]; then
  echo "generating $DATA ..." >&2
  target/release/keyhole-gen --seed 7 --attacks --shape raw-jsonl --size "${MB}MB" --out "$DATA"
fi
SIZE=$(stat -c %s "$DATA")
echo "input: $DATA, $SIZE bytes"
measure() { # label, command...
  local label=$1; shift
  local err; err=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$err.time" "$@" 2>"$err" >/dev/null || true
  read -r secs kb < "$err.time"
  local records; records=$(grep -oE '[0-9]+ record\(s\)' "$err" | head -1 | grep -oE '^[0-9]+' || echo 0)
  python3 - "$label" "$secs" "$kb" "$SIZE" "$records" <<'PY'
import sys
label, secs, kb, size, records = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
secs = max(secs, 1e-3)
print(f"{label}: {secs:.2f} s, {size/1e6/secs:.0f} MB/s, {records/secs:,.0f} records/s, "
      f"peak RSS {kb/1024:.0f} MiB = {kb*1024/size:.2f} x input ({records} records)")
PY
  grep -E '^timings:' "$err" || true
  rm -f "$err" "$err.time"
}
measure "keyhole events (jsonl to /dev/null)" target/release/keyhole events --format jsonl -o /dev/null "$DATA"
measure "keyhole analyze (every rule)" env KEYHOLE_TIMINGS=1 target/release/keyhole analyze --format jsonl -o /dev/null "$DATA"
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb >/dev/null 2>&1 || true
python3 bench/duckdb_bench.py "$DATA"
if command -v jq >/dev/null; then
  t0=$(date +%s.%N)
  jq -c '[.callerIpAddress, .resourceId]' "$DATA" | sort | uniq -c > /dev/null
  t1=$(date +%s.%N)
  python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'jq (+sort|uniq -c): {s:.2f} s, {int(sys.argv[3])/1e6/s:.0f} MB/s')" "$t0" "$t1" "$SIZE"
else
  echo "jq: skipped (not installed; apt-get install jq)"
fi
