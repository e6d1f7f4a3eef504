#!/usr/bin/env bash
# Release build of the page into dist/ (Trunk; the post-build hook embeds the wasm) and the
# offline single file dist-single/keyhole.html. Needs: trunk 0.21.14, wasm-bindgen-cli matching
# Cargo.lock, the wasm32-unknown-unknown target, python3 (`scripts/setup.sh serve` installs the
# rest). Downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
trunk build --release
python3 web/singlefile.py dist dist-single/keyhole.html
ls -l dist dist-single
