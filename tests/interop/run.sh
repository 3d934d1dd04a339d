#!/usr/bin/env bash
# Interoperability with the wider ecosystem (issue 4): badges Hallmark issues with either
# cryptosuite verify with Digital Bazaar's @digitalbazaar/vc (data-integrity, eddsa-rdfc-2022
# and eddsa-jcs-2022 cryptosuites) and, for eddsa-rdfc-2022, with Digital Credentials'
# verifier-core; credentials those libraries issue verify with `hallmark verify`; the 1EdTech
# OB 3.0 vector verifies everywhere through its issuer profile; a tampered copy of each fails in
# all of them. Everything is offline: contexts are Hallmark's pinned files, nothing is fetched.
#
# Usage: tests/interop/run.sh   (after `npm ci` here; builds target/debug/hallmark if needed)
# Exits 1 on any mismatch, and prints "N passed, M failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ ! -d "$here/node_modules" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi
# HALLMARK=/path/to/hallmark uses that binary; otherwise target/debug/hallmark is built.
if [ -z "${HALLMARK:-}" ]; then
  (cd "$root" && cargo build -q -p hallmark --locked)
fi
hallmark=${HALLMARK:-${CARGO_TARGET_DIR:-$root/target}/debug/hallmark}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }

# Expect `hallmark verify` to exit with $1 on the rest of the arguments.
hallmark_verify() {
  local want=$1
  shift
  local got=0
  "$hallmark" verify --json "$@" > verify.out 2> verify.err || got=$?
  if [ "$got" = "$want" ]; then
    pass "hallmark verify $* → exit $got"
  else
    fail "hallmark verify $* → exit $got, expected $want"
    cat verify.err
  fi
}

# Expect the JS peers to call the files valid / invalid.
peers_verify() {
  if node "$here/interop.mjs" verify "$@" > peers.out 2> peers.err; then
    pass "JS peers: $*"
  else
    fail "JS peers: $*"
    cat peers.err
  fi
  cat peers.out
}

tamper() {  # FILE OUT: change a signed value
  node -e '
    const fs = require("fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    c.name = (c.name || "") + " (forged)";
    fs.writeFileSync(process.argv[2], JSON.stringify(c, null, 2));' "$1" "$2"
}

echo "== Hallmark issues, the peers verify"
"$hallmark" keygen --out key.json > /dev/null 2>&1
badge=(--key key.json --issuer-name "Acme Cloud Partner Program"
  --base-url https://partners.acme.example --partner-id https://northwind.example
  --partner-name "Northwind Consulting" --role solutions --tier gold --tier-name "Gold Partner"
  --tier-description "Designs and delivers complex Acme Cloud solutions."
  --criteria "Exam score of at least 80%, Proficient demo, three references."
  --competency "CLOUD-ARCH=Cloud solution architecture" --competency "DATA-MIG=Data migration at scale"
  --exam-score 87 --exam-minimum 80 --demo-level Advanced --demo-minimum Proficient
  --evidence "Contoso migration|40 TB moved with zero downtime|Customer reference"
  --valid-for-days 365)
"$hallmark" issue "${badge[@]}" > hallmark-rdfc.json
"$hallmark" issue "${badge[@]}" --cryptosuite eddsa-jcs-2022 > hallmark-jcs.json
if grep -q '"cryptosuite": "eddsa-rdfc-2022"' hallmark-rdfc.json; then
  pass "hallmark issue signs with eddsa-rdfc-2022 by default"
else
  fail "hallmark issue does not default to eddsa-rdfc-2022"
fi
# The same badges as proof sets of one (what the OB 3.0 JSON Schema wants; same signature).
for suite in rdfc jcs; do
  node -e '
    const fs = require("fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    c.proof = [c.proof].flat();
    fs.writeFileSync(process.argv[2], JSON.stringify(c, null, 2));' \
    "hallmark-$suite.json" "hallmark-$suite-set.json"
  tamper "hallmark-$suite.json" "hallmark-$suite-tampered.json"
done
hallmark_verify 0 hallmark-rdfc.json hallmark-jcs.json hallmark-rdfc-set.json hallmark-jcs-set.json
hallmark_verify 1 hallmark-rdfc-tampered.json
hallmark_verify 1 hallmark-jcs-tampered.json
peers_verify valid hallmark-rdfc.json hallmark-jcs.json hallmark-rdfc-set.json hallmark-jcs-set.json
peers_verify invalid hallmark-rdfc-tampered.json hallmark-jcs-tampered.json
# verifier-core also runs the OB 3.0 JSON Schema (Hallmark's pinned copy is served to it).
if grep '"file":"hallmark-rdfc-set.json"' peers.out > /dev/null 2>&1 ||
  node "$here/interop.mjs" verify valid hallmark-rdfc-set.json 2> /dev/null | grep -q '"schema":\[true\]'; then
  pass "verifier-core: the badge (as a proof set) passes the OB 3.0 JSON Schema"
else
  fail "verifier-core: the badge (as a proof set) fails the OB 3.0 JSON Schema"
fi

echo "== the peers issue, Hallmark verifies"
node "$here/interop.mjs" issue "$work" > peer-did.txt
for f in peer-ob3-rdfc.json peer-ob3-jcs.json peer-vc11-rdfc.json; do
  tamper "$f" "${f%.json}-tampered.json"
  hallmark_verify 0 "$f"
  hallmark_verify 1 "${f%.json}-tampered.json"
done
peers_verify valid peer-ob3-rdfc.json peer-ob3-jcs.json peer-vc11-rdfc.json
peers_verify invalid peer-ob3-rdfc-tampered.json peer-ob3-jcs-tampered.json peer-vc11-rdfc-tampered.json

echo "== the 1EdTech OB 3.0 eddsa-rdfc-2022 vector (key in an https issuer profile)"
v="$root/tests/vectors/ob3/1edtech-eddsa-rdfc-2022"
profile="https://example.edu/issuers/565049=$v/issuer-profile.json"
tamper "$v/credential-signed.json" 1edtech-tampered.json
hallmark_verify 0 --resolve "$profile" "$v/credential-signed.json"
hallmark_verify 1 --resolve "$profile" 1edtech-tampered.json
peers_verify "--resolve=$profile" valid "$v/credential-signed.json"
peers_verify "--resolve=$profile" invalid 1edtech-tampered.json

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
