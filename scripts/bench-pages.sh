#!/usr/bin/env bash
# Load benchmark of the badge's faces at the issuer (issue 12: badge.svg ≥ 10,000 req/s and the
# verify page ≥ 2,000 req/s on this 2-core machine, p99 under 20 ms, the state still correct
# right after a revocation). Everything runs on 127.0.0.1:
#   - `hallmark serve --demo` on a fresh data folder (SQLite), its Gold badge;
#   - wrk (Debian's package) on GET /badges/{id}/badge.svg and on the verify page
#     (GET /credentials/{id} with a browser's Accept), with the badge valid;
#   - then the badge is revoked through the admin API, both URLs are fetched at once and must
#     say Revoked, and both are measured again.
# Usage: [THREADS=1] [CONNECTIONS=16] scripts/bench-pages.sh [SECONDS per run, default 15]
# Prints req/s and the latency percentiles of each run; exits 1 if a state is wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
connections=${CONNECTIONS:-16}
threads=${THREADS:-1}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
# shellcheck source=scripts/demo.sh
source scripts/demo.sh pages
id=${badge##*/}
svg="http://127.0.0.1:$port/badges/$id/badge.svg"
html='text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

run() { # NAME URL [HEADER]
  local name=$1 url=$2 header=${3:-}
  local args=(-t"$threads" -c"$connections" -d"${duration}s" --latency)
  [ -n "$header" ] && args+=(-H "$header")
  local out
  out=$(wrk "${args[@]}" "$url")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ' || true)
  printf '%-28s %10s req/s   p50 %8s   p99 %8s   %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
}

state_of() { curl -s "$@" | grep -o 'data-state="[a-z-]*"' | head -1; }
expect() { # WHAT EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "FAIL: $1 says $3, expected $2"; exit 1; fi
  echo "ok: $1 says $3"
}

echo "hallmark serve --demo on 127.0.0.1:$port; wrk -t$threads -c$connections, ${duration}s per run; $(nproc) cores"
expect "badge.svg" 'data-state="valid"' "$(state_of "$svg")"
expect "verify page" 'data-state="valid"' "$(state_of -H "Accept: $html" "$badge")"
run "badge.svg (valid)" "$svg"
run "verify page (valid)" "$badge" "Accept: $html"

code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"reason":"benchmark"}' "http://127.0.0.1:$port/api/v1/credentials/$id/revoke")
[ "$code" = 200 ] || { echo "revocation answered $code"; exit 1; }
expect "badge.svg right after revocation" 'data-state="revoked"' "$(state_of "$svg")"
expect "verify page right after revocation" 'data-state="revoked"' "$(state_of -H "Accept: $html" "$badge")"
run "badge.svg (revoked)" "$svg"
run "verify page (revoked)" "$badge" "Accept: $html"
