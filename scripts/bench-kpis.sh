#!/usr/bin/env bash
# The KPI query at scale (issue 15): for SQLite and, when HALLMARK_TEST_POSTGRES_URL names a
# server, PostgreSQL, seeds `hallmark serve --demo`'s fresh database with PARTNERS partners
# (default 50,000) each holding two badges — a certification and its renewal a year later
# (100,000 badges; a tenth of the renewals withdrawn, expired ones lapsed) — one application and
# two attempts each, QUARTERS quarters of scorecards each (default 20: 1,000,000 rows) and
# 1,000 open risk flags, all set-based (a recursive CTE on SQLite, generate_series on
# PostgreSQL); then times `GET /api/v1/kpis` RUNS times (default 15) for the default window
# (the last four quarters), for eight quarters, and for one tier and role, printing the median
# and p95 in ms per database. The target: under 200 ms.
# KEEP=FILE keeps a copy of the seeded SQLite database (to study the queries' plans).
# Usage: [KEEP=FILE] [PARTNERS=50000] [QUARTERS=20] [RUNS=15] [HALLMARK_BIN=path]
#        scripts/bench-kpis.sh [sqlite|postgres|all]
set -euo pipefail
cd "$(dirname "$0")/.."
partners=${PARTNERS:-50000}
quarters=${QUARTERS:-20}
runs=${RUNS:-15}
databases=${1:-all}
if [ -z "${HALLMARK_BIN:-}" ]; then cargo build --release -q -p hallmark; fi
export HALLMARK_BIN=${HALLMARK_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/hallmark}

run() { # DATABASE
  local database=$1 url= name=
  if [ "$database" = postgres ]; then
    local admin=${HALLMARK_TEST_POSTGRES_URL:-}
    [ -n "$admin" ] || { echo "postgres: skipped (HALLMARK_TEST_POSTGRES_URL is not set)"; return; }
    name="hallmark_bench_kpis_$$_$RANDOM"
    psql "$admin" -qc "CREATE DATABASE $name"
    url="${admin%/*}/$name"
  fi
  (
    [ -n "$url" ] && export HALLMARK_DATABASE_URL=$url
    # shellcheck source=scripts/demo.sh
    source scripts/demo.sh kpis
    db=$url
    [ -n "$db" ] || db=$(find "$work" -name '*.db' | head -1)
    python3 - "$port" "$token" "$database" "$db" "$partners" "$quarters" "$runs" <<'PY'
import json, statistics, subprocess, sqlite3, sys, time, urllib.request
port, token, database, db = sys.argv[1:5]
partners, quarters, runs = map(int, sys.argv[5:8])
DAY = 86400
now = int(time.time())

# The quarters of the scorecards: the current one and the QUARTERS - 1 before it.
t = time.gmtime(now)
index = t.tm_year * 4 + (t.tm_mon - 1) // 3
def start(i):
    return int(time.mktime((i // 4, (i % 4) * 3 + 1, 1, 0, 0, 0, 0, 0, 0)) - time.timezone)
periods = [(f"{i // 4}-Q{i % 4 + 1}", start(i), start(i + 1)) for i in range(index - quarters + 1, index + 1)]

if database == "sqlite":
    seq = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {partners})"
else:
    seq = f"WITH n(i) AS (SELECT generate_series(1, {partners}))"
tier = "(CASE i % 4 WHEN 0 THEN 'registered' WHEN 1 THEN 'silver' WHEN 2 THEN 'gold' ELSE 'platinum' END)"
role = "(CASE i % 3 WHEN 0 THEN 'sales' WHEN 1 THEN 'solutions' ELSE 'delivery' END)"
a1 = f"({now} - 730 * {DAY} + (i % 365) * {DAY})"
a2 = f"({a1} + 350 * {DAY})"
values = ", ".join(f"('{p}', {s}, {e}, {k})" for k, (p, s, e) in enumerate(periods))
statements = [
    f"{seq} INSERT INTO partners (id, name, url, created_at, url_key) SELECT 'bp-' || i, 'Bench ' || i, 'https://b' || i || '.bench.example', {now}, 'https://b' || i || '.bench.example' FROM n",
    f"{seq} INSERT INTO approvals (id, partner_id, tier, role, record, approved_at, created_at) SELECT 'ba1-' || i, 'bp-' || i, {tier}, {role}, '{{}}', {a1}, {now} FROM n",
    f"{seq} INSERT INTO approvals (id, partner_id, tier, role, record, approved_at, created_at) SELECT 'ba2-' || i, 'bp-' || i, {tier}, {role}, '{{}}', {a2}, {now} FROM n",
    # The renewals: a tenth withdrawn, the expired ones past grace lapsed.
    f"{seq} INSERT INTO credentials (id, approval_id, partner_id, tier, role, document, issued_at, valid_until, revoked_at, message_status) "
    f"SELECT 'bc2-' || i, 'ba2-' || i, 'bp-' || i, {tier}, {role}, '{{}}', {a2}, {a2} + 365 * {DAY}, "
    f"CASE WHEN i % 10 = 0 THEN {now} - {DAY} * (1 + i % 90) END, "
    f"CASE WHEN i % 10 = 0 THEN 3 WHEN {a2} + 395 * {DAY} < {now} THEN 2 ELSE 0 END FROM n",
    f"{seq} INSERT INTO credentials (id, approval_id, partner_id, tier, role, document, issued_at, valid_until, revoked_at, message_status, superseded_by) "
    f"SELECT 'bc1-' || i, 'ba1-' || i, 'bp-' || i, {tier}, {role}, '{{}}', {a1}, {a1} + 365 * {DAY}, {a2}, 1, 'bc2-' || i FROM n",
    f"{seq} INSERT INTO applications (id, partner_id, tier, role, applied_at, created_at) SELECT 'bap-' || i, 'bp-' || i, {tier}, {role}, {a1} - (i % 60) * {DAY}, {now} FROM n",
    f"{seq} INSERT INTO attempts (id, partner_id, application_id, tier, role, kind, exam_score, passed, attempted_at, created_at) "
    f"SELECT 'bx-' || i, 'bp-' || i, 'bap-' || i, {tier}, {role}, 'exam', 50 + i % 50, (50 + i % 50) >= 70, {a1} - 5 * {DAY}, {now} FROM n",
    f"{seq} INSERT INTO attempts (id, partner_id, application_id, tier, role, kind, demo_level, passed, attempted_at, created_at) "
    f"SELECT 'bd-' || i, 'bp-' || i, 'bap-' || i, {tier}, {role}, 'demo', "
    f"(CASE i % 4 WHEN 0 THEN 'Developing' WHEN 1 THEN 'Proficient' WHEN 2 THEN 'Advanced' ELSE 'Expert' END), i % 4 > 0, {a1} - 2 * {DAY}, {now} FROM n",
    f"{seq}, q(period, ps, pe, k) AS (VALUES {values}) "
    f"INSERT INTO scorecards (partner_id, period, period_start, period_end, tier, win_rate, first_pass_quality, rework, nps, margin, attach_rate, influenced_pipeline, nrr, csat, recorded_at) "
    f"SELECT 'bp-' || i, q.period, q.ps, q.pe, {tier}, 20 + (i + k) % 60, 70 + (i * k) % 30, (i + 3 * k) % 25, -20 + (i + k) % 90, 10 + (i + k) % 30, (i + k) % 50, 1000 * (i % 500), 80 + (i + k) % 40, 60 + (i + 2 * k) % 40, q.pe FROM q CROSS JOIN n",
    f"{seq} INSERT INTO risks (id, credential_id, partner_id, period, missed, flagged_at, notice_until) "
    f"SELECT 'br-' || i, 'bc2-' || i, 'bp-' || i, '{periods[-2][0]}', '[]', {now} - {DAY}, {now} + 29 * {DAY} FROM n WHERE i % 50 = 0",
]
started = time.perf_counter()
if database == "sqlite":
    c = sqlite3.connect(db, timeout=60)
    for s in statements:
        c.execute(s)
    c.commit()
    c.close()
else:
    script = ";\n".join(statements) + ";\n"
    subprocess.run(["psql", db, "-q", "-v", "ON_ERROR_STOP=1", "-1"], input=script.encode(), check=True)
    # What autovacuum does soon after a bulk load: statistics, and the visibility map that
    # lets index-only scans skip the table.
    subprocess.run(["psql", db, "-qc", "VACUUM ANALYZE"], check=True)
counts = {}
def count(sql):
    if database == "sqlite":
        c = sqlite3.connect(db); n = c.execute(sql).fetchone()[0]; c.close(); return n
    return int(subprocess.run(["psql", db, "-Atc", sql], capture_output=True, check=True).stdout)
badges = count("SELECT COUNT(*) FROM credentials WHERE id LIKE 'bc%'")
cards = count("SELECT COUNT(*) FROM scorecards")
keep = __import__("os").environ.get("KEEP")
if keep and database == "sqlite":
    with sqlite3.connect(db) as src, sqlite3.connect(keep) as dst:
        src.backup(dst)
print(f"{database}: seeded {badges} badges, {cards} scorecards, {partners} partners in {time.perf_counter() - started:.1f} s")

def get(query):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/kpis{query}",
                                     headers={"authorization": f"Bearer {token}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.load(response)
    return (time.perf_counter() - began) * 1000, body

first = time.gmtime(start(index - 7))
eight = f"?from={first.tm_year:04d}-{first.tm_mon:02d}-01"
for label, query in [("default (4 quarters)", ""), ("8 quarters", eight), ("tier gold, role sales", "?tier=gold&role=sales")]:
    _, body = get(query)  # warm
    times = sorted(get(query)[0] for _ in range(runs))
    p95 = times[min(len(times) - 1, -(-95 * len(times) // 100) - 1)]
    now_count = sum(t["partners"] for t in body["certified"]["now"]["tiers"])
    print(f"{database}: GET /api/v1/kpis{query or ''} [{label}]: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
          f"over {runs} runs (certified now {now_count}, scorecard quarters {len(body['scorecards'])})")
PY
  )
  if [ -n "$name" ]; then psql "$HALLMARK_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"; fi
}

case $databases in
  sqlite|postgres) run "$databases" ;;
  all) run sqlite; run postgres ;;
  *) echo "usage: $0 [sqlite|postgres|all]" >&2; exit 2 ;;
esac
