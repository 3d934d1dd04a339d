//! Embeds the in-browser verifier that `scripts/build-wasm.sh` writes to `web/pkg/` (the core
//! compiled to WebAssembly, and its wasm-bindgen glue): each file is copied into `OUT_DIR` for
//! `include_bytes!`, and the `hallmark_wasm` cfg says they are there. Without them (a build
//! before `scripts/build-wasm.sh` ran) the files are empty, the pages show the server's verdict
//! alone, and `hallmark web export` says how to build them.

use std::path::Path;

/// The files `scripts/build-wasm.sh` writes, every one of which must be there.
const FILES: &[&str] = &[
    "hallmark_verify_jcs.js",
    "hallmark_verify_jcs_bg.wasm",
    "hallmark_verify_rdfc.js",
    "hallmark_verify_rdfc_bg.wasm",
];

fn main() {
    // Read when the script runs, not baked in when it was compiled: a target dir copied from
    // another checkout would otherwise keep embedding that checkout's web/pkg.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let pkg = Path::new(&manifest).join("../../web/pkg");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo::rerun-if-changed={}", pkg.display());
    println!("cargo::rustc-check-cfg=cfg(hallmark_wasm)");
    let mut all = true;
    for name in FILES {
        let from = pkg.join(name);
        println!("cargo::rerun-if-changed={}", from.display());
        let bytes = std::fs::read(&from).unwrap_or_default();
        all &= !bytes.is_empty();
        std::fs::write(Path::new(&out).join(name), bytes).expect("OUT_DIR is writable");
    }
    if all {
        println!("cargo::rustc-cfg=hallmark_wasm");
    } else {
        println!(
            "cargo::warning=web/pkg/ is missing or incomplete: building without the in-browser verifier (run scripts/build-wasm.sh, then build again)"
        );
    }
}
