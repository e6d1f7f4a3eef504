#!/usr/bin/env bash
# Installs what Keyhole's build and tests need — only what is missing. Needs the Rust toolchain
# (rustup + cargo); everything else comes from crates.io, Debian's packages and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "setup: $*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

command -v cargo >/dev/null || { say "the Rust toolchain (cargo) is required: https://rustup.rs"; exit 1; }

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

TRUNK_VERSION=0.21.14   # 0.22 needs a newer rustc than this project's
if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (a cold build takes ~15 min on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WB_VERSION=$(awk '$0=="name = \"wasm-bindgen\"" {getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock 2>/dev/null || true)
if [ -n "$WB_VERSION" ] && ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION"; then
  say "installing wasm-bindgen-cli $WB_VERSION"
  # not --locked: its lockfile pins a crate the registry mirror lacks
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing Debian chromium and chromium-driver"
  $SUDO apt-get update -q
  $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
fi

if [ -f tests/e2e/package.json ]; then
  if ! command -v npm >/dev/null; then
    say "installing node and npm"
    $SUDO apt-get update -q
    $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
  fi
  if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
    say "installing the browser-test tools (npm ci; no browser download)"
    (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
say "ready"
