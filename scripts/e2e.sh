#!/usr/bin/env bash
# Browser tests against a built dist/ and dist-single/ (run scripts/build-web.sh first).
# Needs: /usr/bin/chromium (Debian), node >= 18, npm packages of tests/e2e (npm ci there).
# Screenshots go to tests/out/. Set KEYHOLE_E2E_BENCH=1 to also run the 1 GB benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
test -f dist/index.html || { echo "dist/ missing: run scripts/build-web.sh" >&2; exit 2; }
cd tests/e2e
test -d node_modules/playwright-core || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
files=(page.test.mjs single.test.mjs)
if [ "${KEYHOLE_E2E_BENCH:-0}" = 1 ]; then files+=(bench.test.mjs); fi
node --test --test-concurrency=1 "${files[@]}"
