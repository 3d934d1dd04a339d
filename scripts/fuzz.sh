#!/usr/bin/env bash
# Fuzzes hallmark-core with cargo-fuzz (libFuzzer): builds every target of fuzz/ once, then runs
# each for SECONDS, starting from its minimized corpus (fuzz/corpus/TARGET) and its regression
# inputs (fuzz/regressions/TARGET). New inputs go to fuzz/target/corpus/TARGET (not committed),
# crashes to fuzz/artifacts/TARGET. Prints per target the executions, coverage (cov/ft) and
# crashes; exits non-zero when any target crashed.
#
# Usage: scripts/fuzz.sh [SECONDS]   each target for SECONDS (default 60)
#        scripts/fuzz.sh --cmin      add to fuzz/corpus/TARGET the inputs of earlier runs
#                                    (fuzz/target/corpus/TARGET) of at most 2 KB that reach code
#                                    the corpus does not (libFuzzer -merge=1 on edges): the
#                                    committed corpora stay small and `cargo test` replays them
#                                    in seconds
#        scripts/fuzz.sh --seed      write the seed inputs (tests/vectors, in-memory badges) to
#                                    fuzz/target/seeds and add those that reach new code
# Env: FUZZ_TARGETS="a b" (default: all); FUZZ_SANITIZER=address for an AddressSanitizer
# build (5 to 20 times slower; the default is none: hallmark-core forbids unsafe code, and the
# build keeps debug assertions and overflow checks, which catch what safe Rust gets wrong).
# Stable Rust only: cargo-fuzz needs nightly flags, which RUSTC_BOOTSTRAP=1 allows.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1

mode=run
seconds=60
case "${1:-}" in
  --seed) mode=seed ;;
  --cmin) mode=cmin ;;
  '') ;;
  *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] | --seed | --cmin" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked --quiet
fi

sanitizer=${FUZZ_SANITIZER:-none}
targets=${FUZZ_TARGETS:-$(cd fuzz && cargo fuzz list)}
# cargo fuzz builds into CARGO_TARGET_DIR when it is set (relative to fuzz/), else fuzz/target.
bin_dir=$(cd fuzz && realpath -m "${CARGO_TARGET_DIR:-target}")/x86_64-unknown-linux-gnu/release

# Per-target libFuzzer options: input size (a badge with its resources is ~10-30 KB; keys and
# DIDs are short) and, for every target, 512 MB of memory and 30 s per input at most.
options() {
  local max_len
  case "$1" in
    did_multibase) max_len=4096 ;;
    json_strict | status_list) max_len=16384 ;;
    *) max_len=65536 ;;
  esac
  echo "-max_len=$max_len -rss_limit_mb=512 -timeout=30"
}

echo "==> cargo fuzz build (all targets, sanitizer: $sanitizer)"
start=$(date +%s)
mkdir -p fuzz/target
# fuzz/Cargo.lock is committed; cargo only adds what a changed hallmark-core newly needs.
if ! (cd fuzz && cargo fuzz build --sanitizer "$sanitizer") >fuzz/target/build.log 2>&1; then
  tail -n 40 fuzz/target/build.log >&2
  exit 1
fi
for t in $targets; do
  [ -x "$bin_dir/$t" ] || { echo "fuzz target $t did not build" >&2; exit 1; }
done
echo "    built in $(($(date +%s) - start)) s"

# merge TARGET DIR: adds to fuzz/corpus/TARGET the inputs of DIR that cover new edges (hit
# counts and comparison values not counted, so that few inputs are added).
merge() {
  mkdir -p "fuzz/corpus/$1"
  local before
  before=$(find "fuzz/corpus/$1" -type f | wc -l)
  # shellcheck disable=SC2046
  "$bin_dir/$1" -merge=1 -use_counters=0 -use_value_profile=0 $(options "$1") \
    "fuzz/corpus/$1" "$2" >"fuzz/target/$1.merge.log" 2>&1 ||
    { tail -n 20 "fuzz/target/$1.merge.log"; exit 1; }
  echo "$1: $before -> $(find "fuzz/corpus/$1" -type f | wc -l) inputs," \
    "$(du -sb "fuzz/corpus/$1" | cut -f1) bytes"
}

if [ "$mode" = seed ]; then
  echo "==> seed inputs from tests/vectors and the checks' world"
  rm -rf fuzz/target/seeds
  FUZZ_SEEDS_DIR=$PWD/fuzz/target/seeds cargo test -q -p hallmark-core --test fuzz_regressions \
    --locked the_minimized_corpora_pass_their_checks
  for t in $targets; do
    if [ -d "fuzz/target/seeds/$t" ]; then merge "$t" "fuzz/target/seeds/$t"; fi
  done
  exit 0
fi

if [ "$mode" = cmin ]; then
  for t in $targets; do
    small=fuzz/target/small/$t
    rm -rf "$small" && mkdir -p "$small" "fuzz/target/corpus/$t"
    find "fuzz/target/corpus/$t" -type f -size -2049c -exec cp {} "$small/" \;
    merge "$t" "$small"
  done
  exit 0
fi

crashed=0
summary=()
for t in $targets; do
  mkdir -p "fuzz/target/corpus/$t" "fuzz/artifacts/$t" "fuzz/corpus/$t" "fuzz/regressions/$t"
  log=fuzz/target/$t.log
  echo "==> $t for ${seconds} s"
  status=0
  # shellcheck disable=SC2046
  "$bin_dir/$t" $(options "$t") -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t/" \
    "fuzz/target/corpus/$t" "fuzz/corpus/$t" "fuzz/regressions/$t" >"$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
  rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | awk '{if ($2 > m) m = $2} END {print m + 0}')
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
  artifact=$(grep -o 'Test unit written to [^ ]*' "$log" | head -n 1 | cut -d' ' -f5- || true)
  if [ "$status" -ne 0 ] || [ -n "$artifact" ]; then
    crashed=1
    line="$t: CRASH (exit $status) ${artifact:-see $log}; $execs execs, ${cov:-no coverage}"
    grep -E -m 5 "panicked at|ERROR: libFuzzer|SUMMARY" "$log" || tail -n 20 "$log"
  else
    line="$t: ok, $execs execs ($speed/s), ${cov:-cov: ?}, peak RSS ${rss} MB, 0 crashes"
  fi
  echo "    $line"
  summary+=("$line")
done

echo
echo "==> fuzzing summary (${seconds} s per target)"
printf '    %s\n' "${summary[@]}"
if [ "$crashed" -ne 0 ]; then
  echo "a fuzz target crashed: reproduce with fuzz/target/x86_64-unknown-linux-gnu/release/TARGET ARTIFACT;" >&2
  echo "keep the input under fuzz/regressions/TARGET/ once fixed" >&2
  exit 1
fi
