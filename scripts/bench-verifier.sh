#!/usr/bin/env bash
# Load benchmark of the standalone verifier (issue: ≥ 12,000 req/s for jcs badges, p99 < 20 ms,
# no errors; stable memory over a soak). Everything runs on 127.0.0.1:
#   - an issuer (`hallmark serve`) per cryptosuite, which issues a partner badge and serves its
#     status lists;
#   - `hallmark verifier serve`, fetching those lists once and serving them from its cache;
#   - wrk (Debian's package) posting the badge to POST /credentials/verify.
# Usage: [COLD=1] [CALLGRIND=1] [THREADS=2] [CONNECTIONS=64] scripts/bench-verifier.sh [SECONDS per run, default 30] [SOAK SECONDS, default 0]
# Prints req/s and latency percentiles per cryptosuite, then RSS samples during the soak.
# CALLGRIND=1 runs the verifier under valgrind's callgrind and prints the instructions it
# executed per request during each run: a count that does not move with the machine's load
# (req/s on a shared 2-core VM varies by 20 % between runs of one binary), for comparing two
# builds. Throughput under callgrind is ~50 times lower; use CONNECTIONS=4 THREADS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-30}
soak=${2:-0}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
callgrind=${CALLGRIND:-0}
if [ "$callgrind" = 1 ]; then
  command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
fi
# HALLMARK_BIN=path runs another build (e.g. one with frame pointers, for perf).
if [ -z "${HALLMARK_BIN:-}" ]; then cargo build --release -q -p hallmark; fi
bin=${HALLMARK_BIN:-$PWD/target/release/hallmark}
work=$(mktemp -d /tmp/hallmark-load.XXXXXX)
pids=()
# Issuers start in a subshell (start_issuer runs under `< <(…)`), so their pids go to files.
cleanup() {
  for p in "${pids[@]}" $(cat "$work"/*/pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

# start_issuer SUITE → prints "PORT BADGE_FILE"
start_issuer() {
  local suite=$1 port dir token
  port=$(free_port); dir=$work/issuer-$suite
  mkdir -p "$dir/keys"
  cp keys.example/issuer.json "$dir/keys/issuer.json"; chmod 600 "$dir/keys/issuer.json"
  cp crates/issuer/src/demo_program.toml "$dir/program.toml"
  cat > "$dir/config.toml" <<TOML
issuer_name = "Acme Cloud Partner Program"
base_url = "http://127.0.0.1:$port"
listen = "127.0.0.1:$port"
cryptosuite = "$suite"
status_ttl_seconds = 3600
TOML
  token=$("$bin" token create --config "$dir/config.toml" 2>/dev/null)
  HALLMARK_LOG=warn "$bin" serve --config "$dir/config.toml" 2>"$dir/log" & echo $! > "$dir/pid"
  wait_for "http://127.0.0.1:$port/healthz"
  local partner
  partner=$(curl -s -o /dev/null -w '%header{location}' -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    "http://127.0.0.1:$port/api/v1/partners" -d '{"name": "Northwind Consulting", "url": "https://northwind.example"}')
  curl -s -H "Authorization: Bearer $token" -H 'content-type: application/json' "http://127.0.0.1:$port/api/v1/approvals" -d '{
    "partner_id": "'"${partner##*/}"'", "tier": "gold", "role": "solutions",
    "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG"], "exam_score": 87, "demo_level": "Advanced",
    "approver": "Load test", "references": [
      {"name": "Contoso migration", "description": "40 TB, 120 services, zero downtime", "validated": true, "public": true},
      {"name": "Fabrikam review", "validated": true, "public": true}, {"name": "Bank", "validated": true}]}' \
    | python3 -c 'import json,sys; print(json.dumps({"verifiableCredential": json.load(sys.stdin)["credential"]["document"]}))' \
    > "$dir/request.json"
  echo "$port $dir/request.json"
}

read -r jcs_port jcs_body < <(start_issuer eddsa-jcs-2022)
suites=(eddsa-jcs-2022)
bodies=("$jcs_body")
if "$bin" sign --help | grep -q eddsa-rdfc-2022; then
  read -r rdfc_port rdfc_body < <(start_issuer eddsa-rdfc-2022)
  suites+=(eddsa-rdfc-2022); bodies+=("$rdfc_body")
fi

vport=$(free_port)
insecure=(--insecure-host "127.0.0.1:$jcs_port")
[ -n "${rdfc_port:-}" ] && insecure+=(--insecure-host "127.0.0.1:$rdfc_port")
# COLD=1: no verified-signature cache, so every request does the curve arithmetic.
echo "signature_cache = $([ "${COLD:-0}" = 1 ] && echo false || echo true)" > "$work/verifier.toml"
under=()
# Under callgrind, counting starts only around each run (callgrind_control below).
[ "$callgrind" = 1 ] && under=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.%p")
HALLMARK_LOG=warn "${under[@]}" "$bin" verifier serve --config "$work/verifier.toml" --listen "127.0.0.1:$vport" "${insecure[@]}" 2>"$work/verifier.log" & vpid=$!; pids+=($vpid)
for _ in $(seq 1 50); do wait_for "http://127.0.0.1:$vport/healthz" 2>/dev/null && break; done
wait_for "http://127.0.0.1:$vport/healthz"

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BODY"), "r"); wrk.body = f:read("*a"); f:close()
-- No response() callback: wrk counts non-2xx answers itself (summary.errors.status), and a
-- Lua callback per response would cost wrk more CPU than the server spends on some requests.
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors (4xx, 5xx or socket) %d, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA

rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$vpid/status"; }
# The verifier's CPU time so far (user + system, clock ticks): per request, it is steadier than
# req/s when wrk shares the machine's cores with the server.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$vpid/stat"; }
tick=$(getconf CLK_TCK)
for i in "${!suites[@]}"; do
  body=${bodies[$i]}
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary "@$body" "http://127.0.0.1:$vport/credentials/verify")
  [ "$code" = 200 ] || { echo "${suites[$i]}: the badge does not verify ($code)" >&2; exit 1; }
  echo "== ${suites[$i]}: $(wc -c < "$body") byte request, ${duration}s, $connections connections, $threads wrk threads"
  before=$(cpu_ticks)
  if [ "$callgrind" = 1 ]; then callgrind_control -z "$vpid" >/dev/null; callgrind_control -i on "$vpid" >/dev/null; fi
  BODY=$body wrk -t"$threads" -c"$connections" -d"${duration}s" -s "$work/post.lua" "http://127.0.0.1:$vport/credentials/verify" > "$work/run.out"
  after=$(cpu_ticks)
  grep -E "Requests/sec|requests .*errors" "$work/run.out"
  requests=$(sed -n 's/^requests \([0-9]*\),.*/\1/p' "$work/run.out")
  if [ "$callgrind" = 1 ]; then
    rm -f "$work"/callgrind.*.*
    callgrind_control -d "$vpid" >/dev/null; callgrind_control -i off "$vpid" >/dev/null
    total=$(awk '/^summary:/ {print $2}' "$work"/callgrind.*.* | tail -n 1)
    echo "verifier instructions per request (callgrind): $(( total / (requests > 0 ? requests : 1) ))"
  fi
  python3 -c "print(f'verifier CPU per request: {($after - $before) / $tick / max($requests, 1) * 1e6:.1f} µs')"
  echo "verifier RSS after the run: $(rss)"
done

if [ "$soak" -gt 0 ]; then
  echo "== soak: ${suites[0]} for ${soak}s; verifier RSS every 30 s"
  BODY=${bodies[0]} wrk -t"$threads" -c"$connections" -d"${soak}s" -s "$work/post.lua" "http://127.0.0.1:$vport/credentials/verify" > "$work/soak.out" &
  wrkpid=$!
  for t in $(seq 30 30 "$soak"); do sleep 30; echo "t=${t}s RSS $(rss)"; done
  wait "$wrkpid"; grep -E "Requests/sec|requests .*errors" "$work/soak.out"
  echo "after the soak: RSS $(rss)"
fi
