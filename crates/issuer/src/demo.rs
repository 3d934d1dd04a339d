//! `hallmark serve --demo`: a data folder with a demo program, a fresh issuer key, a
//! configuration and a SQLite database, created when none exists, and seeded through the
//! service ([`seed`]). The demo issues as the `did:web` of its own address ([`did_web`]), as
//! production does, so its DID document is served and resolved like a real one.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hallmark_core::keys::{KeyFile, SecretKey};

use crate::program::DEMO_PROGRAM;
use crate::service::{
    ApprovalError, Issuer, NewApproval, NewPartner, PartnerError, RandomnessError, Reference,
};

/// Why a demo folder could not be made or updated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// A file or folder could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No system randomness for the key.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
}

/// Why the demo could not be seeded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// The demo partner was refused.
    #[error("the demo partner: {0}")]
    Partner(#[from] PartnerError),
    /// The demo approval was refused, or its badge not issued.
    #[error("the demo approval: {0}")]
    Approval(#[from] ApprovalError),
}

/// The demo's `base_url` for the address it listens on: `http://{listen}`, with loopback in
/// place of an unspecified address (`0.0.0.0:8080` serves badges named
/// `http://127.0.0.1:8080/…`, `[::]:8080` names `http://[::1]:8080/…`).
pub fn base_url(listen: SocketAddr) -> String {
    let mut shown = listen;
    if listen.ip().is_unspecified() {
        shown.set_ip(if listen.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    format!("http://{shown}")
}

/// The demo's issuer for the address it listens on: `did:web:` and the host and port of
/// [`base_url`], the colon percent-encoded (did:web §3.1): `127.0.0.1:8080` issues as
/// `did:web:127.0.0.1%3A8080`, resolved at `http://127.0.0.1:8080/.well-known/did.json` by a
/// verifier that allows that host over http (`hallmark verify --insecure-host`).
pub fn did_web(listen: SocketAddr) -> String {
    let base = base_url(listen);
    let host = base.strip_prefix("http://").unwrap_or(&base);
    format!("did:web:{}", host.replace(':', "%3A"))
}

/// Creates `dir` with `config.toml`, `program.toml` and `keys/issuer.json` unless
/// `config.toml` exists. `listen` is the address the demo listens on (bound already, so a
/// taken port leaves nothing behind); `base_url` follows it ([`base_url`]). Returns the
/// configuration's path and whether it was created now.
///
/// # Errors
/// [`DemoError`] naming the file that could not be written, or no randomness.
pub fn prepare(dir: &Path, listen: SocketAddr) -> Result<(PathBuf, bool), DemoError> {
    let config = dir.join("config.toml");
    if config.exists() {
        return Ok((config, false));
    }
    let err = |path: &Path, source| DemoError::Write {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir.join("keys")).map_err(|e| err(dir, e))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(RandomnessError)?;
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
    let did = did_web(listen);
    let base_url = base_url(listen);
    let text = format!(
        r#"# Hallmark issuer configuration (created by `hallmark serve --demo`).
# The demo issues as the did:web of its address; a real deployment uses its own domain and
# https (README: Production).
issuer_id = "{did}"
issuer_name = "Acme Cloud Partner Program (demo)"
issuer_url = "https://acme.example"
base_url = "{base_url}"
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

/// Makes an existing demo configuration follow the address it now listens on (`--listen`,
/// `HALLMARK_LISTEN`): when `config.toml` still has the demo's own `base_url` for its
/// `listen` ([`base_url`]) and `listen` is not `now`, both lines are rewritten for `now`, and
/// `issuer_id` too when it is the demo's own did:web ([`did_web`]) (atomically: a new file
/// renamed over the old). A configuration whose `base_url` was changed by hand is left
/// alone. Returns the old and new `base_url` when it changed.
///
/// Badges issued before keep the old address in their ids and status list URLs.
///
/// # Errors
/// [`DemoError`] naming the file that could not be read or written.
pub fn follow_listen(
    config: &Path,
    now: SocketAddr,
) -> Result<Option<(String, String)>, DemoError> {
    let text = std::fs::read_to_string(config).map_err(|source| DemoError::Read {
        path: config.to_owned(),
        source,
    })?;
    let value = |key: &str| {
        let quoted = text.lines().find_map(|line| value_of(line, key))?;
        quoted.strip_prefix('"')?.strip_suffix('"')
    };
    let (Some(listen), Some(old)) = (value("listen"), value("base_url")) else {
        return Ok(None);
    };
    let Ok(was) = listen.parse::<SocketAddr>() else {
        return Ok(None);
    };
    let new = base_url(now);
    if old != base_url(was) || old == new {
        return Ok(None);
    }
    let mut rewritten = String::with_capacity(text.len() + 16);
    for line in text.lines() {
        if value_of(line, "listen").is_some() {
            rewritten.push_str(&format!("listen = \"{now}\""));
        } else if value_of(line, "base_url").is_some() {
            rewritten.push_str(&format!("base_url = \"{new}\""));
        } else if value_of(line, "issuer_id").is_some()
            && value("issuer_id") == Some(did_web(was).as_str())
        {
            rewritten.push_str(&format!("issuer_id = \"{}\"", did_web(now)));
        } else {
            rewritten.push_str(line);
        }
        rewritten.push('\n');
    }
    let temporary = config.with_extension("toml.new");
    std::fs::write(&temporary, rewritten)
        .and_then(|()| std::fs::rename(&temporary, config))
        .map_err(|source| DemoError::Write {
            path: config.to_owned(),
            source,
        })?;
    Ok(Some((old.to_owned(), new)))
}

/// Whether `line` sets `key` (`key = …`), and to what.
fn value_of<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    Some(
        line.strip_prefix(key)?
            .trim_start()
            .strip_prefix('=')?
            .trim(),
    )
}

/// Seeds a new demo through the service, as `actor` (the audit log's name for it): a partner
/// with a Gold approval and its badge, and two more partners (Silver sales, Registered
/// delivery) so the directory shows some variety; all three listed. Returns the Gold
/// badge's URL.
///
/// # Errors
/// [`SeedError`]: the partner or the approval was refused.
pub async fn seed(issuer: &Issuer, actor: &str) -> Result<String, SeedError> {
    let partner = issuer
        .create_partner(
            actor,
            &NewPartner {
                name: "Northwind Consulting".into(),
                url: "https://northwind.example".into(),
                listed: true,
                contacts: Vec::new(),
            },
        )
        .await?;
    let reference = |name: &str, description: &str, genre: Option<&str>, public| Reference {
        name: name.into(),
        description: description.into(),
        genre: genre.unwrap_or("Customer reference").into(),
        validated: true,
        public,
    };
    let approval = NewApproval {
        partner_id: partner.id,
        tier: "gold".into(),
        role: "solutions".into(),
        competencies: ["CLOUD-FUND", "CLOUD-ARCH", "SEC-IAM", "DATA-MIG", "DEVOPS"]
            .map(String::from)
            .to_vec(),
        exam_score: Some(87),
        demo_level: Some("Advanced".into()),
        approver: "Demo Program Manager".into(),
        references: vec![
            reference(
                "Contoso Retail platform migration",
                "40 TB and 120 services moved with zero downtime.",
                None,
                true,
            ),
            reference(
                "Fabrikam Health security review",
                "IAM design for a regulated workload.",
                Some("Audited artifact"),
                true,
            ),
            reference("Confidential banking reference", "", None, false),
        ],
        approved_at: None,
        renewal: None,
        specialization: None,
    };
    let approved = issuer.approve(actor, &approval).await?;
    let more = [
        (
            "Contoso Cloud Services",
            "https://contoso.example",
            "silver",
            "sales",
            &["CLOUD-FUND", "CLOUD-ARCH", "VALUE-SELL"][..],
            Some(76),
            1,
        ),
        (
            "Fabrikam Digital",
            "https://fabrikam.example",
            "registered",
            "delivery",
            &["CLOUD-FUND", "DEVOPS"][..],
            None,
            0,
        ),
    ];
    for (name, url, tier, role, codes, exam_score, references) in more {
        let partner = issuer
            .create_partner(
                actor,
                &NewPartner {
                    name: name.into(),
                    url: url.into(),
                    listed: true,
                    contacts: Vec::new(),
                },
            )
            .await?;
        let approval = NewApproval {
            partner_id: partner.id,
            tier: tier.into(),
            role: role.into(),
            competencies: codes.iter().map(|c| (*c).to_owned()).collect(),
            exam_score,
            demo_level: None,
            approver: "Demo Program Manager".into(),
            references: (0..references)
                .map(|i| {
                    reference(
                        &format!("{name} customer reference {}", i + 1),
                        "A validated customer project.",
                        None,
                        true,
                    )
                })
                .collect(),
            approved_at: None,
            renewal: None,
            specialization: None,
        };
        issuer.approve(actor, &approval).await?;
    }
    Ok(issuer.credential_url(&approved.credential.row.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_names_loopback_for_an_unspecified_address() {
        let url = |a: &str| base_url(a.parse().unwrap());
        assert_eq!(url("127.0.0.1:9000"), "http://127.0.0.1:9000");
        assert_eq!(url("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(url("[::]:8080"), "http://[::1]:8080");
        assert_eq!(url("192.0.2.7:80"), "http://192.0.2.7:80");
    }

    #[test]
    fn the_demo_issuer_is_the_did_web_of_its_address() {
        let did = |a: &str| did_web(a.parse().unwrap());
        assert_eq!(did("127.0.0.1:8080"), "did:web:127.0.0.1%3A8080");
        assert_eq!(did("0.0.0.0:9000"), "did:web:127.0.0.1%3A9000");
        let resolved = hallmark_core::did::did_web_url(
            &hallmark_core::did::Did::parse(&did("0.0.0.0:9000")).unwrap(),
        )
        .unwrap();
        assert_eq!(resolved, "https://127.0.0.1:9000/.well-known/did.json");
    }

    /// Only a configuration that still has the demo's own base_url follows a new address.
    #[test]
    fn follow_listen_moves_the_demo_base_url_only() {
        let dir = std::env::temp_dir().join(format!("hallmark-follow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        let demo = "issuer_id = \"did:web:127.0.0.1%3A8080\"\nissuer_name = \"Acme\"\nbase_url = \"http://127.0.0.1:8080\"\nlisten = \"127.0.0.1:8080\"\nstatus_ttl_seconds = 60\n";
        std::fs::write(&path, demo).unwrap();
        let here: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(follow_listen(&path, here).unwrap(), None);
        let there: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(
            follow_listen(&path, there).unwrap(),
            Some((
                "http://127.0.0.1:8080".to_owned(),
                "http://127.0.0.1:9000".to_owned()
            ))
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            demo.replace("8080", "9000")
        );
        // Edited by hand: left alone.
        let edited = "issuer_name = \"Acme\"\nbase_url = \"https://partners.acme.example\"\nlisten = \"127.0.0.1:8080\"\n";
        std::fs::write(&path, edited).unwrap();
        assert_eq!(follow_listen(&path, there).unwrap(), None);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
