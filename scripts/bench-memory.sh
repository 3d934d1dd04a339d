#!/usr/bin/env bash
# Memory of the standalone verifier under distinct attacker-signed status lists (issue #10
# item 3: the verifier stays under 256 MB RSS while 1,000 distinct attacker lists are
# presented). Everything runs on 127.0.0.1:
#   - an "attacker" key signs LISTS distinct status list credentials of ENTRIES one-bit entries
#     each (by default 16,777,216: 2 MiB decoded, the largest the verifier decodes by default)
#     and one credential naming each list;
#   - python3's http.server serves the lists (the verifier reaches it as an --insecure-host);
#   - `hallmark verifier serve` with its default configuration (or CONFIG=file) verifies every
#     credential, CONCURRENCY at a time, so it fetches, verifies and decodes every list.
# Prints the answers, the verifier's RSS before and after, and its peak RSS (VmHWM).
# Usage: [LISTS=1000] [ENTRIES=16777216] [CONCURRENCY=16] [CONFIG=verifier.toml]
#        [HALLMARK_BIN=path] scripts/bench-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
lists=${LISTS:-1000}
entries=${ENTRIES:-16777216}
concurrency=${CONCURRENCY:-16}

command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
# HALLMARK_BIN=path measures another build (e.g. the code before a change).
if [ -z "${HALLMARK_BIN:-}" ]; then cargo build --release -q -p hallmark; fi
bin=${HALLMARK_BIN:-$PWD/target/release/hallmark}
work=$(mktemp -d /tmp/hallmark-memory.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

port=$(free_port)
mkdir -p "$work/www/lists" "$work/requests"
"$bin" keygen --out "$work/attacker.json" 2>/dev/null | grep '^did:key:' > "$work/did"

# One list and one credential per index, two at a time (an all-clear list is ~2 KiB of GZIP,
# distinct from the others by its id and signature).
make_one() {
  local i=$1 url="https://127.0.0.1:$port/lists/$1"
  "$bin" status-list create --key "$work/attacker.json" --url "$url" --entries "$entries" \
    --ttl-ms 3600000 --out "$work/www/lists/$i" >/dev/null 2>&1
  cat > "$work/unsigned-$i.json" <<JSON
{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
 "issuer": "$(cat "$work/did")", "validFrom": "2026-01-01T00:00:00Z",
 "credentialSubject": {"id": "https://partner.example/$i"},
 "credentialStatus": {"id": "$url#$i", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
   "statusListIndex": "$i", "statusListCredential": "$url"}}
JSON
  { printf '{"verifiableCredential": '; "$bin" sign --key "$work/attacker.json" "$work/unsigned-$i.json"; printf '}'; } \
    > "$work/requests/$i.json"
  rm "$work/unsigned-$i.json"
}
export -f make_one
echo "== $lists distinct lists of $entries entries signed by $(cut -c1-24 "$work/did")…"
start=$(date +%s)
seq 1 "$lists" | bin=$bin work=$work port=$port entries=$entries xargs -P 2 -I{} bash -c 'make_one "$@"' _ {}
echo "generated in $(( $(date +%s) - start )) s ($(du -sh "$work/www/lists" | cut -f1) of lists)"

(cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) & pids+=($!)
wait_for "http://127.0.0.1:$port/lists/1"

vport=$(free_port)
config_args=()
[ -n "${CONFIG:-}" ] && config_args=(--config "$CONFIG")
HALLMARK_LOG=warn "$bin" verifier serve "${config_args[@]}" --listen "127.0.0.1:$vport" --insecure-host "127.0.0.1:$port" \
  2>"$work/verifier.log" & vpid=$!; pids+=($vpid)
wait_for "http://127.0.0.1:$vport/healthz"
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$vpid/status"; }
echo "verifier RSS at start: $(( $(kb VmRSS) / 1024 )) MB"

# One request first: its status check must pass, so the list was fetched and decoded.
curl -s -H 'content-type: application/json' --data-binary "@$work/requests/1.json" "http://127.0.0.1:$vport/credentials/verify" \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); c=[c for c in r["checks"] if c["check"]=="status"][0]; print("first credential, status check:", c["outcome"], "-", c["detail"][:80]); sys.exit(c["outcome"]!="passed")'

start=$(date +%s)
peak_during=0
(ls "$work/requests"/*.json | xargs -P "$concurrency" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
  -H 'content-type: application/json' --data-binary @{} "http://127.0.0.1:$vport/credentials/verify" > "$work/codes") &
client=$!
while kill -0 "$client" 2>/dev/null; do
  now=$(kb VmRSS); [ "$now" -gt "$peak_during" ] && peak_during=$now
  sleep 0.2
done
wait "$client"
echo "== $lists credentials, $concurrency at a time, in $(( $(date +%s) - start )) s; HTTP answers:"
sort "$work/codes" | uniq -c | sed 's/^/   /'
echo "verifier RSS after: $(( $(kb VmRSS) / 1024 )) MB; highest sampled: $(( peak_during / 1024 )) MB"
echo "verifier peak RSS (VmHWM): $(( $(kb VmHWM) / 1024 )) MB"
