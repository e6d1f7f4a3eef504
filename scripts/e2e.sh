#!/usr/bin/env bash
# Browser tests against a built dist/ and dist-single/ (run scripts/build-web.sh first).
# Needs: /usr/bin/chromium (Debian), node >= 18, the npm packages of tests/e2e (npm ci there, no
# browser download). Builds the keyhole CLI and generator (release) so that the tests can compare
# the page's counts with `keyhole analyze` / `keyhole events`; KEYHOLE_E2E_NO_CLI=1 skips that.
# Screenshots go to tests/out/. KEYHOLE_E2E_BENCH=1 also runs the 1 GB benchmark (prints figures).
set -euo pipefail
cd "$(dirname "$0")/.."
test -f dist/index.html || { echo "dist/ missing: run scripts/build-web.sh" >&2; exit 2; }
if [ "${KEYHOLE_E2E_NO_CLI:-0}" != 1 ]; then
  cargo build -q --release -p keyhole-cli -p keyhole-gen
fi
cd tests/e2e
test -d node_modules/playwright-core || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
files=(page.test.mjs workbook.test.mjs single.test.mjs query.test.mjs pool.test.mjs)
if [ "${KEYHOLE_E2E_BENCH:-0}" = 1 ]; then files+=(bench.test.mjs); fi
node --test --test-concurrency=1 "${files[@]}"
