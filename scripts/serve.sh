#!/usr/bin/env bash
# Sets everything up, builds the page and serves it on http://127.0.0.1:${PORT:-8080}/ with demo
# data: the page's "Try with demo data" button, and generated files to drop in ./demo-data/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-web.sh
if [ ! -d demo-data ]; then
  cargo run -q --release -p keyhole-gen -- --demo --out-dir demo-data
fi
PORT=${PORT:-8080}
echo "Keyhole: http://127.0.0.1:$PORT/  (demo files to drop: $(pwd)/demo-data/)"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist
