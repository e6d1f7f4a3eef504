#!/usr/bin/env bash
# shellcheck disable=SC2016 # stub bodies are literal shell text, expanded when a stub runs
# Tests scripts/setup.sh the way a fresh machine sees it, in seconds: setup runs with a PATH from
# which chromium, chromedriver, node, npm and shellcheck are missing, and with stand-ins for every
# tool that would install something (apt-get, sudo, cargo, rustup, trunk, wasm-bindgen, npm). The
# stand-ins record their arguments; apt-get's `install` drops executable stand-ins for the
# packages it was asked for. Each case asserts that setup exits 0 (or fails clearly), asks apt for
# exactly the missing packages, once, through the right door (as root: directly; otherwise: sudo),
# and installs nothing that is already present.
#
# Usage: tests/setup/test-setup.sh [path/to/setup.sh]   (default: scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC_SETUP=$(realpath "${1:-scripts/setup.sh}")
WB_VERSION=$(awk '$0=="name = \"wasm-bindgen\"" {getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
TRUNK_VERSION=$(sed -n 's/^TRUNK_VERSION=\([0-9.]*\).*/\1/p' "$SRC_SETUP")
[ -n "$TRUNK_VERSION" ] || TRUNK_VERSION=0.21.14

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
# A copy of the files setup reads, so that nothing it does touches this checkout.
REPO=$WORK/repo
mkdir -p "$REPO/scripts" "$REPO/tests/e2e"
cp "$SRC_SETUP" "$REPO/scripts/setup.sh"
cp Cargo.lock "$REPO/"
cp tests/e2e/package.json tests/e2e/package-lock.json "$REPO/tests/e2e/"
SETUP=$REPO/scripts/setup.sh
pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1" >&2; failures=$((failures + 1)); }

# The real commands a shell script may use; everything else is absent or a stand-in.
SYSBIN=$WORK/sysbin
mkdir -p "$SYSBIN"
for c in bash sh env grep awk sed cat dirname basename mkdir rm cp mv ls chmod touch head tail tr \
  sort uniq printf date readlink realpath mktemp find wc cut tee sleep true false test expr; do
  p=$(command -v "$c" || true)
  if [ -n "$p" ] && [ "${p#/}" != "$p" ]; then ln -s "$p" "$SYSBIN/$c"; fi
done

# stub NAME BODY: an executable stand-in in $STUB that logs "NAME args" to $LOG, then runs BODY
# (BODY is taken literally; it can use $STUB, $LOG and $SYSBIN).
stub() {
  local name=$1 body=${2:-}
  {
    echo "#!$SYSBIN/bash"
    echo "STUB='$STUB' LOG='$LOG' SYSBIN='$SYSBIN'"
    echo "echo \"$name \$*\" >> \"\$LOG\""
    printf '%s\n' "$body"
  } > "$STUB/$name"
  chmod +x "$STUB/$name"
}

# new_case ROOT(0|1) SUDO(0|1) PRESENT...: a fresh stub dir where PRESENT commands already exist.
new_case() {
  local root=$1 sudo=$2; shift 2
  CASE=$(mktemp -d "$WORK/case.XXXX")
  STUB=$CASE/bin
  LOG=$CASE/log
  mkdir -p "$STUB"
  : > "$LOG"
  if [ "$root" = 1 ]; then stub id 'if [ "${1:-}" = -u ]; then echo 0; else echo "uid=0(root)"; fi'
  else stub id 'if [ "${1:-}" = -u ]; then echo 1000; else echo "uid=1000(dev)"; fi'; fi
  # sudo runs what it is given (as the stand-in user); the log shows it was asked.
  if [ "$sudo" = 1 ]; then stub sudo 'exec "$@"'; fi
  # apt-get: `install` drops a stand-in for each package's command.
  stub apt-get '
is_install=0
for a in "$@"; do [ "$a" = install ] && is_install=1; done
[ "$is_install" = 1 ] || exit 0
for a in "$@"; do
  case "$a" in
    chromium) cmd=chromium ;; chromium-driver) cmd=chromedriver ;; nodejs) cmd=node ;;
    npm) cmd=npm ;; shellcheck) cmd=shellcheck ;; *) continue ;;
  esac
  printf "#!%s\necho \"%s \$*\" >> \"%s\"\n" "$SYSBIN/bash" "$cmd" "$LOG" > "$STUB/$cmd"
  chmod +x "$STUB/$cmd"
done'
  stub cargo 'exit 0'
  stub rustup 'if [ "$*" = "target list --installed" ]; then echo wasm32-unknown-unknown; fi'
  stub trunk "echo 'trunk $TRUNK_VERSION'"
  stub wasm-bindgen "echo 'wasm-bindgen $WB_VERSION'"
  local c
  for c in "$@"; do
    case "$c" in
      npm) stub npm 'exit 0' ;;
      *) stub "$c" "echo '$c 1.0'" ;;
    esac
  done
}

run_setup() { # args for setup.sh; sets RC and OUT
  set +e
  OUT=$(env -i HOME="$CASE" PATH="$STUB:$SYSBIN" bash "$SETUP" "$@" 2>&1)
  RC=$?
  set -e
}

# installs_of: the package lists apt-get was asked to install, one line per call.
installs_of() { awk '/^apt-get .*install/' "$LOG" | sed -E 's/^apt-get .*install( -[a-z-]+| -[a-z])* //'; }
sorted_words() { tr ' ' '\n' | awk 'NF' | sort | tr '\n' ' ' | sed 's/ $//'; }

expect_install() { # label, expected package list (any order), exactly one apt install call
  local label=$1 want; want=$(echo "$2" | sorted_words)
  local calls; calls=$(installs_of | awk 'END { print NR }')
  local got; got=$(installs_of | head -1 | sorted_words)
  if [ "$RC" = 0 ] && [ "$calls" = 1 ] && [ "$got" = "$want" ]; then pass "$label"
  else fail "$label: exit $RC, $calls apt install call(s), packages [$got], want [$want]"; echo "$OUT" | tail -5 >&2; fi
}

expect_no_apt() {
  local label=$1
  if [ "$RC" = 0 ] && ! grep -q '^apt-get' "$LOG" && ! grep -q '^sudo' "$LOG"; then pass "$label"
  else fail "$label: exit $RC; log:"; cat "$LOG" >&2; echo "$OUT" | tail -5 >&2; fi
}

ALL_TEST_PKGS="chromium chromium-driver nodejs npm shellcheck"

# 1. root, nothing of the test tools present: one apt install of exactly the missing packages,
#    run directly (no sudo: there is none), and the stand-ins it dropped are then found.
new_case 1 0
run_setup test
expect_install "root, fresh machine: apt installs exactly the missing packages" "$ALL_TEST_PKGS"
if grep -qE '^(sudo|DEBIAN_FRONTEND)' "$LOG"; then fail "root: sudo or an assignment used as a command"; else pass "root: apt-get run directly"; fi
if grep -q '^npm ci' "$LOG"; then pass "root: npm ci for the browser-test tools after npm was installed"; else fail "root: npm ci not run"; fi

# 2. a non-root user with sudo: the same packages, through sudo.
new_case 0 1
run_setup test
expect_install "non-root with sudo: apt installs exactly the missing packages" "$ALL_TEST_PKGS"
if grep -qE '^sudo .*apt-get .*install' "$LOG" && ! grep -qE '^sudo .*DEBIAN_FRONTEND=[^ ]* *$' "$LOG"; then pass "non-root: install goes through sudo"
else fail "non-root: install did not go through sudo"; cat "$LOG" >&2; fi

# 3. everything present: apt is never asked, nothing is installed.
new_case 1 0 chromium chromedriver node npm shellcheck
run_setup test
expect_no_apt "root, every tool present: apt never called"
new_case 0 1 chromium chromedriver node npm shellcheck
run_setup test
expect_no_apt "non-root, every tool present: neither sudo nor apt called"

# 4. some present: only the others.
new_case 1 0 chromium node npm
run_setup test
expect_install "root, chromium/node/npm present: only the driver and shellcheck" "chromium-driver shellcheck"
new_case 0 1 chromedriver shellcheck
run_setup test
expect_install "non-root, driver and shellcheck present: chromium, nodejs, npm" "chromium nodejs npm"

# 5. serving needs no browser, node or shellcheck.
new_case 1 0
run_setup serve
expect_no_apt "serve on a fresh root machine: no apt packages"
if grep -qE '^cargo install' "$LOG"; then fail "serve: installed a tool already present"; cat "$LOG" >&2; else pass "serve: trunk and wasm-bindgen present, nothing installed"; fi

# 6. the cargo-installed tools: only when missing or at another version.
new_case 1 0 chromium chromedriver node npm shellcheck
rm "$STUB/trunk"
stub wasm-bindgen "echo 'wasm-bindgen 0.0.1'"
run_setup serve
if [ "$RC" = 0 ] && grep -qE "^cargo install trunk --version $TRUNK_VERSION --locked" "$LOG" \
  && grep -qE "^cargo install wasm-bindgen-cli --version $WB_VERSION" "$LOG"; then
  pass "missing trunk and a wrong wasm-bindgen are installed at the pinned versions"
else fail "cargo installs: exit $RC"; cat "$LOG" >&2; fi
new_case 1 0
stub rustup 'exit 0'
run_setup serve
if [ "$RC" = 0 ] && grep -q '^rustup target add wasm32-unknown-unknown' "$LOG"; then pass "missing wasm32 target is added"
else fail "wasm32 target: exit $RC"; cat "$LOG" >&2; fi

# 7. non-root without sudo: a clear failure that names the packages, no half-done install.
new_case 0 0
run_setup test
if [ "$RC" != 0 ] && echo "$OUT" | grep -q 'chromium' && ! grep -q '^apt-get .*install' "$LOG"; then
  pass "non-root without sudo: fails, naming the packages to install"
else fail "non-root without sudo: exit $RC, output: $OUT"; fi

echo
if [ "$failures" -gt 0 ]; then echo "setup test: $failures failure(s)" >&2; exit 1; fi
echo "setup test: all cases passed"
