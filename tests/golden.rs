//! The CLI's output, pinned by golden files: each `tests/cmd/*.toml` runs `hallmark` with its
//! arguments (in `tests/cmd/`, offline, at a fixed `--at`) and compares the exit code, stdout
//! (`NAME.stdout`) and stderr (`NAME.stderr`) with the files beside it. After an intended
//! change of output, `TRYCMD=overwrite cargo test -p hallmark --test golden` rewrites them;
//! review the diff like code.

#[test]
fn cli_output_matches_the_golden_files() {
    trycmd::TestCases::new()
        .register_bin(
            "hallmark",
            std::path::Path::new(env!("CARGO_BIN_EXE_hallmark")),
        )
        .env("HALLMARK_LOG", "warn")
        .env("NO_COLOR", "1")
        .case(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/cmd/*.toml"
        ));
}
