//! `hallmark token create|list|revoke` against a running `hallmark serve` (issue 14): roles
//! are enforced (a viewer token reads but cannot approve or create tokens: 403), the list
//! shows id, name, role and dates but never a secret, an ambiguous name is refused with the
//! ids to choose from, and a token revoked by another process is refused at the next request.
//! On SQLite and, with HALLMARK_TEST_POSTGRES_URL, on PostgreSQL.

use std::path::Path;
use std::process::{Command, Output};

use hallmark_testkit::process::{
    example_issuer_folder, free_port, http, postgres_database, spawn_listening, stdout_of,
};
use serde_json::json;

fn hallmark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hallmark"))
}

fn token_cmd(config: &Path, args: &[&str]) -> Output {
    hallmark()
        .arg("token")
        .args(args)
        .args(["--config", config.to_str().unwrap()])
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn roles_and_revocation(database_url: &str, tag: &str) {
    let port = free_port();
    let dir = example_issuer_folder(
        &format!("tokens-{tag}-{port}"),
        &format!("issuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:{port}\"\nlisten = \"127.0.0.1:{port}\"\ndatabase_url = \"{database_url}\"\n"),
    );
    let config = dir.join("config.toml");
    let c = config.to_str().unwrap();
    // The default role stays admin (the README and older scripts rely on it).
    let admin = stdout_of(hallmark().args(["token", "create", "--config", c, "--name", "ops"]));
    let viewer = stdout_of(hallmark().args([
        "token", "create", "auditor", "--role", "viewer", "--config", c,
    ]));
    let created = token_cmd(&config, &["create", "clerk", "--role", "issuer"]);
    assert!(created.status.success());
    assert!(
        text(&created.stderr).contains("with the role issuer"),
        "{}",
        text(&created.stderr)
    );
    let issuer = text(&created.stdout).trim().to_owned();
    // Two tokens named alike: revoking by that name must name both ids.
    let twin = token_cmd(&config, &["create", "clerk", "--role", "viewer"]);
    assert!(twin.status.success());

    let list = token_cmd(&config, &["list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 5, "{listed}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("ROLE") && lines[0].contains("REVOKED")
    );
    for (name, role) in [("ops", "admin"), ("auditor", "viewer"), ("clerk", "issuer")] {
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().nth(1) == Some(name)
                    && l.split_whitespace().nth(2) == Some(role)),
            "{name} {role} in {listed}"
        );
    }
    for secret in [&admin, &viewer, &issuer] {
        assert!(!listed.contains(secret.as_str()), "no secret listed");
        assert!(
            !listed.contains(&secret[3..13]),
            "no part of a secret listed"
        );
    }
    let ambiguous = token_cmd(&config, &["revoke", "clerk"]);
    assert!(!ambiguous.status.success());
    let err = text(&ambiguous.stderr);
    assert!(err.contains("several tokens are named \"clerk\""), "{err}");
    let clerk_ids: Vec<&str> = lines
        .iter()
        .filter(|l| l.split_whitespace().nth(1) == Some("clerk"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(clerk_ids.len(), 2);
    for id in &clerk_ids {
        assert!(err.contains(id), "{err} names {id}");
    }

    let (mut child, _, _) = spawn_listening(hallmark().args(["serve", "--config", c]));
    let partner = json!({"name": "Northwind", "url": "https://northwind.example"});
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/partners",
        Some(&viewer),
        Some(&partner),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["required"], "issuer");
    assert_eq!(body["role"], "viewer");
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/tokens",
        Some(&issuer),
        Some(&json!({"name": "x", "role": "admin"})),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["required"], "admin");
    let (status, _) = http(
        port,
        "POST",
        "/api/v1/partners",
        Some(&issuer),
        Some(&partner),
    );
    assert_eq!(status, 201);
    let (status, partners) = http(port, "GET", "/api/v1/partners", Some(&viewer), None);
    assert_eq!(
        (status, partners[0]["name"].clone()),
        (200, json!("Northwind"))
    );

    // Revoked by another process while the service runs: refused at the next request.
    let revoked = token_cmd(&config, &["revoke", "auditor"]);
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    let (status, body) = http(port, "GET", "/api/v1/partners", Some(&viewer), None);
    assert_eq!(status, 401, "{body}");
    let list = text(&token_cmd(&config, &["list"]).stdout);
    let auditor = list.lines().find(|l| l.contains("auditor")).unwrap();
    assert_ne!(auditor.split_whitespace().nth(4), Some("-"), "{auditor}");
    // The admin token still works, and sees the revocation in the audit log.
    let (status, audit) = http(
        port,
        "GET",
        "/api/v1/audit?action=token.revoke",
        Some(&admin),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(audit[0]["actor"], "cli");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn roles_and_revocation_on_sqlite() {
    roles_and_revocation("sqlite:hallmark.db", "sqlite");
}

#[test]
fn roles_and_revocation_on_postgres() {
    if let Some(url) = postgres_database() {
        roles_and_revocation(&url, "pg");
    }
}
