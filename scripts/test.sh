#!/usr/bin/env bash
# Runs every Hallmark test on a fresh Debian machine with the Rust toolchain: installs what
# the tests need, then formatting, lints, the core's wasm32 build, and the whole test suite.
# Usage: scripts/test.sh      (from anywhere; CI calls it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: the wasm32-unknown-unknown target for the core crate"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the core crate builds for wasm32-unknown-unknown (no I/O, no tokio)"
cargo build -p hallmark-core --target wasm32-unknown-unknown --locked

step "cargo test (unit, vectors, end-to-end)"
cargo test --workspace --locked
