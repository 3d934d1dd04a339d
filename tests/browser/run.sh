#!/usr/bin/env bash
# The browser tests (issue 12): Hallmark's pages in real headless Chromium — Debian's
# /usr/bin/chromium driven by playwright-core (never a downloaded browser) — with axe-core
# accessibility checks, and screenshots written to docs/screenshots/.
#
# Usage: tests/browser/run.sh [FILE.test.mjs…]   (default: every *.test.mjs here)
# Needs chromium (apt-get install -y chromium), sqlite3 and Node 20; runs `npm ci` here when
# node_modules is missing. HALLMARK=/path/to/hallmark uses that binary; otherwise
# target/debug/hallmark is built. Quiet on success apart from the test runner's summary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "tests/browser: Chromium not found at $CHROMIUM (Debian: apt-get install -y chromium)" >&2
  exit 1
fi
command -v sqlite3 >/dev/null || {
  echo "tests/browser: the sqlite3 shell is missing (Debian: apt-get install -y sqlite3)" >&2
  exit 1
}
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/@axe-core/playwright" ]; then
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
if [ -z "${HALLMARK:-}" ]; then
  (cd "$root" && cargo build -q -p hallmark --locked)
  HALLMARK=$(cd "$root" && realpath -m "${CARGO_TARGET_DIR:-target}")/debug/hallmark
fi
export HALLMARK=$(realpath -m "$HALLMARK")

cd "$here"
if [ $# -eq 0 ]; then set -- *.test.mjs; fi
# One file at a time: each starts its own issuer, verifier and browser, on a 2-core machine.
exec node --test --test-concurrency=1 --test-reporter=spec "$@"
