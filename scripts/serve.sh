#!/usr/bin/env bash
# Sets everything up, builds the page and serves it on http://127.0.0.1:${PORT:-8080}/ with demo
# data: the page's "Try with demo data" button, and generated files to drop in ./demo-data/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh serve
bash scripts/build-web.sh
if [ ! -f demo-data/manifest.json ]; then
  mkdir -p demo-data
  # Every input shape of the demo tenant, its intel lists (tor.txt, suspicious.txt) and the
  # manifest of injected attacks: files to drop on the page or give to `keyhole analyze`.
  cargo run -q --release -p keyhole-gen -- --demo --shape all --out-dir demo-data \
    --lists demo-data --manifest demo-data/manifest.json
fi
PORT=${PORT:-8080}
echo "Keyhole: http://127.0.0.1:$PORT/  (demo files to drop: $(pwd)/demo-data/)"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist
