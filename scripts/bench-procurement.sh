#!/usr/bin/env bash
# The procurement benchmark (issue 17, "Speed"): builds hallmark-core's `batch` bench in
# release and prints, in one run, a bare Ed25519 verify_strict (µs), the full eddsa-jcs-2022
# verification from bytes (µs) and its ratio to verify_strict (target ≤ 1.3), the batch
# verifier's cost per signature against verify_strict, and the throughput of verifying badges
# written to a temporary folder and read back (4,000 eddsa-jcs-2022, target ≥ 30,000/s, and
# 1,000 eddsa-rdfc-2022, target ≥ 4,000/s; each with a credentialStatus, the status lists
# cached) on 2 threads, one by one and with Verifier::verify_many's batching.
# Usage: scripts/bench-procurement.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p hallmark-core --features batch --bench batch
