//! The verify page (docs/design.md §5): what a customer sees after scanning a badge's QR
//! code — who holds which tier, issued by whom, until when, and one unmistakable state in
//! words and icon ([`Standing`]), then every check of the report for those who want detail.
//! The issuer's page adds the badge's links (raw JSON, QR, baked images, the embed snippet,
//! LinkedIn); the paste page of either service shows the same report without them.

use askama::Template;
use hallmark_core::report::{CheckId, Outcome, Standing};
use hallmark_core::{datetime, Report};
use time::OffsetDateTime;

use crate::i18n::Text;
use crate::page::Chrome;

/// One check, as the page lists it.
#[derive(Debug, Clone)]
pub struct CheckRow {
    /// The check's id (`proof`), for `data-check`.
    pub id: &'static str,
    /// Its name in the page's language.
    pub label: String,
    /// `passed`, `failed`, … for `data-outcome`.
    pub outcome: &'static str,
    /// The outcome in words.
    pub outcome_label: String,
    /// The spec's error code, when there is one.
    pub code: Option<&'static str>,
    /// What the pipeline said (English: the report's own words).
    pub detail: String,
}

/// What the issuer knows beside the report: links to the badge's other forms, the public
/// revocation reason, a successor.
#[derive(Debug, Clone, Default)]
pub struct IssuerLinks {
    /// The credential's URL (the verify page's own, and the raw JSON's with `Accept: application/json`).
    pub credential_url: String,
    /// The raw credential link (`{credential_url}.json` or the URL with `?format=json`).
    pub raw_url: String,
    /// `/badges/{id}/badge.svg`, absolute.
    pub embed_image_url: String,
    /// `/badges/{id}/qr.svg` and `.png`, `/badges/{id}/baked.png` and `.svg`, relative.
    pub qr_svg: String,
    /// See `qr_svg`.
    pub qr_png: String,
    /// See `qr_svg`.
    pub baked_png: String,
    /// See `qr_svg`.
    pub baked_svg: String,
    /// The public reason of a revocation or suspension.
    pub reason: Option<String>,
    /// The badge that replaces this one (an http(s) URL).
    pub successor: Option<String>,
    /// The "Add to LinkedIn" URL, when the badge is valid.
    pub linkedin: Option<String>,
}

/// The report, ready for a page in one language.
#[derive(Debug, Clone)]
pub struct ReportView {
    /// The state.
    pub standing: Standing,
    /// The state in words.
    pub word: String,
    /// A sentence saying what the state means.
    pub lead: String,
    /// When valid but no trust list vouches for the issuer (the trust check warned): a
    /// caution that anyone can sign a badge under any name.
    pub unvouched: Option<String>,
    /// The partner's display name (or id).
    pub partner: String,
    /// The partner's id, when it is an http(s) URL (shown as a link).
    pub partner_url: Option<String>,
    /// The tier's name.
    pub tier: String,
    /// The role.
    pub role: Option<String>,
    /// Competency names (with codes).
    pub competencies: Vec<String>,
    /// The issuer's name (or id).
    pub issuer: String,
    /// The issuer's DID or URL.
    pub issuer_id: String,
    /// The issuer's web domain (`did:web`), or `None` when it is only a key.
    pub issuer_domain: Option<String>,
    /// Whether the issuer is identified only by a key (`did:key`).
    pub key_only: bool,
    /// Issued, in words.
    pub issued: Option<String>,
    /// Expiry, in words.
    pub expires: Option<String>,
    /// "123 days left", when valid and expiring.
    pub time_left: Option<String>,
    /// Whether the expiry has passed.
    pub expired: bool,
    /// The expiry's label: "Expires" for a badge that is or will be valid, "Expired" once
    /// passed, a neutral "Expiry date" for one revoked, suspended or not valid.
    pub expiry_label: String,
    /// "Checked 4 December 2026, 10:00 UTC".
    pub checked: String,
    /// Every check.
    pub checks: Vec<CheckRow>,
    /// The `hallmark verify` command that checks it, when the badge has a URL.
    pub command: Option<String>,
}

impl ReportView {
    /// The view of `report`, checked at `at`, in the language of `t`.
    pub fn new(report: &Report, at: OffsetDateTime, t: Text) -> Self {
        let standing = report.standing();
        let summary = clean_summary(report.summary.clone().unwrap_or_default());
        let unnamed = || t.get("verify-unnamed").into_owned();
        let partner = summary
            .subject
            .name
            .clone()
            .or_else(|| summary.subject.id.clone())
            .unwrap_or_else(unnamed);
        let partner_url = summary.subject.id.clone().filter(|u| is_http(u));
        let tier = summary
            .tier
            .as_ref()
            .and_then(|t| t.name.clone())
            .or_else(|| summary.name.clone())
            .unwrap_or_else(unnamed);
        let issuer_id = summary.issuer.id.clone().unwrap_or_default();
        let issuer = summary
            .issuer
            .name
            .clone()
            .unwrap_or_else(|| issuer_id.clone());
        let issuer_domain = web_domain(&issuer_id);
        let key_only = issuer_id.starts_with("did:key:");
        let from = summary
            .valid_from
            .as_deref()
            .and_then(|v| datetime::parse(v).ok());
        let until = summary
            .valid_until
            .as_deref()
            .and_then(|v| datetime::parse(v).ok());
        let expired = until.is_some_and(|u| u < at);
        let expiry_label = t
            .get(match standing {
                _ if expired => "verify-expired-on",
                Standing::Valid | Standing::NotYetValid => "verify-expires",
                _ => "verify-expiry-date",
            })
            .into_owned();
        let time_left = until.filter(|_| standing == Standing::Valid).map(|u| {
            let days = (u - at).whole_days().max(0);
            t.with("verify-days-left", "days", days)
        });
        let checks = report
            .checks
            .iter()
            .map(|c| CheckRow {
                id: c.check.as_str(),
                label: t.get(check_label(c.check)).into_owned(),
                outcome: c.outcome.as_str(),
                outcome_label: t.get(outcome_label(c.outcome)).into_owned(),
                code: c.code.map(|c| c.as_str()),
                detail: c.detail.clone(),
            })
            .collect();
        let trusted = report.check(CheckId::Trust).map(|c| c.outcome) == Some(Outcome::Passed);
        let command = summary.id.as_ref().filter(|id| is_http(id)).map(|id| {
            let mut command = String::from("hallmark verify");
            // Only an issuer this service trusts is named as one to trust: the command must
            // not teach a reader to trust the key of a badge that failed here.
            if let Some(issuer) = summary
                .issuer
                .id
                .as_deref()
                .filter(|i| trusted && !i.is_empty())
            {
                command.push_str(" --trust ");
                command.push_str(&shell_word(issuer));
            }
            // The CLI fetches plain http only from a host it is told to: a local demo.
            if let Some(host) = loopback_http_host(id) {
                command.push_str(" --insecure-host ");
                command.push_str(&shell_word(&host));
            }
            command.push(' ');
            command.push_str(&shell_word(id));
            command
        });
        let outcome = |id: CheckId| report.check(id).map(|c| c.outcome);
        let only_untrusted = standing == Standing::Invalid
            && outcome(CheckId::Trust) == Some(Outcome::Failed)
            && [CheckId::Parse, CheckId::Proof, CheckId::Issuer]
                .into_iter()
                .all(|id| outcome(id) == Some(Outcome::Passed));
        let lead = if only_untrusted {
            t.with("state-untrusted-lead", "issuer", issuer.as_str())
        } else {
            t.get(&format!("state-{}-lead", standing.as_str()))
                .into_owned()
        };
        let unvouched = (standing == Standing::Valid
            && outcome(CheckId::Trust) == Some(Outcome::Warning))
        .then(|| t.with("state-unvouched", "issuer", issuer.as_str()));
        Self {
            standing,
            word: t.get(&format!("state-{}", standing.as_str())).into_owned(),
            lead,
            unvouched,
            partner,
            partner_url,
            tier,
            role: summary.role.clone(),
            competencies: summary
                .competencies
                .iter()
                .map(|c| match &c.code {
                    Some(code) => format!("{} ({code})", c.name),
                    None => c.name.clone(),
                })
                .collect(),
            issuer,
            issuer_id,
            issuer_domain,
            key_only,
            issued: from.map(|f| t.date(f)),
            expires: until.map(|u| t.date(u)),
            time_left,
            expired,
            expiry_label,
            checked: t.with(
                "verify-checked-at",
                "at",
                format!("{}, {:02}:{:02} UTC", t.date(at), at.hour(), at.minute()),
            ),
            checks,
            command,
        }
    }
}

/// What the page hands its script (web/static/verify-page.js) to verify the badge again in
/// the reader's browser (issue 16), through data attributes: the same badge, the same trust
/// list and the same hosts fetched over plain http as the server used.
#[derive(Debug, Clone, Default)]
pub struct BrowserCheck {
    /// Where the script fetches the credential's JSON (the issuer's raw JSON link).
    pub credential_url: Option<String>,
    /// The credential's text itself (a pasted badge, which has no URL).
    pub credential: Option<String>,
    /// The issuers the server trusts (DIDs or URLs); empty: none, as the server.
    pub trust: Vec<String>,
    /// `host:port` whose `https://` URLs the browser fetches over plain http, as
    /// `hallmark verify --insecure-host` (a demo issuer on loopback); empty in production.
    pub insecure_hosts: Vec<String>,
    /// The build the badge most likely needs (`"rdfc"` or `"jcs"`): the page has the browser
    /// download it while the page loads; `None`: nothing preloaded.
    pub build: Option<&'static str>,
}

impl BrowserCheck {
    /// The build a badge's `text` most likely needs: `"rdfc"` when it names eddsa-rdfc-2022
    /// anywhere (its proof; its status lists are usually signed alike), else `"jcs"`.
    pub fn build_for(text: &str) -> &'static str {
        if text.contains("eddsa-rdfc-2022") {
            "rdfc"
        } else {
            "jcs"
        }
    }
}

/// The attributes of the browser check's section, rendered by the template (escaped there).
#[derive(Debug, Clone)]
pub struct BrowserSection {
    /// The check's inputs.
    pub check: BrowserCheck,
    /// `trust` as a JSON array.
    pub trust_json: String,
    /// `insecure_hosts` as a JSON array.
    pub insecure_json: String,
    /// The texts the script shows, in the page's language, as a JSON object.
    pub texts_json: String,
}

impl BrowserSection {
    fn new(check: BrowserCheck, t: Text) -> Self {
        let words = |prefix: &str, ids: &[&str]| {
            ids.iter()
                .map(|id| {
                    let word = t.get(&format!("{prefix}-{id}")).into_owned();
                    ((*id).to_owned(), serde_json::Value::from(word))
                })
                .collect::<serde_json::Map<_, _>>()
        };
        let checks = [
            CheckId::Parse,
            CheckId::Proof,
            CheckId::Issuer,
            CheckId::Trust,
            CheckId::Validity,
            CheckId::Status,
            CheckId::Holder,
            CheckId::Challenge,
        ]
        .into_iter()
        .map(|c| {
            let word = t.get(check_label(c)).into_owned();
            (c.as_str().to_owned(), serde_json::Value::from(word))
        })
        .collect::<serde_json::Map<_, _>>();
        let texts = serde_json::json!({
            "running": t.get("browser-running"),
            "agrees": t.with("browser-agrees", "state", "{state}"),
            "agrees_detail": t.with2(
                "browser-agrees-detail",
                ("build", "{build}".into()),
                ("ms", "{ms}".into()),
            ),
            "disagrees": t.with("browser-disagrees", "state", "{state}"),
            "disagrees_detail": t.with2(
                "browser-disagrees-detail",
                ("server", "{server}".into()),
                ("build", "{build}".into()),
            ),
            "failed": t.get("browser-failed"),
            "check": t.get("verify-check"),
            "outcome": t.get("verify-outcome"),
            "detail": t.get("verify-detail"),
            "states": words("state", &["valid", "expired", "not-yet-valid", "suspended", "revoked", "invalid", "unknown"]),
            "outcomes": words("outcome", &["passed", "failed", "unknown", "warning", "skipped"]),
            "checks": checks,
            "check_other": t.get("check-other"),
        });
        let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        Self {
            trust_json: json(&check.trust),
            insecure_json: json(&check.insecure_hosts),
            texts_json: texts.to_string(),
            check,
        }
    }
}

/// The verify page: the layout, the report, and (on the issuer) the badge's links.
#[derive(Template)]
#[template(path = "verify.html")]
pub struct VerifyPage {
    /// The layout.
    pub chrome: Chrome,
    /// The texts.
    pub t: Text,
    /// The report.
    pub view: ReportView,
    /// The issuer's links, on the issuer's page.
    pub links: Option<IssuerLinks>,
    /// The embed snippet (HTML the partner pastes), on the issuer's page.
    pub snippet: Option<String>,
    /// The in-browser check's section, when this binary carries the WebAssembly builds.
    pub browser: Option<BrowserSection>,
}

impl VerifyPage {
    /// The page for `view` with optional issuer `links`.
    pub fn new(mut chrome: Chrome, view: ReportView, links: Option<IssuerLinks>) -> Self {
        let t = chrome.t;
        chrome.title = t.with2(
            "verify-title",
            ("partner", view.partner.as_str().into()),
            ("tier", view.tier.as_str().into()),
        ) + " · "
            + &view.word;
        chrome.description = format!(
            "{} {}",
            view.word,
            view.unvouched.as_deref().unwrap_or(&view.lead)
        );
        let snippet = links.as_ref().map(|l| {
            let alt = t.with2(
                "embed-alt",
                ("partner", view.partner.as_str().into()),
                ("tier", view.tier.as_str().into()),
            );
            embed_snippet(&l.credential_url, &l.embed_image_url, &alt)
        });
        Self {
            chrome,
            t,
            view,
            links,
            snippet,
            browser: None,
        }
    }

    /// The page with a section where the reader's browser verifies the badge again and says
    /// whether it agrees; unchanged when this binary has no WebAssembly builds
    /// ([`crate::browser::BUILT`]): the server's verdict alone shows.
    pub fn with_browser_check(mut self, check: BrowserCheck) -> Self {
        if crate::browser::BUILT && (check.credential_url.is_some() || check.credential.is_some()) {
            self.browser = Some(BrowserSection::new(check, self.t));
        }
        self
    }

    /// The page as HTML.
    ///
    /// # Errors
    /// A template error (none is expected: templates are checked at compile time).
    pub fn to_html(&self) -> Result<String, askama::Error> {
        self.render()
    }

    /// The page as a 200 response that no cache stores: the verdict is of this instant.
    ///
    /// # Errors
    /// As [`VerifyPage::to_html`].
    pub fn to_response(&self) -> Result<axum::response::Response, askama::Error> {
        let mut response = crate::page::html(axum::http::StatusCode::OK, self.to_html()?);
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        Ok(response)
    }
}

/// The summary without the characters that would let a name reorder or hide the text around
/// it (bidirectional controls and marks, invisible and control characters): a pasted badge
/// is anyone's, and its names are shown beside the verdict.
fn clean_summary(mut summary: hallmark_core::report::Summary) -> hallmark_core::report::Summary {
    let clean = |text: &mut Option<String>| {
        if let Some(t) = text {
            *t = clean_text(t);
        }
    };
    clean(&mut summary.name);
    clean(&mut summary.role);
    for party in [&mut summary.issuer, &mut summary.subject] {
        clean(&mut party.name);
        clean(&mut party.id);
    }
    if let Some(tier) = &mut summary.tier {
        clean(&mut tier.name);
        clean(&mut tier.id);
    }
    for c in &mut summary.competencies {
        c.name = clean_text(&c.name);
        clean(&mut c.code);
    }
    summary
}

/// `text` without control characters, bidirectional controls and marks, zero-width and other
/// invisible formatting characters, and noncharacters (the zero-width joiner and non-joiner
/// stay: many scripts need them).
pub fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            let n = u32::from(c);
            !(c.is_control()
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
                || matches!(c, '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
                || matches!(c, '\u{2060}'..='\u{2064}')
                || matches!(c, '\u{FEFF}' | '\u{00AD}' | '\u{FFF9}'..='\u{FFFB}')
                || (0xFDD0..=0xFDEF).contains(&n)
                || n & 0xFFFE == 0xFFFE)
        })
        .collect()
}

/// The snippet a partner pastes: a plain link around the live image, no script. Every value
/// is escaped for an HTML attribute here, because the snippet is HTML of its own (the page
/// escapes it once more to show it as text).
pub fn embed_snippet(verify_url: &str, image_url: &str, alt: &str) -> String {
    format!(
        "<a href=\"{}\"><img src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\"></a>",
        attr(verify_url),
        attr(image_url),
        attr(alt),
        crate::embed::WIDTH,
        crate::embed::HEIGHT
    )
}

/// Escapes text for a double-quoted HTML attribute.
pub fn attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether a URL may be rendered as a link: http or https only.
pub fn is_http(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// `host:port` of a plain-http URL on a loopback host (`127.0.0.0/8`, `[::1]`, `localhost`):
/// what `hallmark verify --insecure-host` takes for a local demo; `None` for anything else.
fn loopback_http_host(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    let loopback = match url.host()? {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(name) => name == "localhost",
    };
    loopback.then(|| {
        format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(80)
        )
    })
}

/// The web domain of a `did:web` (`did:web:example.com%3A8443:x` → `example.com:8443`).
pub fn web_domain(did: &str) -> Option<String> {
    let rest = did.strip_prefix("did:web:")?;
    let host = rest.split(':').next()?;
    (!host.is_empty()).then(|| host.replace("%3A", ":").replace("%3a", ":"))
}

/// A word quoted for a POSIX shell when it holds anything but safe characters.
fn shell_word(word: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/%@+=".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn check_label(id: CheckId) -> &'static str {
    match id {
        CheckId::Parse => "check-parse",
        CheckId::Proof => "check-proof",
        CheckId::Issuer => "check-issuer",
        CheckId::Trust => "check-trust",
        CheckId::Validity => "check-validity",
        CheckId::Status => "check-status",
        CheckId::Holder => "check-holder",
        CheckId::Challenge => "check-challenge",
        _ => "check-other",
    }
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "outcome-passed",
        Outcome::Failed => "outcome-failed",
        Outcome::Unknown => "outcome-unknown",
        Outcome::Warning => "outcome-warning",
        Outcome::Skipped => "outcome-skipped",
        _ => "outcome-unknown",
    }
}

/// What LinkedIn's "Add to profile" form is pre-filled with (its `startTask=CERTIFICATION_NAME`
/// URL parameters).
#[derive(Debug, Clone)]
pub struct LinkedIn<'a> {
    /// The certification's name (the tier).
    pub name: &'a str,
    /// The agency's LinkedIn organization id, when configured.
    pub organization_id: Option<&'a str>,
    /// The agency's name, used when there is no organization id.
    pub organization_name: &'a str,
    /// Issue date.
    pub issued: OffsetDateTime,
    /// Expiry.
    pub expires: Option<OffsetDateTime>,
    /// The verify page's URL.
    pub cert_url: &'a str,
    /// The credential's id at the issuer.
    pub cert_id: &'a str,
}

impl LinkedIn<'_> {
    /// The `https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&…` URL, every
    /// value percent-encoded.
    pub fn url(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("startTask", "CERTIFICATION_NAME");
        query.append_pair("name", self.name);
        match self.organization_id {
            Some(id) => query.append_pair("organizationId", id),
            None => query.append_pair("organizationName", self.organization_name),
        };
        query.append_pair("issueYear", &self.issued.year().to_string());
        query.append_pair("issueMonth", &u8::from(self.issued.month()).to_string());
        if let Some(expires) = self.expires {
            query.append_pair("expirationYear", &expires.year().to_string());
            query.append_pair("expirationMonth", &u8::from(expires.month()).to_string());
        }
        query.append_pair("certUrl", self.cert_url);
        query.append_pair("certId", self.cert_id);
        format!("https://www.linkedin.com/profile/add?{}", query.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linkedin_link_carries_every_field_encoded() {
        let link = LinkedIn {
            name: "Gold Partner & Co",
            organization_id: None,
            organization_name: "Acme Cloud",
            issued: time::macros::datetime!(2026-03-05 10:00 UTC),
            expires: Some(time::macros::datetime!(2027-03-05 10:00 UTC)),
            cert_url: "https://agency.example/credentials/abc",
            cert_id: "abc",
        };
        assert_eq!(
            link.url(),
            "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Gold+Partner+%26+Co&organizationName=Acme+Cloud&issueYear=2026&issueMonth=3&expirationYear=2027&expirationMonth=3&certUrl=https%3A%2F%2Fagency.example%2Fcredentials%2Fabc&certId=abc"
        );
        let with_id = LinkedIn {
            organization_id: Some("1234"),
            ..link
        };
        assert!(with_id.url().contains("&organizationId=1234&"));
        assert!(!with_id.url().contains("organizationName"));
    }

    #[test]
    fn snippets_escape_their_attributes() {
        let s = embed_snippet(
            "https://a.example/credentials/1",
            "https://a.example/badges/1/badge.svg",
            "\"><script>alert(1)</script>",
        );
        assert!(!s.contains("<script>"), "{s}");
        assert!(
            s.contains("alt=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
            "{s}"
        );
    }

    #[test]
    fn names_lose_what_would_reorder_or_hide_text() {
        assert_eq!(clean_text("Agency \u{202E}ycnega"), "Agency ycnega");
        assert_eq!(clean_text("a\u{200B}b\u{2066}c\u{FFFE}d\u{0}e"), "abcde");
        // Joiners that scripts need stay.
        assert_eq!(clean_text("क्\u{200D}ष"), "क्\u{200D}ष");
    }

    /// A credential id is anyone's text: the command shown must not run a second one when
    /// pasted into a shell (attacker check).
    #[test]
    fn the_command_quotes_what_a_shell_would_read() {
        use hallmark_core::report::{Party, Summary};
        let report = Report {
            checks: Vec::new(),
            summary: Some(Summary {
                id: Some("https://x.example/c;touch${IFS}/tmp/x;#".into()),
                issuer: Party {
                    id: Some("did:key:z6Mk".into()),
                    name: Some("Acme \u{202E}ycnega".into()),
                },
                ..Summary::default()
            }),
        };
        let view = ReportView::new(&report, OffsetDateTime::UNIX_EPOCH, Text::default());
        assert_eq!(
            view.command.as_deref(),
            Some("hallmark verify 'https://x.example/c;touch${IFS}/tmp/x;#'")
        );
        assert_eq!(view.issuer, "Acme ycnega");
        // Not trusted here: the command does not name its key as one to trust.
        assert!(!view.command.as_deref().unwrap().contains("--trust"));
        assert_eq!(
            loopback_http_host("http://127.0.0.1:8080/credentials/x").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            loopback_http_host("http://localhost/c").as_deref(),
            Some("localhost:80")
        );
        assert_eq!(
            loopback_http_host("http://[::1]:9/c").as_deref(),
            Some("[::1]:9")
        );
        assert_eq!(loopback_http_host("http://a.example/c"), None);
        assert_eq!(loopback_http_host("https://127.0.0.1/c"), None);
    }

    /// The browser check's inputs are anyone's text (a pasted badge): escaped into data
    /// attributes, never script; no section nor script without the WebAssembly builds.
    #[test]
    fn the_browser_check_hands_its_inputs_escaped_and_only_when_built() {
        let report = Report {
            checks: Vec::new(),
            summary: None,
        };
        let t = Text::default();
        let view = ReportView::new(&report, OffsetDateTime::UNIX_EPOCH, t);
        let chrome = Chrome::new(t, String::new(), String::new(), "/verify");
        let page = VerifyPage::new(chrome, view, None).with_browser_check(BrowserCheck {
            credential: Some("{\"name\": \"\"><script>alert(1)</script>\"}".into()),
            trust: vec!["did:web:a.example".into()],
            insecure_hosts: vec!["127.0.0.1:8080".into()],
            ..BrowserCheck::default()
        });
        let html = page.to_html().unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert_eq!(html.contains("id=\"browser-check\""), crate::browser::BUILT);
        assert_eq!(
            html.contains("<script type=\"module\" src=\"/assets/verify-page.js\">"),
            crate::browser::BUILT
        );
        if crate::browser::BUILT {
            assert!(
                html.contains("data-trust=\"[&#34;did:web:a.example&#34;]\""),
                "{html}"
            );
            assert!(html.contains("data-insecure-hosts=\"[&#34;127.0.0.1:8080&#34;]\""));
        }
    }

    #[test]
    fn only_http_urls_are_links_and_did_web_names_its_domain() {
        assert!(is_http("https://x.example"));
        assert!(is_http("HTTP://x.example"));
        assert!(!is_http("javascript:alert(1)"));
        assert!(!is_http("data:text/html,x"));
        assert_eq!(
            web_domain("did:web:agency.example").as_deref(),
            Some("agency.example")
        );
        assert_eq!(
            web_domain("did:web:localhost%3A8443:x").as_deref(),
            Some("localhost:8443")
        );
        assert_eq!(web_domain("did:key:z6Mk"), None);
        assert_eq!(shell_word("did:key:z6Mk"), "did:key:z6Mk");
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
    }
}
