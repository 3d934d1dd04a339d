#!/usr/bin/env bash
# Benchmark of the in-browser verifier (issue 16; the target: under 50 ms cold). Starts two
# demo issuers (eddsa-rdfc-2022, and one set to eddsa-jcs-2022), opens Debian's headless
# Chromium (playwright-core, the project's flags) and prints the time to verify a badge of
# each in the browser: cold (a fresh browser context: module load, WebAssembly compile,
# fetches, checks) and warm (again in the same page), split into load / fetch / verify,
# medians over RUNS fresh contexts. See tests/browser/bench-browser.mjs.
# Usage: [HALLMARK=path/to/hallmark] scripts/bench-browser.sh [RUNS, default 10]
# Needs web/pkg built (scripts/build-wasm.sh) before hallmark was built.
set -euo pipefail
cd "$(dirname "$0")/.."
here=tests/browser
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
if [ -z "${HALLMARK:-}" ]; then
  cargo build -q -p hallmark --locked
  HALLMARK=$(realpath -m "${CARGO_TARGET_DIR:-target}")/debug/hallmark
fi
export HALLMARK=$(realpath -m "$HALLMARK")
exec node "$here/bench-browser.mjs" "${1:-10}"
