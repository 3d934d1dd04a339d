//! `hallmark serve --demo`: a data folder with a demo program, a fresh issuer key, a
//! configuration and a SQLite database, created when none exists.

use std::io::Write;
use std::path::{Path, PathBuf};

use hallmark_core::did::Did;
use hallmark_core::keys::{KeyFile, SecretKey};

use crate::program::DEMO_PROGRAM;

/// Creates `dir` with `config.toml`, `program.toml` and `keys/issuer.json` unless
/// `config.toml` exists. Returns the configuration's path and whether it was created now.
///
/// # Errors
/// An I/O error naming the file.
pub fn prepare(dir: &Path, listen: &str) -> Result<(PathBuf, bool), String> {
    let config = dir.join("config.toml");
    if config.exists() {
        return Ok((config, false));
    }
    let err = |path: &Path, e: std::io::Error| format!("cannot write {}: {e}", path.display());
    std::fs::create_dir_all(dir.join("keys")).map_err(|e| err(dir, e))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no system randomness: {e}"))?;
    let key = KeyFile::new(SecretKey::from_seed(&seed));
    seed.fill(0);
    let key_path = dir.join("keys/issuer.json");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(&key_path)
        .and_then(|mut f| f.write_all(key.to_json().expose().as_bytes()))
        .map_err(|e| err(&key_path, e))?;
    let program = dir.join("program.toml");
    std::fs::write(&program, DEMO_PROGRAM).map_err(|e| err(&program, e))?;
    let did = Did::key(&key.public_key());
    let text = format!(
        r#"# Hallmark issuer configuration (created by `hallmark serve --demo`).
# A real deployment uses a did:web issuer on its own domain and https.
issuer_id = "{did}"
issuer_name = "Acme Cloud Partner Program (demo)"
issuer_url = "https://acme.example"
base_url = "http://{listen}"
keys_dir = "keys"
database_url = "sqlite:hallmark.db"
listen = "{listen}"
cryptosuite = "eddsa-rdfc-2022"
program = "program.toml"
status_ttl_seconds = 60
"#
    );
    std::fs::write(&config, text).map_err(|e| err(&config, e))?;
    Ok((config, true))
}

/// Seeds a new demo through the API itself: one partner and a Gold approval with its badge.
/// Returns the badge's URL.
///
/// # Errors
/// A message naming the request that failed.
pub async fn seed(state: &crate::AppState, token: &str) -> Result<String, String> {
    use tower::ServiceExt;
    let call = |path: &'static str, body: serde_json::Value| {
        let app = crate::router(state.clone());
        let request = axum::http::Request::post(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()));
        async move {
            let request = request.map_err(|e| e.to_string())?;
            let response = app.oneshot(request).await.map_err(|e| e.to_string())?;
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .map_err(|e| e.to_string())?;
            let value: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(value)
            } else {
                Err(format!("{path}: {status}: {value}"))
            }
        }
    };
    let partner = call(
        "/api/v1/partners",
        serde_json::json!({"name": "Northwind Consulting", "url": "https://northwind.example"}),
    )
    .await?;
    let approval = call(
        "/api/v1/approvals",
        serde_json::json!({
            "partner_id": partner["id"], "tier": "gold", "role": "solutions",
            "competencies": ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG", "DEVOPS"],
            "exam_score": 87, "demo_level": "Advanced", "approver": "Demo Program Manager",
            "references": [
                {"name": "Contoso Retail platform migration", "description": "40 TB and 120 services moved with zero downtime.", "validated": true, "public": true},
                {"name": "Fabrikam Health security review", "description": "IAM design for a regulated workload.", "genre": "Audited artifact", "validated": true, "public": true},
                {"name": "Confidential banking reference", "validated": true, "public": false}
            ]
        }),
    )
    .await?;
    Ok(approval["credential"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}
