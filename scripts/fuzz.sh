#!/usr/bin/env bash
# Runs every cargo-fuzz target (ingest parsers, the splitter, the KQL lexer/parser and evaluator)
# for SECONDS each (default 600), one after the other, and prints a line per target: runs, corpus
# size, crashes. Corpora stay in fuzz/corpus/<target>, crash artefacts in fuzz/artifacts/<target>
# (both kept between runs; a crash makes the script exit 1 after every target has run). An empty
# corpus is first seeded with a few records of every export shape (fuzz/seed.py, keyhole-gen).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 60 ingest_csv kql_parse
#
# Needs the nightly toolchain (installed with rustup) and cargo-fuzz (installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz: needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi
# an empty corpus is seeded from the generator's export shapes (fuzz/seed.py)
cargo build -q --release -p keyhole-gen
gen=$PWD/target/release/keyhole-gen
cd fuzz
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
crashed=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  if [ -z "$(ls -A "corpus/$t")" ]; then python3 seed.py "$gen" "$t" "corpus/$t"; fi
  log=$(mktemp)
  echo "==> $t (${secs} s)" >&2
  if cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 \
    -artifact_prefix="artifacts/$t/" >"$log" 2>&1; then status=ok; else status=CRASH; crashed+=("$t"); fi
  runs=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#')
  echo "$t: $status, ${runs:-0} runs in ${secs} s, corpus $(find "corpus/$t" -type f | wc -l) inputs, artefacts $(find "artifacts/$t" -type f | wc -l)"
  if [ "$status" = CRASH ]; then tail -30 "$log" >&2; fi
  rm -f "$log"
done
if [ "${#crashed[@]}" -gt 0 ]; then echo "fuzz: crashes in ${crashed[*]}" >&2; exit 1; fi
