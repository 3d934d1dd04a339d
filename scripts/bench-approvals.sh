#!/usr/bin/env bash
# Approval throughput of the issuer (issue 13: an approval now also supersedes the partner's
# previous badge for the role — its revocation and "message" lists re-signed in the same
# transaction). Everything runs on 127.0.0.1 against `hallmark serve --demo` on a fresh
# SQLite data folder (eddsa-rdfc-2022):
#   1. first certifications: N partners, one Silver approval each (nothing to supersede);
#   2. renewals: the same N partners approved Silver again (each supersedes one badge).
# CONCURRENCY clients post at once. Prints approvals/s and p50/p90/p99 latency per phase.
# Usage: [CONCURRENCY=4] [HALLMARK_BIN=path] scripts/bench-approvals.sh [N, default 200]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
concurrency=${CONCURRENCY:-4}
# shellcheck source=scripts/demo.sh
source scripts/demo.sh approvals

python3 - "$port" "$token" "$n" "$concurrency" <<'EOF'
import json, statistics, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

port, token, n, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
api = f"http://127.0.0.1:{port}/api/v1"

def post(path, body):
    request = urllib.request.Request(
        api + path, data=json.dumps(body).encode(), method="POST",
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
    return time.perf_counter() - started, answer

partners = [post("/partners", {"name": f"Bench {i}", "url": f"https://bench-{i}.example"})[1]["id"]
            for i in range(n)]

def approve(partner):
    return post("/approvals", {
        "partner_id": partner, "tier": "silver", "role": "delivery",
        "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "DEVOPS"], "exam_score": 78,
        "approver": "Bench", "references": [{"name": "Contoso", "validated": True}]})

for phase in ("first certifications", "renewals (each supersedes one badge)"):
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(approve, partners))
    wall = time.perf_counter() - started
    latencies = sorted(r[0] * 1000 for r in results)
    kinds = sorted({r[1].get("kind", "(none)") for r in results})
    superseded = sum(len(r[1].get("superseded", [])) for r in results)
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
    print(f"{phase}: {n} approvals, {concurrency} at once: {n / wall:.1f} approvals/s; "
          f"latency p50 {q(0.50):.1f} ms, p90 {q(0.90):.1f} ms, p99 {q(0.99):.1f} ms; "
          f"kind {','.join(kinds)}; superseded {superseded}")
EOF
