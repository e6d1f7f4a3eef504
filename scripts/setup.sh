#!/usr/bin/env bash
# Installs what Keyhole needs, only what is missing. Needs the Rust toolchain (rustup + cargo);
# the rest comes from crates.io, Debian's packages and the npm registry.
#
#   scripts/setup.sh serve   what building and serving the page needs: the wasm32 target, Trunk,
#                            wasm-bindgen-cli (the build's helpers are Python 3, already there)
#   scripts/setup.sh test    (default) serve's tools, plus what the tests need: shellcheck, Debian
#                            chromium + chromium-driver, node + npm, the browser-test npm packages
#                            (playwright-core; it never downloads a browser)
#
# Root installs Debian packages with apt-get directly; another user through sudo. Without either,
# setup stops and names the packages to install.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "setup: $*" >&2; }
want=${1:-test}
case "$want" in serve | test) ;; *) say "usage: scripts/setup.sh [serve|test]"; exit 2 ;; esac

command -v cargo >/dev/null || { say "the Rust toolchain (cargo) is required: https://rustup.rs"; exit 1; }

# --- Rust tools (both modes) ---------------------------------------------------------------
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target (~30 MB download)"
  rustup target add wasm32-unknown-unknown
fi

TRUNK_VERSION=0.21.14 # 0.22 needs a newer rustc than this project's
if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (a cold build takes ~14 min on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WB_VERSION=$(awk '$0=="name = \"wasm-bindgen\"" {getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock 2>/dev/null || true)
if [ -n "$WB_VERSION" ] && ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION"; then
  say "installing wasm-bindgen-cli $WB_VERSION (~8 min)"
  # not --locked: its lockfile pins a crate the registry mirror lacks
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

# --- Debian packages (test mode) -----------------------------------------------------------
missing=()
need() { # command package
  command -v "$1" >/dev/null || missing+=("$2")
}
if [ "$want" = test ]; then
  need shellcheck shellcheck
  need chromium chromium
  need chromedriver chromium-driver
  need node nodejs
  need npm npm
fi

# Runs a command as root: directly when we are root, through sudo otherwise. Environment
# variables go through `env`, so that they are never taken for the command's name.
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    say "installing Debian packages needs root or sudo; as root run: apt-get install ${missing[*]}"
    exit 1
  fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# --- npm packages of the browser tests (test mode) -----------------------------------------
if [ "$want" = test ] && [ -f tests/e2e/package.json ]; then
  if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
    say "installing the browser-test tools (npm ci: playwright-core, ~3 MB; no browser download)"
    (cd tests/e2e && env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
say "ready ($want)"
