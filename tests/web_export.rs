//! `hallmark web export DIR` (issue 16): the standalone verifier's folder, byte for byte the
//! assets embedded in the binary; a folder holding other files is refused unless `--force`,
//! and even then the others are left as they are; a binary without the WebAssembly says how
//! to build it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The folder's files and the assets they are: (file name, asset name). Written out here, not
/// taken from `EXPORTED`: this is the contract a host relies on, and a file dropped from the
/// code's list must fail this test.
const FILES: &[(&str, &str)] = &[
    ("index.html", "standalone.html"),
    ("standalone.js", "standalone.js"),
    ("states.js", "states.js"),
    ("verify-browser.js", "verify-browser.js"),
    ("hallmark_verify_jcs.js", "hallmark_verify_jcs.js"),
    ("hallmark_verify_jcs_bg.wasm", "hallmark_verify_jcs_bg.wasm"),
    ("hallmark_verify_rdfc.js", "hallmark_verify_rdfc.js"),
    (
        "hallmark_verify_rdfc_bg.wasm",
        "hallmark_verify_rdfc_bg.wasm",
    ),
    ("style.css", "style.css"),
];

fn hallmark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(args)
        .output()
        .expect("hallmark runs")
}

/// A fresh, not yet existing folder path under the temp dir.
fn fresh(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("hallmark-web-export-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn export(dir: &Path, force: bool) -> Output {
    let dir = dir.to_str().expect("a UTF-8 path");
    if force {
        hallmark(&["web", "export", "--force", dir])
    } else {
        hallmark(&["web", "export", dir])
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn export_writes_every_file_byte_equal_to_the_assets_and_names_each() {
    let dir = fresh("fresh").join("nested/site");
    let out = export(&dir, false);
    if !hallmark_web::browser::BUILT {
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("scripts/build-wasm.sh"));
        assert!(!dir.exists(), "nothing written without the WebAssembly");
        return;
    }
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the folder was created")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let mut expected: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    let mut total = 0;
    for (name, asset) in FILES {
        let (_, bytes) = hallmark_web::page::asset(asset).expect("the asset is embedded");
        let written = std::fs::read(dir.join(name)).expect("the file was written");
        assert!(
            written == bytes,
            "{name} is byte-equal to the asset {asset}"
        );
        let line = format!("{:>9}  {}", bytes.len(), dir.join(name).display());
        assert!(
            stdout.contains(&line),
            "stdout names {name} and its size:\n{stdout}"
        );
        total += bytes.len();
    }
    assert!(stdout.contains(&format!("{total:>9}  bytes in 9 files")));
    // The page loads only relative URLs (it must work from any path of any host).
    let page = std::fs::read_to_string(dir.join("index.html")).expect("the page");
    assert!(page.contains(r#"src="standalone.js""#));
    assert!(page.contains(r#"href="style.css""#));
    assert!(!page.contains("src=\"/") && !page.contains("href=\"/"));
    // Again into the same folder: only its own files there, so no --force is needed.
    assert_eq!(export(&dir, false).status.code(), Some(0));
    let _ = std::fs::remove_dir_all(fresh("fresh"));
}

#[test]
fn a_folder_with_other_files_is_refused_unless_force_which_keeps_them() {
    if !hallmark_web::browser::BUILT {
        return;
    }
    let dir = fresh("others");
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    std::fs::write(dir.join("index.html"), "my own page").unwrap();
    let out = export(&dir, false);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("holds other files (assets, notes.txt)"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("index.html")).unwrap(),
        "my own page",
        "nothing written when refused"
    );
    let out = export(&dir, true);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(dir.join("assets").is_dir());
    let (_, page) = hallmark_web::page::asset("standalone.html").unwrap();
    assert!(std::fs::read(dir.join("index.html")).unwrap() == page);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_where_the_folder_would_be_is_refused() {
    let file = fresh("file");
    std::fs::write(&file, "a file").unwrap();
    let out = export(&file, true);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    if hallmark_web::browser::BUILT {
        assert!(stderr.contains("is not a folder"), "{stderr}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "a file");
    let _ = std::fs::remove_file(&file);
}
