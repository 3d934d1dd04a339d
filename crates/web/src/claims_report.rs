//! The buyer's report of `hallmark verify --claims … --report FILE.html`: one self-contained
//! page (inline style, no script, no external resource) a procurement team can attach to a
//! file — the run's time and trust list, the counts, and for every row the vendor, the badge,
//! the verdict, every check's outcome and detail, and whether the vendor's claim was met and
//! why. Every value is escaped by the template (askama's HTML escaping).

use askama::Template;

/// The report page.
#[derive(Debug, Template)]
#[template(path = "claims_report.html")]
pub struct ClaimsReportPage {
    /// When the run was made (the clock's time), RFC 3339.
    pub generated: String,
    /// The instant the run evaluated time checks at (`--at`, else the run's time), RFC 3339.
    pub at: String,
    /// The trusted issuers the run was given, each its id and name when known (a trust list
    /// file's entries, not its name); empty when none.
    pub trust: Vec<String>,
    /// Hosts fetched over plain http or on private addresses (`--insecure-host`,
    /// `--private-host`: for tests and local development), which a reader should know of.
    pub insecure: Vec<String>,
    /// The hallmark version that made the report.
    pub version: String,
    /// Rows verified.
    pub rows: usize,
    /// Rows whose badge verified.
    pub verified: usize,
    /// Claims met.
    pub met: usize,
    /// Claims not met.
    pub not_met: usize,
    /// The signed JSON report beside this page, when one was written.
    pub signed: Option<SignedReport>,
    /// Every row, in input order.
    pub items: Vec<ClaimsReportRow>,
}

/// The signed JSON report a page names, so the page can be tied to it.
#[derive(Debug, Clone)]
pub struct SignedReport {
    /// Its file name.
    pub file: String,
    /// The signer: the key's `did:key`.
    pub issuer: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct ClaimsReportRow {
    /// The CSV data row (1-based), when the row came from a claims file.
    pub row: Option<usize>,
    /// The vendor's name, when claimed.
    pub vendor: Option<String>,
    /// The vendor's URL or DID, when claimed.
    pub vendor_url: Option<String>,
    /// The tier claimed.
    pub claimed_tier: Option<String>,
    /// The badge: its URL or path as given.
    pub input: String,
    /// The verdict in one word: `valid`, `revoked`, … or `error`.
    pub verdict: String,
    /// True when the badge verified.
    pub verified: bool,
    /// The verification's checks: (check, outcome, detail).
    pub checks: Vec<(String, String, String)>,
    /// The claim's result, when the row has a claim.
    pub claim: Option<ClaimView>,
    /// Why the input could not be read, when it could not.
    pub error: Option<String>,
}

/// A claim's result on the report.
#[derive(Debug, Clone)]
pub struct ClaimView {
    /// Every claim check passed (skipped ones aside).
    pub met: bool,
    /// Why not, when not met.
    pub reasons: Vec<String>,
    /// The claim checks: (check, outcome, detail).
    pub checks: Vec<(String, String, String)>,
}

impl ClaimsReportPage {
    /// The page as HTML.
    ///
    /// # Errors
    /// [`askama::Error`] when rendering fails (it does not for these plain values).
    pub fn to_html(&self) -> Result<String, askama::Error> {
        self.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped_and_there_is_no_script() {
        let page = ClaimsReportPage {
            generated: "2026-12-05T10:00:00Z".into(),
            at: "2026-01-01T00:00:00Z".into(),
            trust: vec!["did:web:issuer.example".into()],
            insecure: vec!["127.0.0.1:<8080>".into()],
            version: "0.1.0".into(),
            rows: 1,
            verified: 0,
            met: 0,
            not_met: 1,
            signed: Some(SignedReport {
                file: "report<1>.json".into(),
                issuer: "did:key:z6Mk".into(),
                sha256: "ab".repeat(32),
            }),
            items: vec![ClaimsReportRow {
                row: Some(1),
                vendor: Some("<script>alert(1)</script>".into()),
                vendor_url: Some("https://a.example/?a=1&b=\"2\"".into()),
                claimed_tier: Some("Gold".into()),
                input: "badge.json".into(),
                verdict: "revoked".into(),
                verified: false,
                checks: vec![("status".into(), "failed".into(), "REVOKED <b>".into())],
                claim: Some(ClaimView {
                    met: false,
                    reasons: vec!["revoked".into()],
                    checks: vec![("verdict".into(), "failed".into(), "revoked".into())],
                }),
                error: None,
            }],
        };
        let html = page.to_html().unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{html}"
        );
        assert!(html.contains("REVOKED &#60;b&#62;"), "{html}");
        assert!(html.contains("did:web:issuer.example"));
        assert!(html.contains("report&#60;1&#62;.json"), "{html}");
        assert!(html.contains("127.0.0.1:&#60;8080&#62;"), "{html}");
        assert!(html.contains(&"ab".repeat(32)));
        assert!(html.contains("hallmark verify --trust did:key:z6Mk report&#60;1&#62;.json"));
        // Made today, checked as of another instant: both said.
        assert!(html.contains("2026-12-05T10:00:00Z by hallmark 0.1.0"));
        assert!(html.contains("2026-01-01T00:00:00Z (validity and status evaluated"));
    }
}
