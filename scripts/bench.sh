#!/usr/bin/env bash
# Benchmarks (spec §6, issue 10): prints figures, asserts nothing. Generates a raw JSON-lines file
# of ${BENCH_MB:-1000} MB (cached in target/bench-data), then measures, side by side and
# ${BENCH_REPEAT:-3} times each (best and spread reported; the machine's load average is printed):
#   keyhole analyze with every core and with --threads 1, keyhole events (the store alone),
#   DuckDB (pip package `duckdb`) at its default threads — load into a table then the two seed
#   aggregates, and the two aggregates straight over read_json_auto —, and jq.
# Columns: wall s, MB/s, MB/s per core, MB per CPU second, peak RSS / input (bench/bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${BENCH_MB:-1000}
REPEAT=${BENCH_REPEAT:-3}
DATA=target/bench-data/raw-${MB}MB.jsonl
cargo build -q --release -p keyhole-cli -p keyhole-gen
mkdir -p target/bench-data
if [ ! -f "$DATA" ]; then
  echo "generating $DATA ..." >&2
  target/release/keyhole-gen --seed 7 --attacks --shape raw-jsonl --size "${MB}MB" --out "$DATA"
fi
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb >/dev/null 2>&1 || true
python3 bench/bench.py "$DATA" "$REPEAT" target/release/keyhole
