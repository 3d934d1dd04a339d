//! Vendors' claims for `hallmark verify --claims FILE.csv` (issue 17): the claims file, and
//! the checks of one claim against a verified badge — is the badge the vendor's, at the tier
//! it claims (or higher, by the issuer's published program), from the issuer it names, for the
//! role it names, and not superseded.
//!
//! Everything here is pure: the badge's report, the issuer's program and the badge's
//! "message" statuses are read by the caller (`crate::batch`) and handed in.

use std::path::Path;

use hallmark_core::report::{CheckId, Outcome, Report};
use hallmark_core::Standing;

use crate::error::CliError;

/// The largest claims file read.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The most claims a file may hold: every row's badge is held in memory for the run.
pub const MAX_CLAIMS: usize = 100_000;

/// One vendor's claim: a row of the claims file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The vendor's name, as the buyer wrote it.
    pub vendor: String,
    /// The vendor's web site (or DID): the badge's subject must be it.
    pub vendor_url: String,
    /// The tier the vendor claims (a tier's name or slug: `Gold`, `gold`).
    pub claimed_tier: String,
    /// The issuer the buyer expects: a DID, or the issuer's https URL.
    pub expected_issuer: Option<String>,
    /// The role the badge must certify (`sales`, `solutions`, …).
    pub role: Option<String>,
}

/// A data row of the claims file: its number (1-based, header excluded), the badge as written
/// and resolved (a URL, or a path relative to the file's folder), and the claim; or why the
/// row cannot be checked (an empty badge, a URL that is not http(s)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRow {
    /// The data row, 1-based.
    pub row: usize,
    /// The badge: an http(s) URL or a path.
    pub badge: String,
    /// The claim, or what is wrong with the row.
    pub claim: Result<Claim, String>,
    /// The vendor's name, even when the row is wrong (for the report).
    pub vendor: String,
}

/// The columns of a claims file.
const REQUIRED: [&str; 4] = ["vendor", "vendor_url", "claimed_tier", "badge"];
const OPTIONAL: [&str; 2] = ["expected_issuer", "role"];

/// Reads a claims file.
///
/// # Errors
/// [`CliError::Read`] when it cannot be read; [`CliError::Usage`] (`--claims`) for a file
/// that is not CSV, an empty file, or a header with unknown, duplicate or missing columns.
pub fn read_claims(path: &Path) -> Result<Vec<ClaimRow>, CliError> {
    let read = |source| CliError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(usage(format!(
            "{} is {} bytes; a claims file may have at most {MAX_FILE_BYTES}",
            path.display(),
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(read)?;
    let base = path.parent().unwrap_or_else(|| Path::new(""));
    let (rows, ignored) =
        parse_claims(&bytes, base).map_err(|m| usage(format!("{}: {m}", path.display())))?;
    if !ignored.is_empty() {
        // Spreadsheets carry notes and owners; a misspelt optional column would be ignored
        // too, so each is named.
        eprintln!(
            "note: {}: ignoring the column{} {} (the columns read: {}, {})",
            path.display(),
            if ignored.len() == 1 { "" } else { "s" },
            ignored
                .iter()
                .map(|c| format!("{c:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            REQUIRED.join(", "),
            OPTIONAL.join(", ")
        );
    }
    Ok(rows)
}

fn usage(message: String) -> CliError {
    CliError::Usage {
        flag: "--claims",
        message,
    }
}

/// The rows of a claims file's bytes, and the header's columns it does not read (ignored);
/// relative badge paths are taken from `base`.
fn parse_claims(bytes: &[u8], base: &Path) -> Result<(Vec<ClaimRow>, Vec<String>), String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(format!("the header row: {e}")),
        None => {
            return Err(format!(
                "the file is empty: it needs a header row ({}) and one claim a row",
                REQUIRED.join(",")
            ))
        }
    };
    // Each header cell's column, `""` for one not read (kept in place for the positions).
    let mut columns: Vec<&'static str> = Vec::new();
    let mut ignored = Vec::new();
    for name in &header {
        let name = name.trim().to_ascii_lowercase();
        let Some(known) = REQUIRED.iter().chain(&OPTIONAL).find(|c| **c == name) else {
            // A header cell may be megabytes long: the note names its start.
            let name: String = match name.char_indices().nth(64) {
                Some((at, _)) => format!("{}…", &name[..at]),
                None => name,
            };
            ignored.push(name);
            columns.push("");
            continue;
        };
        if columns.contains(known) {
            return Err(format!("the column {name:?} appears twice in the header"));
        }
        columns.push(known);
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !columns.contains(c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the header has no {} column{}",
            missing.join(", "),
            if missing.len() == 1 { "" } else { "s" }
        ));
    }
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| format!("row {}: {e}", rows.len() + 1))?;
        // A blank line is no row.
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |name: &str| {
            columns
                .iter()
                .position(|c| *c == name)
                .and_then(|i| record.get(i))
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        };
        let optional = |name: &str| Some(cell(name)).filter(|v| !v.is_empty());
        let row = rows.len() + 1;
        if row > MAX_CLAIMS {
            return Err(format!(
                "more than {MAX_CLAIMS} claims; split the file into smaller ones"
            ));
        }
        let badge = cell("badge");
        let vendor = cell("vendor");
        let claim = (|| {
            for name in REQUIRED {
                if cell(name).is_empty() {
                    return Err(format!("row {row}: the {name} cell is empty"));
                }
            }
            Ok(Claim {
                vendor: vendor.clone(),
                vendor_url: cell("vendor_url"),
                claimed_tier: cell("claimed_tier"),
                expected_issuer: optional("expected_issuer"),
                role: optional("role"),
            })
        })();
        let (badge, claim) = match (resolve_badge(&badge, base), claim) {
            (Ok(b), claim) => (b, claim),
            (Err(e), Ok(_)) => (badge, Err(format!("row {row}: {e}"))),
            (Err(_), Err(e)) => (badge, Err(e)),
        };
        rows.push(ClaimRow {
            row,
            badge,
            claim,
            vendor,
        });
    }
    if rows.is_empty() {
        return Err("no claims after the header row".into());
    }
    Ok((rows, ignored))
}

/// A badge cell as an input: an http(s) URL as it is, a path relative to `base`.
fn resolve_badge(badge: &str, base: &Path) -> Result<String, String> {
    if badge.is_empty() {
        return Err("the badge cell is empty".into());
    }
    match crate::verify::url_input(badge) {
        Ok(Some(url)) => url::Url::parse(&url)
            .map(|_| url)
            .map_err(|e| format!("the badge {badge:?} is not a valid URL: {e}")),
        // `-` in a claims file is a file of that name, never standard input.
        Ok(None) if badge == "-" && base.as_os_str().is_empty() => Ok("./-".into()),
        Ok(None) => {
            let path = Path::new(badge);
            Ok(if path.is_absolute() || base.as_os_str().is_empty() {
                badge.to_owned()
            } else {
                base.join(path).to_string_lossy().into_owned()
            })
        }
        Err(e) => Err(e.to_string()),
    }
}

/// A claim check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// It holds.
    Passed,
    /// It does not.
    Failed,
    /// It could not be decided (e.g. the issuer's program could not be read).
    Unknown,
    /// Not asked for (no expected issuer or role given).
    Skipped,
}

impl ClaimOutcome {
    /// As written in JSON and the reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::Skipped => "skipped",
        }
    }
}

/// One claim check: `verdict`, `subject`, `tier`, `issuer`, `role` or `superseded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimCheck {
    /// Which check.
    pub id: &'static str,
    /// What it concluded.
    pub outcome: ClaimOutcome,
    /// Why, for people.
    pub detail: String,
}

/// A claim's result: met only when every claim check passed (skipped ones aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimResult {
    /// Every check passed or was skipped.
    pub met: bool,
    /// The details of the checks that failed or stayed unknown, in check order.
    pub reasons: Vec<String>,
    /// Every check.
    pub checks: Vec<ClaimCheck>,
}

impl ClaimResult {
    /// `{"met", "reasons", "checks": [{"id", "outcome", "detail"}]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "met": self.met,
            "reasons": self.reasons,
            "checks": self.checks.iter().map(|c| serde_json::json!({
                "id": c.id, "outcome": c.outcome.as_str(), "detail": c.detail,
            })).collect::<Vec<_>>(),
        })
    }
}

/// A tier of an issuer's published program (`GET {base}/program`, `program.tiers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// `{base}/program/tiers/{slug}`.
    pub id: String,
    /// `Gold`.
    pub name: String,
    /// Higher is a higher tier.
    pub rank: i64,
}

/// The tiers of an issuer's program profile (the JSON of `GET {base}/program`).
///
/// # Errors
/// What is missing, when the document has no `program.tiers` array of `{id, name, rank}`.
pub fn program_tiers(bytes: &[u8]) -> Result<Vec<Tier>, String> {
    let value = hallmark_core::json::parse(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let tiers = value["program"]["tiers"]
        .as_array()
        .ok_or("it has no program.tiers list")?;
    tiers
        .iter()
        .map(|t| {
            Some(Tier {
                id: t["id"].as_str()?.to_owned(),
                name: t["name"].as_str()?.to_owned(),
                rank: t["rank"].as_i64()?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| "a tier has no id, name or whole-number rank".into())
}

/// The URL of the program a badge's tier belongs to: its achievement id up to `/program`,
/// when that is on the `did:web` issuer's own host (the issuer's word on its own program);
/// `None` otherwise (a `did:key` issuer, another host).
pub fn program_url(achievement_id: &str, issuer: &str) -> Option<String> {
    let authority = crate::verify::did_web_authority(issuer)?;
    let url = url::Url::parse(achievement_id).ok()?;
    if !matches!(url.scheme(), "https" | "http") || crate::verify::authority(&url) != authority {
        return None;
    }
    let at = achievement_id.find("/program/")?;
    Some(achievement_id[..at + "/program".len()].to_owned())
}

/// What a claim is checked against.
#[derive(Debug)]
pub struct Evidence<'a> {
    /// The badge's verification.
    pub report: &'a Report,
    /// The issuer's program: `None` when there is none to read (a `did:key` issuer, a tier
    /// off the issuer's host); `Err` when it could not be read.
    pub program: Option<Result<&'a [Tier], String>>,
    /// The badge's "message" statuses (value's text, `None` when unread), in order.
    pub messages: Vec<Option<String>>,
    /// The badge that replaced it, as its issuer names it.
    pub successor: Option<String>,
}

/// Checks `claim` against a badge.
pub fn check_claim(claim: &Claim, evidence: &Evidence<'_>) -> ClaimResult {
    let report = evidence.report;
    let summary = report.summary.as_ref();
    let mut checks = vec![verdict_check(report)];
    checks.push(subject_check(
        &claim.vendor_url,
        summary.and_then(|s| s.subject.id.as_deref()),
    ));
    checks.push(tier_check(
        &claim.claimed_tier,
        summary.and_then(|s| s.tier.as_ref()),
        evidence.program.as_ref(),
    ));
    let issuer = summary.and_then(|s| s.issuer.id.as_deref());
    checks.push(match &claim.expected_issuer {
        None => trusted_issuer_check(report, issuer),
        Some(expected) => issuer_check(expected, issuer),
    });
    checks.push(match &claim.role {
        None => skipped("role", "no role given"),
        Some(role) => role_check(role, summary.and_then(|s| s.role.as_deref())),
    });
    checks.push(superseded_check(
        &evidence.messages,
        evidence.successor.as_deref(),
    ));
    // "superseded" says more than the "revoked" verdict it comes with: it leads.
    let superseded = checks
        .iter()
        .filter(|c| c.id == "superseded" && c.outcome == ClaimOutcome::Failed);
    let others = checks.iter().filter(|c| {
        matches!(c.outcome, ClaimOutcome::Failed | ClaimOutcome::Unknown)
            && !(c.id == "superseded" && c.outcome == ClaimOutcome::Failed)
    });
    let reasons = superseded
        .chain(others)
        .map(|c| c.detail.clone())
        .collect::<Vec<_>>();
    ClaimResult {
        met: reasons.is_empty(),
        reasons,
        checks,
    }
}

fn check(id: &'static str, outcome: ClaimOutcome, detail: impl Into<String>) -> ClaimCheck {
    ClaimCheck {
        id,
        outcome,
        detail: detail.into(),
    }
}

fn skipped(id: &'static str, detail: &str) -> ClaimCheck {
    check(id, ClaimOutcome::Skipped, detail)
}

/// The verdict in words: `valid`, `revoked`, `invalid: <first problem>`, ….
pub fn verdict_words(report: &Report) -> String {
    let standing = report.standing();
    let first = report
        .first_problem()
        .map(|c| format!("{}: {}", c.check, c.detail));
    match (standing, first) {
        (Standing::Invalid | Standing::Unknown, Some(why)) => {
            format!("{}: {why}", standing.as_str())
        }
        _ => standing.as_str().to_owned(),
    }
}

fn verdict_check(report: &Report) -> ClaimCheck {
    if report.standing() == Standing::Valid {
        check("verdict", ClaimOutcome::Passed, "the badge verified")
    } else {
        check("verdict", ClaimOutcome::Failed, verdict_words(report))
    }
}

/// A host without a leading `www.`, in lower case.
fn bare_host(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host.strip_prefix("www.").unwrap_or(&host).to_owned()
}

/// The host a vendor URL or subject names: an http(s) URL's (a bare `acme.example` read as
/// `https://acme.example`), a did:web's; `None` for anything else.
fn host_of(text: &str) -> Option<String> {
    if text.starts_with("did:web:") {
        // Read as the URL it resolves at (did:web §3.2): `did:web:vendor.example%3A1@evil.test`
        // is https://vendor.example:1@evil.test/, evil.test's.
        let authority = crate::verify::did_web_authority(text)?;
        return host_of(&format!("https://{authority}/"));
    }
    if text.starts_with("did:") {
        return None;
    }
    let url = if text.contains("://") {
        url::Url::parse(text).ok()?
    } else {
        url::Url::parse(&format!("https://{text}")).ok()?
    };
    // `https://vendor.example@evil.test` is evil.test's: user info only misleads people.
    if !matches!(url.scheme(), "https" | "http")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return None;
    }
    url.host_str().map(bare_host)
}

fn subject_check(vendor_url: &str, subject: Option<&str>) -> ClaimCheck {
    let id = "subject";
    let Some(subject) = subject else {
        return check(id, ClaimOutcome::Failed, "the badge names no subject");
    };
    if vendor_url.starts_with("did:") && !vendor_url.starts_with("did:web:") {
        return if subject == vendor_url {
            check(
                id,
                ClaimOutcome::Passed,
                format!("the badge is {subject}'s"),
            )
        } else {
            check(
                id,
                ClaimOutcome::Failed,
                format!("the badge is for {subject}, not for {vendor_url}"),
            )
        };
    }
    let Some(vendor) = host_of(vendor_url) else {
        return check(
            id,
            ClaimOutcome::Failed,
            format!(
                "the vendor URL {vendor_url:?} is neither an https URL (without user info) nor a DID"
            ),
        );
    };
    match host_of(subject) {
        Some(host) if host == vendor => check(
            id,
            ClaimOutcome::Passed,
            format!("the badge is for {subject}, the vendor's {vendor}"),
        ),
        _ => check(
            id,
            ClaimOutcome::Failed,
            format!("the badge is for {subject}, not for the vendor's {vendor}"),
        ),
    }
}

/// The last path segment of a tier's id (`…/program/tiers/gold` → `gold`).
fn slug(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

fn tier_check(
    claimed: &str,
    tier: Option<&hallmark_core::report::Party>,
    program: Option<&Result<&[Tier], String>>,
) -> ClaimCheck {
    let id = "tier";
    let Some(tier) = tier else {
        return check(id, ClaimOutcome::Failed, "the badge names no tier");
    };
    let held_id = tier.id.as_deref().unwrap_or_default();
    let held = tier
        .name
        .clone()
        .unwrap_or_else(|| slug(held_id).to_owned());
    // A specialization is no tier, whatever it is called (`…/program/specializations/gold`).
    if held_id.contains("/program/specializations/") {
        return check(
            id,
            ClaimOutcome::Failed,
            format!("the badge certifies the specialization {held}, not a tier"),
        );
    }
    let is = |name: &str, id: &str| {
        name.eq_ignore_ascii_case(claimed)
            || (!id.is_empty() && slug(id).eq_ignore_ascii_case(claimed))
    };
    if is(&held, held_id) {
        return check(
            id,
            ClaimOutcome::Passed,
            format!("holds {held}, as claimed"),
        );
    }
    let tiers = match program {
        None => {
            return check(
                id,
                ClaimOutcome::Unknown,
                format!(
                    "holds {held}, not the claimed {claimed}; the issuer publishes no program on its own host to compare them by"
                ),
            )
        }
        Some(Err(e)) => {
            return check(
                id,
                ClaimOutcome::Unknown,
                format!(
                    "holds {held}, not the claimed {claimed}; the issuer's program could not be read: {e}"
                ),
            )
        }
        Some(Ok(tiers)) => tiers,
    };
    let Some(wanted) = tiers.iter().find(|t| is(&t.name, &t.id)) else {
        return check(
            id,
            ClaimOutcome::Failed,
            format!("holds {held}; the issuer's program has no tier {claimed}"),
        );
    };
    let Some(have) = tiers
        .iter()
        .find(|t| (!held_id.is_empty() && t.id == held_id) || t.name == held)
    else {
        return check(
            id,
            ClaimOutcome::Unknown,
            format!("holds {held}, which is not a tier of the issuer's program"),
        );
    };
    if have.rank >= wanted.rank {
        check(
            id,
            ClaimOutcome::Passed,
            format!(
                "holds {}, higher than the claimed {}",
                have.name, wanted.name
            ),
        )
    } else {
        check(
            id,
            ClaimOutcome::Failed,
            format!(
                "holds {}, lower than the claimed {}",
                have.name, wanted.name
            ),
        )
    }
}

/// The issuer check of a claim that names no expected issuer: anyone can sign a badge that
/// names a vendor (a `did:key` of its own), so the badge says who issued it only through the
/// run's trust list. Without one (or with the issuer not in it) the claim cannot be met.
fn trusted_issuer_check(report: &Report, issuer: Option<&str>) -> ClaimCheck {
    let id = "issuer";
    let Some(issuer) = issuer else {
        return check(id, ClaimOutcome::Failed, "the badge names no issuer");
    };
    match report.check(CheckId::Trust).map(|c| c.outcome) {
        Some(Outcome::Passed) => check(
            id,
            ClaimOutcome::Passed,
            format!("issued by {issuer}, in the trust list"),
        ),
        Some(Outcome::Failed) => check(
            id,
            ClaimOutcome::Failed,
            format!("issued by {issuer}, which is not in the trust list"),
        ),
        _ => check(
            id,
            ClaimOutcome::Unknown,
            format!(
                "issued by {issuer}, but no expected issuer is given and no trust list: \
                 anyone can sign a badge naming the vendor (give --trust, or an \
                 expected_issuer column)"
            ),
        ),
    }
}

/// The `did:web` DID an https issuer URL names (did:web §3.2, read backwards):
/// `https://h.example` → `did:web:h.example`, `https://h.example:8443/a/b` →
/// `did:web:h.example%3A8443:a:b`; `None` for another scheme, user info, a query or fragment.
fn did_web_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    // http too: a name compared, not fetched (the demo's issuer is http://127.0.0.1:8080).
    if !matches!(url.scheme(), "https" | "http")
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return None;
    }
    let mut did = format!("did:web:{}", url.host_str()?.to_ascii_lowercase());
    if let Some(port) = url.port() {
        did.push_str(&format!("%3A{port}"));
    }
    for segment in url.path().split('/').filter(|s| !s.is_empty()) {
        did.push(':');
        did.push_str(segment);
    }
    Some(did)
}

fn issuer_check(expected: &str, issuer: Option<&str>) -> ClaimCheck {
    let id = "issuer";
    let Some(issuer) = issuer else {
        return check(id, ClaimOutcome::Failed, "the badge names no issuer");
    };
    // An https URL names exactly one did:web — its host, port and path — never every DID on
    // the same host (`https://platform.example/issuers/a` is not `did:web:platform.example:issuers:b`).
    let normal = |did: &str| match did.strip_prefix("did:web:") {
        Some(rest) => {
            let (host, path) = rest.split_once(':').unwrap_or((rest, ""));
            let host = host.to_ascii_lowercase().replace("%3a", "%3A");
            if path.is_empty() {
                format!("did:web:{host}")
            } else {
                format!("did:web:{host}:{path}")
            }
        }
        None => did.to_owned(),
    };
    let same = expected == issuer
        || (expected.contains("://")
            && did_web_of(expected).is_some_and(|did| did == normal(issuer)));
    if same {
        check(id, ClaimOutcome::Passed, format!("issued by {issuer}"))
    } else {
        check(
            id,
            ClaimOutcome::Failed,
            format!("issued by {issuer}, not by the expected {expected}"),
        )
    }
}

fn role_check(wanted: &str, role: Option<&str>) -> ClaimCheck {
    match role {
        Some(role) if role.eq_ignore_ascii_case(wanted) => check(
            "role",
            ClaimOutcome::Passed,
            format!("certifies the {role} role"),
        ),
        Some(role) => check(
            "role",
            ClaimOutcome::Failed,
            format!("certifies the {role} role, not {wanted}"),
        ),
        None => check(
            "role",
            ClaimOutcome::Failed,
            format!("the badge names no role; {wanted} was expected"),
        ),
    }
}

fn superseded_check(messages: &[Option<String>], successor: Option<&str>) -> ClaimCheck {
    let id = "superseded";
    if messages
        .iter()
        .flatten()
        .any(|m| m.eq_ignore_ascii_case("superseded"))
    {
        let mut detail = "superseded: replaced by a renewal, upgrade or downgrade".to_owned();
        if let Some(next) = successor {
            detail.push_str(&format!("; the issuer names {next} as its successor"));
        }
        return check(id, ClaimOutcome::Failed, detail);
    }
    if messages.iter().any(Option::is_none) {
        return check(
            id,
            ClaimOutcome::Unknown,
            "the badge's message status could not be read",
        );
    }
    check(
        id,
        ClaimOutcome::Passed,
        if messages.is_empty() {
            "the badge has no message status; not marked superseded"
        } else {
            "not superseded"
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hallmark_core::report::{Party, Summary};

    fn rows(text: &str) -> Result<Vec<ClaimRow>, String> {
        parse_claims(text.as_bytes(), Path::new("dir")).map(|(rows, _)| rows)
    }

    #[test]
    fn a_claims_file_with_a_bom_crlf_quotes_and_any_column_order() {
        let text = "\u{feff} Badge ,VENDOR,vendor_url,Claimed_Tier,role\r\n\
            https://i.example/credentials/1,\"Acme, Inc.\",https://acme.example,Gold,sales\r\n\
            \r\n\
            b/2.json,\"Bee \"\"B\"\"\",https://bee.example,Silver,\r\n";
        let rows = rows(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 1);
        assert_eq!(rows[0].badge, "https://i.example/credentials/1");
        let claim = rows[0].claim.as_ref().unwrap();
        assert_eq!(claim.vendor, "Acme, Inc.");
        assert_eq!(claim.vendor_url, "https://acme.example");
        assert_eq!(claim.claimed_tier, "Gold");
        assert_eq!(claim.role.as_deref(), Some("sales"));
        assert_eq!(claim.expected_issuer, None);
        assert_eq!(rows[1].row, 2);
        assert_eq!(rows[1].badge, "dir/b/2.json");
        let claim = rows[1].claim.as_ref().unwrap();
        assert_eq!(claim.vendor, "Bee \"B\"");
        assert_eq!(claim.role, None);
    }

    #[test]
    fn a_wrong_header_is_named() {
        // Other columns (a buyer's notes) are read past, and named.
        let (read, ignored) = parse_claims(
            b"vendor,Notes,vendor_url,claimed_tier,badge\nAcme,call back,https://acme.example,gold,a.json\n",
            Path::new("dir"),
        )
        .unwrap();
        assert_eq!(ignored, ["notes"]);
        let claim = read[0].claim.as_ref().unwrap();
        assert_eq!(
            (claim.vendor.as_str(), claim.claimed_tier.as_str()),
            ("Acme", "gold")
        );
        assert_eq!(claim.vendor_url, "https://acme.example");
        let e = rows("vendor,vendor_url,claimed_tier,badge,Vendor\n").unwrap_err();
        assert!(e.contains("the column \"vendor\" appears twice"), "{e}");
        let e = rows("vendor,badge\n").unwrap_err();
        assert!(e.contains("no vendor_url, claimed_tier columns"), "{e}");
        let e = rows("").unwrap_err();
        assert!(e.contains("the file is empty"), "{e}");
        // A megabyte-long unknown column: read past, named by its start only.
        let long = format!(
            "vendor,vendor_url,claimed_tier,badge,{}\nA,https://a.example,Gold,a.json\n",
            "é".repeat(1_000_000)
        );
        let (_, ignored) = parse_claims(long.as_bytes(), Path::new("dir")).unwrap();
        assert_eq!(ignored, [format!("{}…", "é".repeat(64))]);
        let e = rows("vendor,vendor_url,claimed_tier,badge\r\n\r\n").unwrap_err();
        assert_eq!(e, "no claims after the header row");
    }

    #[test]
    fn a_wrong_row_is_a_row_with_an_error() {
        let rows = rows(
            "vendor,vendor_url,claimed_tier,badge\n\
             A,https://a.example,Gold,\n\
             B,https://b.example,Gold,ftp://x.example/b\n\
             C,,Gold,c.json\n\
             D,https://d.example,Gold\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0].claim.as_ref().unwrap_err(),
            "row 1: the badge cell is empty"
        );
        let e = rows[1].claim.as_ref().unwrap_err();
        assert!(
            e.starts_with("row 2: ") && e.contains("only https (and http)"),
            "{e}"
        );
        assert_eq!(
            rows[2].claim.as_ref().unwrap_err(),
            "row 3: the vendor_url cell is empty"
        );
        assert_eq!(
            rows[3].claim.as_ref().unwrap_err(),
            "row 4: the badge cell is empty"
        );
        assert_eq!(rows[3].vendor, "D");
    }

    #[test]
    fn a_dash_is_a_file_and_the_rows_are_bounded() {
        let head = "vendor,vendor_url,claimed_tier,badge\n";
        let row = "A,https://a.example,Gold,-\n";
        let text = format!("{head}{row}");
        let (here, _) = parse_claims(text.as_bytes(), Path::new("")).unwrap();
        assert_eq!(here[0].badge, "./-", "never standard input");
        assert_eq!(rows(&text).unwrap()[0].badge, "dir/-");
        let many = format!("{head}{}", row.repeat(MAX_CLAIMS));
        assert_eq!(rows(&many).unwrap().len(), MAX_CLAIMS);
        let more = format!("{many}{row}");
        assert_eq!(
            rows(&more).unwrap_err(),
            format!("more than {MAX_CLAIMS} claims; split the file into smaller ones")
        );
    }

    fn report(subject: &str, tier: &str, tier_id: &str, role: Option<&str>) -> Report {
        Report {
            checks: Vec::new(),
            summary: Some(Summary {
                id: None,
                name: None,
                issuer: Party {
                    id: Some("did:web:partners.issuer.example".into()),
                    name: None,
                },
                subject: Party {
                    id: Some(subject.into()),
                    name: None,
                },
                role: role.map(str::to_owned),
                tier: Some(Party {
                    id: Some(tier_id.into()),
                    name: Some(tier.into()),
                }),
                competencies: Vec::new(),
                valid_from: None,
                valid_until: None,
            }),
        }
    }

    fn claim(tier: &str) -> Claim {
        Claim {
            vendor: "Acme".into(),
            vendor_url: "https://www.Acme.example/about".into(),
            claimed_tier: tier.into(),
            expected_issuer: None,
            role: None,
        }
    }

    fn program() -> Vec<Tier> {
        [
            ("silver", "Silver", 1),
            ("gold", "Gold", 2),
            ("platinum", "Platinum", 3),
        ]
        .into_iter()
        .map(|(slug, name, rank)| Tier {
            id: format!("https://partners.issuer.example/program/tiers/{slug}"),
            name: name.into(),
            rank,
        })
        .collect()
    }

    fn outcome(result: &ClaimResult, id: &str) -> (ClaimOutcome, String) {
        let c = result.checks.iter().find(|c| c.id == id).unwrap();
        (c.outcome, c.detail.clone())
    }

    const BASE: &str = "https://partners.issuer.example/program/tiers/";

    #[test]
    fn tiers_compare_by_the_issuers_program() {
        let tiers = program();
        let with = |report: &Report, program| {
            let evidence = Evidence {
                report,
                program,
                messages: vec![],
                successor: None,
            };
            check_claim(&claim("Gold"), &evidence)
        };
        let platinum = report(
            "https://acme.example",
            "Platinum",
            &format!("{BASE}platinum"),
            None,
        );
        let r = with(&platinum, Some(Ok(&tiers)));
        assert_eq!(
            outcome(&r, "tier"),
            (
                ClaimOutcome::Passed,
                "holds Platinum, higher than the claimed Gold".into()
            )
        );
        let silver = report(
            "https://acme.example",
            "Silver",
            &format!("{BASE}silver"),
            None,
        );
        let r = with(&silver, Some(Ok(&tiers)));
        assert_eq!(
            outcome(&r, "tier"),
            (
                ClaimOutcome::Failed,
                "holds Silver, lower than the claimed Gold".into()
            )
        );
        assert!(!r.met);
        assert!(r
            .reasons
            .contains(&"holds Silver, lower than the claimed Gold".to_owned()));
        let r = with(&silver, Some(Err("HTTP 404".into())));
        assert_eq!(outcome(&r, "tier").0, ClaimOutcome::Unknown);
        assert!(outcome(&r, "tier").1.contains("HTTP 404"));
        let r = with(&silver, None);
        assert_eq!(outcome(&r, "tier").0, ClaimOutcome::Unknown);
        let gold = report(
            "https://acme.example",
            "Gold Partner",
            &format!("{BASE}gold"),
            None,
        );
        let r = with(&gold, None);
        assert_eq!(outcome(&r, "tier").0, ClaimOutcome::Passed, "by slug");
        let r = check_claim(
            &claim("Diamond"),
            &Evidence {
                report: &silver,
                program: Some(Ok(&tiers)),
                messages: vec![],
                successor: None,
            },
        );
        assert_eq!(
            outcome(&r, "tier"),
            (
                ClaimOutcome::Failed,
                "holds Silver; the issuer's program has no tier Diamond".into()
            )
        );
    }

    #[test]
    fn the_subject_issuer_role_and_supersession() {
        let mut c = claim("gold");
        let gold = report(
            "https://acme.example",
            "Gold",
            &format!("{BASE}gold"),
            Some("Sales"),
        );
        let evidence =
            |report, messages: Vec<Option<String>>, successor: Option<String>| Evidence {
                report,
                program: None,
                messages,
                successor,
            };
        let r = check_claim(&c, &evidence(&gold, vec![Some("active".into())], None));
        assert_eq!(outcome(&r, "subject").0, ClaimOutcome::Passed);
        assert_eq!(outcome(&r, "role").0, ClaimOutcome::Skipped);
        assert_eq!(outcome(&r, "superseded").0, ClaimOutcome::Passed);
        // No trust check in this report and no expected issuer: who issued it is unknown.
        assert_eq!(outcome(&r, "issuer").0, ClaimOutcome::Unknown);
        assert!(!r.met, "{r:?}");
        let trusted = with_trust(&gold, Outcome::Passed);
        let r = check_claim(&c, &evidence(&trusted, vec![Some("active".into())], None));
        assert!(r.met, "{r:?}");

        let other = report(
            "https://acme.example.evil",
            "Gold",
            &format!("{BASE}gold"),
            None,
        );
        let r = check_claim(&c, &evidence(&other, vec![], None));
        assert_eq!(
            outcome(&r, "subject"),
            (
                ClaimOutcome::Failed,
                "the badge is for https://acme.example.evil, not for the vendor's acme.example"
                    .into()
            )
        );
        let did = report("did:web:acme.example", "Gold", &format!("{BASE}gold"), None);
        assert_eq!(
            outcome(&check_claim(&c, &evidence(&did, vec![], None)), "subject").0,
            ClaimOutcome::Passed
        );

        c.expected_issuer = Some("https://partners.issuer.example".into());
        c.role = Some("sales".into());
        let r = check_claim(&c, &evidence(&gold, vec![], None));
        assert_eq!(outcome(&r, "issuer").0, ClaimOutcome::Passed);
        assert_eq!(outcome(&r, "role").0, ClaimOutcome::Passed);
        c.expected_issuer = Some("did:web:other.example".into());
        c.role = Some("delivery".into());
        let r = check_claim(&c, &evidence(&gold, vec![], None));
        assert_eq!(
            outcome(&r, "issuer"),
            (
                ClaimOutcome::Failed,
                "issued by did:web:partners.issuer.example, not by the expected did:web:other.example".into()
            )
        );
        assert_eq!(
            outcome(&r, "role"),
            (
                ClaimOutcome::Failed,
                "certifies the Sales role, not delivery".into()
            )
        );

        let r = check_claim(
            &claim("gold"),
            &evidence(
                &gold,
                vec![Some("superseded".into())],
                Some("https://i.example/c/2".into()),
            ),
        );
        assert_eq!(
            outcome(&r, "superseded"),
            (
                ClaimOutcome::Failed,
                "superseded: replaced by a renewal, upgrade or downgrade; the issuer names https://i.example/c/2 as its successor".into()
            )
        );
        let r = check_claim(&claim("gold"), &evidence(&gold, vec![None], None));
        assert_eq!(outcome(&r, "superseded").0, ClaimOutcome::Unknown);
    }

    fn with_trust(report: &Report, outcome: Outcome) -> Report {
        let mut report = report.clone();
        report.checks.push(hallmark_core::report::Check {
            check: CheckId::Trust,
            outcome,
            code: None,
            detail: String::new(),
            hint: None,
        });
        report
    }

    fn plain(report: &Report) -> Evidence<'_> {
        Evidence {
            report,
            program: None,
            messages: vec![],
            successor: None,
        }
    }

    #[test]
    fn a_self_signed_badge_meets_no_claim_without_an_expected_or_trusted_issuer() {
        // A vendor signs its own badge (any did:key) naming itself at Platinum.
        let mut own = report(
            "https://acme.example",
            "Platinum",
            "https://acme.example/program/tiers/platinum",
            None,
        );
        own.summary.as_mut().unwrap().issuer.id = Some("did:key:z6MkVendorsOwn".into());
        let c = claim("Platinum");
        let r = check_claim(&c, &plain(&own));
        assert_eq!(
            outcome(&r, "issuer"),
            (
                ClaimOutcome::Unknown,
                "issued by did:key:z6MkVendorsOwn, but no expected issuer is given and no trust \
                 list: anyone can sign a badge naming the vendor (give --trust, or an \
                 expected_issuer column)"
                    .into()
            )
        );
        assert!(!r.met);
        let warned = with_trust(&own, Outcome::Warning);
        assert_eq!(
            outcome(&check_claim(&c, &plain(&warned)), "issuer").0,
            ClaimOutcome::Unknown
        );
        let untrusted = with_trust(&own, Outcome::Failed);
        assert_eq!(
            outcome(&check_claim(&c, &plain(&untrusted)), "issuer"),
            (
                ClaimOutcome::Failed,
                "issued by did:key:z6MkVendorsOwn, which is not in the trust list".into()
            )
        );
        let trusted = with_trust(&own, Outcome::Passed);
        let r = check_claim(&c, &plain(&trusted));
        assert_eq!(outcome(&r, "issuer").0, ClaimOutcome::Passed);
        assert!(r.met, "{r:?}");
    }

    #[test]
    fn an_expected_issuer_url_names_one_did_web_not_a_host() {
        let passes = |expected: &str, issuer: &str| {
            issuer_check(expected, Some(issuer)).outcome == ClaimOutcome::Passed
        };
        assert!(passes("https://issuer.example", "did:web:issuer.example"));
        assert!(passes("https://Issuer.example/", "did:web:issuer.example"));
        assert!(passes(
            "https://platform.example/issuers/acme",
            "did:web:platform.example:issuers:acme"
        ));
        assert!(passes(
            "https://issuer.example:8443",
            "did:web:issuer.example%3a8443"
        ));
        // Another tenant of the same host, another port, a path prefix, user info.
        assert!(!passes(
            "https://platform.example/issuers/acme",
            "did:web:platform.example:issuers:evil"
        ));
        assert!(!passes(
            "https://platform.example",
            "did:web:platform.example:issuers:evil"
        ));
        assert!(!passes(
            "https://issuer.example",
            "did:web:issuer.example%3A8443"
        ));
        assert!(!passes(
            "https://issuer.example@evil.example",
            "did:web:evil.example"
        ));
        // http names the same did:web (a name compared, never fetched: the demo's issuer).
        assert!(passes("http://issuer.example", "did:web:issuer.example"));
        assert!(!passes(
            "https://issuer.example",
            "did:web:issuer.example.evil"
        ));
    }

    #[test]
    fn subjects_that_only_look_like_the_vendor_fail() {
        let with =
            |vendor_url: &str, subject: &str| subject_check(vendor_url, Some(subject)).outcome;
        for spoof in [
            "https://vendor.example.evil.test",
            "https://evil.test/vendor.example",
            "https://vendor.example@evil.test",
            "https://evil.test#vendor.example",
            "https://vendor.example%2eevil.test",
            "did:web:vendor.example.evil.test",
            "did:web:vendor.example%3A443@evil.test",
            "did:web:vendor.example%3a1@evil.test:vendor",
            "did:key:z6Mkvendor.example",
            "https://xn--vendor-example.test",
        ] {
            assert_eq!(
                with("https://vendor.example", spoof),
                ClaimOutcome::Failed,
                "{spoof}"
            );
        }
        for same in [
            "https://VENDOR.example.",
            "https://www.vendor.example/about",
            "did:web:vendor.example",
            "did:web:vendor.example%3A8443",
        ] {
            assert_eq!(
                with("https://vendor.example", same),
                ClaimOutcome::Passed,
                "{same}"
            );
        }
        // An IDN and its punycode are one host.
        assert_eq!(
            with("https://bücher.example", "https://xn--bcher-kva.example"),
            ClaimOutcome::Passed
        );
        // A vendor URL with user info names a host people do not read: refused.
        let c = subject_check(
            "https://vendor.example@evil.test",
            Some("https://evil.test"),
        );
        assert_eq!(c.outcome, ClaimOutcome::Failed);
        assert!(c.detail.contains("without user info"), "{}", c.detail);
    }

    #[test]
    fn a_specialization_is_no_tier() {
        let spec = report(
            "https://acme.example",
            "Platinum",
            "https://partners.issuer.example/program/specializations/platinum",
            None,
        );
        let tiers = program();
        let evidence = Evidence {
            report: &spec,
            program: Some(Ok(&tiers)),
            messages: vec![],
            successor: None,
        };
        let r = check_claim(&claim("Platinum"), &evidence);
        assert_eq!(
            outcome(&r, "tier"),
            (
                ClaimOutcome::Failed,
                "the badge certifies the specialization Platinum, not a tier".into()
            )
        );
    }

    #[test]
    fn programs_are_read_on_the_issuers_own_host() {
        assert_eq!(
            program_url(
                "https://partners.issuer.example/program/tiers/gold",
                "did:web:partners.issuer.example"
            )
            .as_deref(),
            Some("https://partners.issuer.example/program")
        );
        assert_eq!(
            program_url(
                "https://evil.example/program/tiers/gold",
                "did:web:partners.issuer.example"
            ),
            None
        );
        assert_eq!(
            program_url("https://i.example/program/tiers/gold", "did:key:z6Mk"),
            None
        );
        let tiers = program_tiers(
            br#"{"program": {"tiers": [{"id": "x/gold", "name": "Gold", "rank": 2}]}}"#,
        )
        .unwrap();
        assert_eq!(
            tiers,
            vec![Tier {
                id: "x/gold".into(),
                name: "Gold".into(),
                rank: 2
            }]
        );
        assert!(program_tiers(b"{}").unwrap_err().contains("program.tiers"));
    }
}
