#!/usr/bin/env bash
# Builds the in-browser verifier (crates/wasm, issue 16) into web/pkg/, which the hallmark
# binary embeds (crates/web/build.rs) and serves under /assets/pkg/:
#   hallmark_verify_jcs.js  + hallmark_verify_jcs_bg.wasm    eddsa-jcs-2022 only (the small one)
#   hallmark_verify_rdfc.js + hallmark_verify_rdfc_bg.wasm   eddsa-rdfc-2022 and eddsa-jcs-2022
# and prints each one's size, raw and gzipped (the budget: the jcs build ≤ 400 KB gzipped).
#
# Installs what it needs when missing: the wasm32-unknown-unknown target, and the wasm-bindgen
# CLI from crates.io at exactly the version of the wasm-bindgen crate in Cargo.lock (the glue
# and the crate must match; wasm-pack cannot download its binaries here).
# Usage: scripts/build-wasm.sh        (then build hallmark: cargo build -p hallmark)
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$version" ] || { echo "build-wasm: no wasm-bindgen in Cargo.lock" >&2; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
  echo "build-wasm: installing wasm-bindgen-cli $version (a few minutes, once)" >&2
  # Not --locked: the CLI's own lock file names versions the registry mirror may not have.
  cargo install -q wasm-bindgen-cli --version "=$version"
fi

target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
out=web/pkg
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for variant in jcs rdfc; do
  features=()
  [ "$variant" = jcs ] && features=(--no-default-features)
  cargo build -q -p hallmark-wasm --target wasm32-unknown-unknown --profile wasm --locked "${features[@]}"
  cp "$target/wasm32-unknown-unknown/wasm/hallmark_wasm.wasm" "$stage/hallmark_verify_$variant.wasm"
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir "$stage/pkg" "$stage/hallmark_verify_$variant.wasm"
done
# Replaced whole, so a build never serves one variant's glue with the other's wasm.
rm -rf "$out"
mv "$stage/pkg" "$out"

printf '%-34s %10s %12s\n' "web/pkg" "raw bytes" "gzip -9"
for file in "$out"/*; do
  printf '%-34s %10d %12d\n' "$(basename "$file")" "$(wc -c <"$file")" "$(gzip -9c "$file" | wc -c)"
done
