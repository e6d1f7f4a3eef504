#!/usr/bin/env bash
# Release build of the page into dist/ (Trunk; the post-build hook embeds the wasm) and the
# offline single file dist-single/keyhole.html. Needs: trunk 0.21.14, wasm-bindgen-cli 0.2.130,
# the wasm32-unknown-unknown target, node >= 18. Downloads nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
trunk build --release
node web/singlefile.mjs dist dist-single/keyhole.html
ls -l dist dist-single
