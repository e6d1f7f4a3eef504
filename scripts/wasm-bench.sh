#!/usr/bin/env bash
# The core's parse (bench/wasm-parse: one file's unit, fed in 8 MiB chunks as a page's parse
# worker feeds it) compiled to wasm32 and run by node (V8, the page's engine), and natively, on
# the same file: seconds and MB/s a round for each; then the analysis worker's merge of that unit
# (decode, add; and with the store built). Prints figures, asserts nothing.
# WASM_BENCH_COUNT=1 (needs valgrind) also counts the instructions each executes on the file's
# first ${COUNT_MB:-20} MB, 3 rounds (callgrind; node with --no-liftoff --single-threaded so that V8 compiles
# the same code every run): the counts repeat to ~0.2 % where this machine's timings vary by 30 %.
#   scripts/wasm-bench.sh [FILE] [ROUNDS]     FILE: a generated 100 MB raw JSON-lines file
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${2:-5}
FILE=${1:-target/bench-data/raw-100MB.jsonl}
OUT=target/wasm-parse
if [ ! -f "$FILE" ]; then
  cargo build -q --release -p keyhole-gen
  mkdir -p "$(dirname "$FILE")"
  target/release/keyhole-gen --seed 7 --attacks --shape raw-jsonl --size 100MB --out "$FILE"
fi
(cd bench/wasm-parse &&
  env CARGO_TARGET_DIR="$ROOT/$OUT" RUSTFLAGS="-C target-feature=+simd128" \
    cargo build -q --release --lib --target wasm32-unknown-unknown &&
  env CARGO_TARGET_DIR="$ROOT/$OUT" cargo build -q --release --bin keyhole-wasm-parse-bench)
wasm-bindgen --target nodejs --out-dir "$OUT/pkg" \
  "$OUT/wasm32-unknown-unknown/release/keyhole_wasm_parse_bench.wasm"
echo "file: $FILE, $(stat -c %s "$FILE") bytes; node $(node --version); $(nproc) cores"
node bench/wasm-parse/run.cjs "$OUT/pkg" "$FILE" "$ROUNDS"
"$OUT/release/keyhole-wasm-parse-bench" "$FILE" "$ROUNDS"
if [ "${WASM_BENCH_COUNT:-0}" = 1 ]; then
  part=$OUT/head-${COUNT_MB:-20}MB.jsonl
  head -c "$(( ${COUNT_MB:-20} * 1000000 ))" "$FILE" | head -n -1 > "$part"
  count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    sed -n 's/.*I *refs: *//p' | tr -d ,; }
  # one round less four: the first round also pays for compiling (V8 compiles wasm lazily)
  for n in 1 4; do
    w[n]=$(count node --no-liftoff --single-threaded bench/wasm-parse/run.cjs "$OUT/pkg" "$part" $n parse)
    c[n]=$(count "$OUT/release/keyhole-wasm-parse-bench" "$part" $n parse)
  done
  echo "instructions of 3 rounds over $part (4 rounds less 1: start-up and compile left out):"
  echo "  wasm   $(( w[4] - w[1] ))"
  echo "  native $(( c[4] - c[1] ))"
  awk -v w=$(( w[4] - w[1] )) -v c=$(( c[4] - c[1] )) 'BEGIN { printf "  wasm / native %.2f\n", w / c }'
fi
