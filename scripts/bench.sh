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
# PAGE=1: also the page (scripts/build-web.sh's release build, headless Chromium) on the same file,
# or on a generated ${PAGE_GB} GB file when PAGE_GB is set (needs the disk: deleted afterwards).
if [ "${PAGE:-0}" = 1 ]; then
  test -f dist/index.html || scripts/build-web.sh
  (cd tests/e2e && { test -d node_modules/playwright-core || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error; })
  PDATA=$DATA
  if [ -n "${PAGE_GB:-}" ]; then
    PDATA=target/bench-data/raw-${PAGE_GB}GB.jsonl
    target/release/keyhole-gen --seed 7 --attacks --shape raw-jsonl --size "$((PAGE_GB * 1000))MB" --out "$PDATA"
  fi
  node bench/page_bench.mjs "$PDATA" target/release/keyhole
  if [ -n "${PAGE_GB:-}" ]; then rm -f "$PDATA"; fi
fi
