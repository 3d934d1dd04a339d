#!/usr/bin/env bash
# Issuance throughput of the issuer with durable commits (issue 14): for SQLite (WAL,
# synchronous = FULL) and, when HALLMARK_TEST_POSTGRES_URL names a server, PostgreSQL, and for
# eddsa-jcs-2022 and eddsa-rdfc-2022:
#   1. bulk: ROWS first certifications through POST /api/v1/approvals/bulk, BATCH rows a
#      request, two requests at once; prints badges/s;
#   2. single: SINGLE approvals (first certifications) through POST /api/v1/approvals from
#      CONCURRENCY clients at once; prints approvals/s and the latency p50/p90/p99.
# Everything runs on 127.0.0.1 against `hallmark serve --demo` on a fresh data folder (and a
# fresh PostgreSQL database). The client is Python (urllib, one connection a request): its own
# cost is part of the single-approval latency.
# BULK=0 skips the bulk phase (for a build without the bulk endpoint, as a baseline).
# Usage: [BULK=1] [ROWS=4000] [BATCH=1000] [SINGLE=2000] [CONCURRENCY=32] [HALLMARK_BIN=path]
#        scripts/bench-bulk.sh [sqlite|postgres|all] [jcs|rdfc|all]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-4000}
batch=${BATCH:-1000}
single=${SINGLE:-2000}
concurrency=${CONCURRENCY:-32}
databases=${1:-all}
suites=${2:-all}
if [ -z "${HALLMARK_BIN:-}" ]; then cargo build --release -q -p hallmark; fi
export HALLMARK_BIN=${HALLMARK_BIN:-$PWD/target/release/hallmark}

run() { # DATABASE SUITE
  local database=$1 suite=$2 url=
  if [ "$database" = postgres ]; then
    local admin=${HALLMARK_TEST_POSTGRES_URL:-}
    [ -n "$admin" ] || { echo "postgres: skipped (HALLMARK_TEST_POSTGRES_URL is not set)"; return; }
    local name="hallmark_bench_$$_$RANDOM"
    psql "$admin" -qc "CREATE DATABASE $name"
    url="${admin%/*}/$name"
  fi
  (
    [ -n "$url" ] && export HALLMARK_DATABASE_URL=$url
    export HALLMARK_CRYPTOSUITE=eddsa-$suite-2022
    # shellcheck source=scripts/demo.sh
    source scripts/demo.sh bulk
    python3 - "$port" "$token" "$rows" "$batch" "$single" "$concurrency" "$database" "$suite" <<'EOF'
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

port, token, rows, batch, single, concurrency = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
database, suite = sys.argv[7], sys.argv[8]
api = f"http://127.0.0.1:{port}/api/v1"

def post(path, body):
    request = urllib.request.Request(
        api + path, data=json.dumps(body).encode(), method="POST",
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.load(response)
    return time.perf_counter() - started, answer

def row(tag, i):
    return {"partner_name": f"Bench {tag} {i}", "partner_url": f"https://{tag}-{i}.bench.example",
            "tier": "silver", "role": "delivery", "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "DEVOPS"],
            "exam_score": 78, "approver": "Bench", "references": [{"name": "Contoso", "validated": True}]}

# 1. Bulk: partners created from their URLs, badges issued, one transaction a batch.
import os
if os.environ.get("BULK", "1") == "0":
    batches = []
else:
  batches = [[row("bulk", i) for i in range(s, min(s + batch, rows))] for s in range(0, rows, batch)]
started = time.perf_counter()
with ThreadPoolExecutor(2) as pool:
    answers = list(pool.map(lambda b: post("/approvals/bulk", b)[1], batches))
wall = time.perf_counter() - started
issued = sum(a["issued"] for a in answers)
assert not batches or issued == rows, [a.get("refused") for a in answers]
if batches: print(f"{database:8} {suite:4} bulk:   {rows} badges in {wall:.2f} s = {rows / wall:7.0f} badges/s "
      f"({batch} rows a request, 2 at once; partners created too)")

# 2. Single approvals: partners first (not timed), then one approval a request.
partners = [post("/partners", {"name": f"Single {i}", "url": f"https://single-{i}.bench.example"})[1]["id"]
            for i in range(single)]
def approve(partner):
    return post("/approvals", {"partner_id": partner, "tier": "silver", "role": "delivery",
        "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "DEVOPS"], "exam_score": 78,
        "approver": "Bench", "references": [{"name": "Contoso", "validated": True}]})[0]
started = time.perf_counter()
with ThreadPoolExecutor(concurrency) as pool:
    latencies = sorted(t * 1000 for t in pool.map(approve, partners))
wall = time.perf_counter() - started
q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
print(f"{database:8} {suite:4} single: {single} approvals, {concurrency} clients: {single / wall:7.0f} approvals/s; "
      f"latency p50 {q(0.50):.1f} ms, p90 {q(0.90):.1f} ms, p99 {q(0.99):.1f} ms")
EOF
  )
  if [ -n "$url" ]; then psql "$HALLMARK_TEST_POSTGRES_URL" -qc "DROP DATABASE ${url##*/}"; fi
}

for database in sqlite postgres; do
  [ "$databases" = all ] || [ "$databases" = "$database" ] || continue
  for suite in jcs rdfc; do
    [ "$suites" = all ] || [ "$suites" = "$suite" ] || continue
    run "$database" "$suite"
  done
done
