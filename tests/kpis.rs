//! `hallmark kpis` end to end: a running `hallmark serve` with two certified partners, read
//! as a table, as CSV and as the issuer's JSON; refused parameters and a missing token exit 2
//! with the issuer's reason.

use std::path::PathBuf;
use std::process::Command;

use hallmark_testkit::process::{
    example_issuer_folder, free_port, http, spawn_listening, stdout_of,
};
use serde_json::{json, Value};

fn hallmark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
}

/// A running `hallmark serve`, killed when dropped.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An issuer with Alpha (registered, sales, approved 10 days ago) and Bravo (silver,
/// delivery, 20 days ago): its port, token and server.
fn issuer() -> (u16, String, Server, PathBuf) {
    let port = free_port();
    let dir = example_issuer_folder(
        &format!("kpis-{port}"),
        &format!(
            "issuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\ndatabase_url = \"sqlite:hallmark.db\"\n\
             cryptosuite = \"eddsa-jcs-2022\"\nlifecycle_interval_seconds = 0\n"
        ),
    );
    let config = dir.join("config.toml");
    let token =
        stdout_of(hallmark().args(["token", "create", "--config", config.to_str().unwrap()]));
    let listen = format!("127.0.0.1:{port}");
    let (child, _, _) = spawn_listening(hallmark().args([
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--listen",
        &listen,
    ]));
    let server = Server(child);
    let now = time::OffsetDateTime::now_utc();
    for (name, tier, role, days, extra) in [
        ("Alpha", "registered", "sales", 10, json!({})),
        (
            "Bravo",
            "silver",
            "delivery",
            20,
            json!({"exam_score": 80, "references": [{"name": "Contoso", "validated": true}]}),
        ),
    ] {
        let (status, partner) = http(
            port,
            "POST",
            "/api/v1/partners",
            Some(&token),
            Some(&json!({"name": name, "url": format!("https://{}.example", name.to_lowercase())})),
        );
        assert_eq!(status, 201, "{partner}");
        let mut approval = json!({
            "partner_id": partner["id"], "tier": tier, "role": role,
            "competencies": ["CLOUD-FUND", "CLOUD-ARCH"], "approver": "Dana",
            "approved_at": hallmark_core::datetime::format(now - time::Duration::days(days)),
        });
        approval
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, answer) = http(
            port,
            "POST",
            "/api/v1/approvals",
            Some(&token),
            Some(&approval),
        );
        assert_eq!(status, 201, "{answer}");
    }
    (port, token, server, dir)
}

fn kpis(port: u16, token: &str, extra: &[&str]) -> std::process::Output {
    hallmark()
        .args(["kpis", "--server", &format!("http://127.0.0.1:{port}")])
        .args(extra)
        .env("HALLMARK_TOKEN", token)
        .output()
        .unwrap()
}

#[test]
fn kpis_print_as_a_table_csv_and_json() {
    let (port, token, _server, _dir) = issuer();

    let out = kpis(port, &token, &["--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["certified"]["now"]["tiers"],
        json!([
            {"tier": "registered", "role": "sales", "partners": 1},
            {"tier": "silver", "role": "delivery", "partners": 1},
        ])
    );
    assert_eq!(
        v["ended"],
        json!({"superseded": 0, "lapsed": 0, "withdrawn": 0, "under_review": 0})
    );
    // No applications recorded: nothing measured.
    assert_eq!(v["time_to_certification"]["certifications"], 0);
    assert_eq!(v["time_to_certification"]["median_days"], Value::Null);

    // The table: one row a figure, aligned columns.
    let out = kpis(port, &token, &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["KPI", "PERIOD", "GROUP", "VALUE"]);
    assert!(
        rows.contains(&vec!["certified_partners", "now", "registered/sales", "1"]),
        "{text}"
    );
    assert!(
        rows.contains(&vec!["certified_partners", "now", "silver/delivery", "1"]),
        "{text}"
    );
    assert!(
        rows.contains(&vec!["renewals_due_90_days", "now", "all", "0"]),
        "{text}"
    );
    let window = format!(
        "{}..{}",
        v["from"].as_str().unwrap(),
        v["to"].as_str().unwrap()
    );
    assert!(
        rows.contains(&vec!["days_to_certification_median", &window, "all", "-"]),
        "{text}"
    );

    // CSV, filtered to a tier.
    let out = kpis(port, &token, &["--csv", "--tier", "silver"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("kpi,period,group,value"));
    let now: Vec<&str> = lines
        .filter(|l| l.starts_with("certified_partners,now,"))
        .collect();
    assert_eq!(now, ["certified_partners,now,silver/delivery,1"]);

    // Refused: the issuer's reason, exit 2.
    let out = kpis(port, &token, &["--from", "2026-02-30"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("400") && err.contains("from: \"2026-02-30\""),
        "{err}"
    );
    let out = hallmark()
        .args(["kpis", "--server", &format!("http://127.0.0.1:{port}")])
        .env_remove("HALLMARK_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HALLMARK_TOKEN is not set"));
}
