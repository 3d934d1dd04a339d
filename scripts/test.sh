#!/usr/bin/env bash
# Runs every Hallmark test on a fresh Debian machine with the Rust toolchain: installs and
# starts what the tests need (the wasm32 target and the wasm-bindgen CLI, PostgreSQL, Chromium),
# then formatting, the in-browser verifier's build (its sizes printed), lints, the core's wasm32
# build, the interop and browser tests, schemathesis against both services'
# OpenAPI documents, a brief run of every fuzz target, and
# the whole test suite (the store's tests on SQLite and PostgreSQL).
# Usage: scripts/test.sh      (from anywhere; CI calls it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "toolchain: rustfmt, clippy, the wasm32-unknown-unknown target, a C compiler"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if ! command -v cc >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential >/dev/null
fi

step "PostgreSQL from Debian's packages, started, with a hallmark role (the store's tests run on it)"
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  as_root pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -n 1)" main >/dev/null
fi
read -r pg_version pg_cluster pg_port _ < <(pg_lsclusters -h | head -n 1)
as_root pg_ctlcluster "$pg_version" "$pg_cluster" start 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$pg_port" && break; sleep 1; done
pg_isready -h 127.0.0.1 -p "$pg_port"
as_psql() { as_root su postgres -c "psql -p $pg_port -tAc \"$1\""; }
[ "$(as_psql "SELECT 1 FROM pg_roles WHERE rolname = 'hallmark'")" = 1 ] ||
  as_psql "CREATE ROLE hallmark LOGIN SUPERUSER PASSWORD 'hallmark'" >/dev/null
[ "$(as_psql "SELECT 1 FROM pg_database WHERE datname = 'hallmark'")" = 1 ] ||
  as_psql "CREATE DATABASE hallmark OWNER hallmark" >/dev/null
export HALLMARK_TEST_POSTGRES_URL="postgres://hallmark:hallmark@127.0.0.1:$pg_port/hallmark"

step "a local SMTP server for the e-mail reminder tests (Debian's python3-aiosmtpd)"
if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-aiosmtpd >/dev/null
fi
/usr/bin/python3 -c 'import aiosmtpd'

step "cargo fmt --check"
cargo fmt --all -- --check

step "the in-browser verifier: crates/wasm in two builds into web/pkg/ with the pinned wasm-bindgen CLI, sizes raw and gzipped (scripts/build-wasm.sh)"
bash scripts/build-wasm.sh

step "cargo clippy (all targets, warnings are errors; the core also without rdfc, as the jcs-only build)"
cargo clippy -p hallmark-core --no-default-features --locked -- -D warnings
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the core crate builds for wasm32-unknown-unknown (no I/O, no tokio)"
cargo build -p hallmark-core --target wasm32-unknown-unknown --locked

step "interop: Hallmark badges vs @digitalbazaar/vc and verifier-core, and theirs vs hallmark (tests/interop)"
command -v npm >/dev/null || { echo "the interop tests need Node.js 20 and npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
(cd tests/interop && npm ci --no-audit --no-fund)
cargo build -p hallmark --locked
bash tests/interop/run.sh

step "browser tests: the pages in Debian's headless Chromium (playwright-core, axe-core; tests/browser)"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
HALLMARK="$(realpath -m "${CARGO_TARGET_DIR:-target}")/debug/hallmark" bash tests/browser/run.sh

step "schemathesis (PyPI, pinned, in a venv) against both services' /openapi.json, 10 examples an operation (scripts/schemathesis.sh)"
python3 -c 'import venv, ensurepip' 2>/dev/null || {
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
}
HALLMARK_BIN="$(realpath -m "${CARGO_TARGET_DIR:-target}")/debug/hallmark" bash scripts/schemathesis.sh 10

step "fuzzing: each cargo-fuzz target for 20 s from its minimized corpus (scripts/fuzz.sh)"
bash scripts/fuzz.sh 20

step "cargo test (unit, vectors, end-to-end)"
cargo test --workspace --locked
