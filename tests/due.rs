//! `hallmark badges due` on an issuer's data folder (SQLite, and PostgreSQL when
//! HALLMARK_TEST_POSTGRES_URL names a server): badges made with the issuer library, approved
//! on fixed past dates, listed at a fixed `--at` as a table and as JSON Lines.

use std::path::{Path, PathBuf};
use std::process::Command;

use hallmark_core::keys::{KeyFile, SecretKey};
use hallmark_issuer::service::{NewApproval, NewPartner};
use hallmark_issuer::{Config, Issuer, Overrides};
use serde_json::{json, Value};

const BASE: &str = "https://partners.acme.example";

/// An issuer folder on `database_url` with badges approved on fixed dates; the folder and
/// the uuids of (Fabrikam, Contoso).
async fn folder(database_url: &str) -> (PathBuf, String, String) {
    let key = KeyFile::new(SecretKey::from_seed(&[14; 32]));
    let dir = hallmark_testkit::issuer_folder(
        "due",
        key.to_json().expose(),
        &hallmark_testkit::with_grace(hallmark_issuer::program::DEMO_PROGRAM, "registered", 30),
        &format!("issuer_name = \"Acme\"\nbase_url = \"{BASE}\"\ndatabase_url = \"{database_url}\"\ncryptosuite = \"eddsa-jcs-2022\"\n"),
    );
    let config = Config::load(&dir.join("config.toml"), &Overrides::default()).unwrap();
    let issuer = Issuer::open(config).await.unwrap();
    let mut ids = Vec::new();
    // (partner, approved_at): valid for 365 days, then 30 days of grace.
    for (name, approved_at) in [
        ("Fabrikam", "2025-01-10T00:00:00Z"),  // until 2026-01-10: due
        ("Contoso", "2024-12-01T00:00:00Z"),   // until 2025-12-01: expired, in grace
        ("Northwind", "2024-10-01T00:00:00Z"), // until 2025-10-01: lapsed by 2025-10-31
        ("Withdrawn", "2025-01-01T00:00:00Z"), // revoked
        ("Tailspin", "2025-11-01T00:00:00Z"),  // until 2026-11-01: not within 60 days
    ] {
        let partner = issuer
            .create_partner(
                "test",
                &NewPartner {
                    name: name.into(),
                    url: format!("https://{}.example", name.to_lowercase()),
                    listed: false,
                    contacts: Vec::new(),
                },
            )
            .await
            .unwrap();
        let new: NewApproval = serde_json::from_value(json!({
            "partner_id": partner.id, "tier": "registered", "role": "sales",
            "competencies": ["CLOUD-FUND"], "approver": "Jane Approver", "approved_at": approved_at,
        }))
        .unwrap();
        let id = issuer
            .approve("test", &new)
            .await
            .unwrap()
            .credential
            .row
            .id;
        if name == "Withdrawn" {
            issuer.revoke("test", &id, "withdrawn").await.unwrap();
        }
        ids.push(id);
    }
    issuer.store().close().await;
    (dir, ids[0].clone(), ids[1].clone())
}

/// `hallmark badges due --days DAYS --at AT --data DIR EXTRA…`: exit code, stdout, stderr.
fn due(dir: &Path, days: &str, at: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hallmark"))
        .args(["badges", "due", "--days", days, "--at", at])
        .arg("--data")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn lists_badges_due(database_url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (dir, fabrikam, contoso) = runtime.block_on(folder(database_url));

    let at = "2025-12-15T00:00:00Z";
    let (code, table, stderr) = due(&dir, "60", at, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let expected = format!(
        "PARTNER   TIER        ROLE   VALID UNTIL           DAYS LEFT                     LAPSES ON             BADGE\n\
         Contoso   registered  sales  2025-12-01T00:00:00Z  expired, renew by 2025-12-31  2025-12-31T00:00:00Z  {BASE}/credentials/{contoso}\n\
         Fabrikam  registered  sales  2026-01-10T00:00:00Z  26                            2026-02-09T00:00:00Z  {BASE}/credentials/{fabrikam}\n"
    );
    assert_eq!(table, expected);

    let (code, lines, _) = due(&dir, "60", at, &["--json"]);
    assert_eq!(code, Some(0));
    let rows: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["uuid"], json!(contoso));
    assert_eq!(rows[0]["expired"], json!(true));
    assert_eq!(rows[0]["daysLeft"], json!(-14));
    assert_eq!(rows[1]["partner"]["name"], json!("Fabrikam"));
    assert_eq!(rows[1]["tierName"], json!("Registered Partner"));
    assert_eq!(
        rows[1]["id"],
        json!(format!("{BASE}/credentials/{fabrikam}"))
    );
    assert_eq!(rows[1]["validUntil"], json!("2026-01-10T00:00:00Z"));
    assert_eq!(rows[1]["daysLeft"], json!(26));
    assert_eq!(rows[1]["graceDays"], json!(30));
    assert_eq!(rows[1]["lapsesAt"], json!("2026-02-09T00:00:00Z"));

    // Nothing due: said on stderr, exit 0.
    let (code, out, stderr) = due(&dir, "0", "2026-06-01T00:00:00Z", &[]);
    assert_eq!((code, out.as_str()), (Some(0), ""));
    assert_eq!(
        stderr,
        "no badges due within 0 days of 2026-06-01T00:00:00Z\n"
    );
    // Bad flags: exit 2 naming the flag.
    let (code, _, stderr) = due(&dir, "60", "tomorrow", &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: --at: "), "{stderr}");
    let (code, _, stderr) = due(&dir, "40000", at, &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("error: --days: 40000 is more than 36500"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn badges_due_on_sqlite() {
    lists_badges_due("sqlite:hallmark.db");
}

#[test]
fn badges_due_on_postgres() {
    if let Some(url) = hallmark_testkit::process::postgres_database() {
        lists_badges_due(&url);
    }
}
