# Sourced by the benchmarks: starts `hallmark serve --demo` on a fresh data folder (SQLite)
# on a free 127.0.0.1 port and waits for its demo badge. Sets `bin`, `work`, `pid`, `port`,
# `token` (the admin token) and `badge` (the demo Gold badge's URL); stops the server and
# removes the folder on exit. `HALLMARK_BIN` names the binary, else a release build is made.
# Usage: source scripts/demo.sh TAG
if [ -z "${HALLMARK_BIN:-}" ]; then cargo build --release -q -p hallmark; fi
bin=${HALLMARK_BIN:-$PWD/target/release/hallmark}
work=$(mktemp -d "/tmp/hallmark-$1.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HALLMARK_LOG=warn "$bin" serve --demo --data "$work/data" --listen "127.0.0.1:$port" >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 1 300); do grep -q 'demo Gold badge' "$work/out" 2>/dev/null && break; sleep 0.1; done
badge=$(grep -o "http://127.0.0.1:$port/credentials/[0-9a-f-]*" "$work/out" | head -1)
token=$(grep -o 'HALLMARK_TOKEN=[^ ]*' "$work/out" | head -1 | cut -d= -f2)
[ -n "$badge" ] && [ -n "$token" ] || { echo "the demo did not start:"; cat "$work/out"; exit 1; }
