#!/usr/bin/env bash
# Sets everything up and runs every test: formatting, lints (native and wasm32), unit, golden and
# integration tests, the wasm build of the core, the fuzz targets' build, the page build, and the
# headless-Chromium tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test

passed=0; failed=0; failures=()
step() {
  local name=$1; shift
  echo "==> $name" >&2
  if "$@"; then passed=$((passed+1)); else failed=$((failed+1)); failures+=("$name"); fi
}

step "setup script (stubbed apt: root, sudo, fresh and partly installed)" bash tests/setup/test-setup.sh
step "shellcheck (scripts, CI, tests)" shellcheck scripts/*.sh .ci/run tests/setup/*.sh
step "cargo fmt --check" cargo fmt --all -- --check
step "clippy (native)" cargo clippy --all-targets -- -D warnings
step "keyhole-core builds for wasm32" cargo build -q -p keyhole-core --target wasm32-unknown-unknown
if [ -d crates/keyhole-web/src ] && grep -q yew crates/keyhole-web/Cargo.toml; then
  step "clippy (wasm32: web, core)" cargo clippy -p keyhole-web -p keyhole-core --target wasm32-unknown-unknown -- -D warnings
fi
step "cargo test" cargo test --all-targets
step "keyhole-web native tests (everything that is not web-sys)" cargo test -p keyhole-web
step "doc tests" cargo test --doc
# the fuzz targets are a workspace of their own, run with nightly by scripts/fuzz.sh: this keeps
# them compiling (stable, no sanitizer) as the core's API changes
step "fuzz targets compile" env CARGO_TARGET_DIR=target/fuzz-check cargo check -q --manifest-path fuzz/Cargo.toml --bins
step "rustdoc (no broken links)" env RUSTDOCFLAGS="-D warnings" cargo doc -q --workspace --no-deps
if [ -f scripts/build-web.sh ]; then
  step "page build (trunk release + single file)" bash scripts/build-web.sh
fi
if [ -f scripts/e2e.sh ]; then
  step "browser tests (headless Chromium)" bash scripts/e2e.sh
fi

echo
for f in "${failures[@]:-}"; do [ -n "$f" ] && echo "FAILED: $f"; done
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
