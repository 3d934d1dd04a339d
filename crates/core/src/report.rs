//! The verification report (docs/design.md §3): one entry per check, in a fixed order, each
//! with an outcome, an error code from the specs and a detail for people. Every front end
//! renders this same value; its JSON form is part of the CLI and HTTP contracts.
//!
//! A credential gives a [`Report`]; a presentation gives a [`PresentationReport`]: the
//! holder's own checks and one [`Report`] per embedded credential. Both verdicts come from one
//! rule (no check `failed` or `unknown`), written once here.
//!
//! Details are sentences about the document, never about a front end: what to do about a
//! finding that depends on the front end's own flags or settings (e.g. how to trust an
//! issuer) is a typed [`Hint`] the front end words itself.

use std::fmt;

use serde::Serialize;

/// A check of the pipeline, in the order they run: a credential's ([`CheckId::ALL`]), then a
/// presentation's own ([`CheckId::PRESENTATION`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CheckId {
    /// JSON, no duplicate keys, VC 2.0 shape, known contexts.
    Parse,
    /// Every proof verifies.
    Proof,
    /// The verification method belongs to the issuer, for `assertionMethod`.
    Issuer,
    /// The issuer is in the verifier's trust list.
    Trust,
    /// `validFrom` ≤ now ≤ `validUntil`.
    Validity,
    /// Revocation and suspension status.
    Status,
    /// A presentation's proof was made by its holder, for `authentication`.
    Holder,
    /// A presentation's proof carries the challenge and domain the verifier asked for.
    Challenge,
}

impl CheckId {
    /// Every check of a credential, in pipeline order.
    pub const ALL: [CheckId; 6] = [
        Self::Parse,
        Self::Proof,
        Self::Issuer,
        Self::Trust,
        Self::Validity,
        Self::Status,
    ];

    /// The checks of a presentation's own (VC 2.0 §4.13; VC-DI §4.3), in order: its shape,
    /// the holder's proof for `authentication`, the holder binding, challenge and domain.
    /// Its credentials have their own reports.
    pub const PRESENTATION: [CheckId; 4] =
        [Self::Parse, Self::Proof, Self::Holder, Self::Challenge];

    /// The check's id as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Parse => "parse",
            Self::Proof => "proof",
            Self::Issuer => "issuer",
            Self::Trust => "trust",
            Self::Validity => "validity",
            Self::Status => "status",
            Self::Holder => "holder",
            Self::Challenge => "challenge",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Outcome {
    /// Checked and fine.
    Passed,
    /// Checked and wrong: the credential is not verified.
    Failed,
    /// Could not be decided (e.g. a document could not be fetched): not verified either.
    Unknown,
    /// Fine, with a caveat worth reading (e.g. no trust list configured).
    Warning,
    /// Not run (not asked for, or not applicable).
    Skipped,
}

impl Outcome {
    /// The outcome as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::Warning => "warning",
            Self::Skipped => "skipped",
        }
    }
}

/// Error codes of VC Data Model 2.0 §7.1, VC Data Integrity 1.0 §2.3 and Bitstring Status
/// List 1.0 §3.6, and Hallmark's own for a status that invalidates a credential (the specs
/// name none: a set revocation bit is a finding, not a processing error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The input is not well-formed.
    ParsingError,
    /// A value does not have the form its property requires.
    MalformedValueError,
    /// A value is outside its allowed range (including an expired credential).
    RangeError,
    /// A proof did not verify.
    ProofVerificationError,
    /// A proof could not be transformed (canonicalized).
    ProofTransformationError,
    /// JSON-LD processing would drop data.
    DataLossDetectionError,
    /// The verification method could not be used.
    InvalidVerificationMethod,
    /// The verification method is not authorized for the proof purpose.
    InvalidRelationshipForVerificationMethod,
    /// A status list could not be retrieved.
    StatusRetrievalError,
    /// A status list did not verify.
    StatusVerificationError,
    /// A status list is shorter than the minimum.
    StatusListLengthError,
    /// Hallmark: the credential's revocation bit is set.
    StatusRevoked,
    /// Hallmark: the credential's suspension bit is set.
    StatusSuspended,
    /// A proof's `challenge` is not the one the verifier asked for (VC-DI 1.0 §2.3).
    InvalidChallengeError,
    /// A proof's `domain` is not the one the verifier asked for (VC-DI 1.0 §2.3).
    InvalidDomainError,
}

impl ErrorCode {
    /// The code as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ParsingError => "PARSING_ERROR",
            Self::MalformedValueError => "MALFORMED_VALUE_ERROR",
            Self::RangeError => "RANGE_ERROR",
            Self::ProofVerificationError => "PROOF_VERIFICATION_ERROR",
            Self::ProofTransformationError => "PROOF_TRANSFORMATION_ERROR",
            Self::DataLossDetectionError => "DATA_LOSS_DETECTION_ERROR",
            Self::InvalidVerificationMethod => "INVALID_VERIFICATION_METHOD",
            Self::InvalidRelationshipForVerificationMethod => {
                "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"
            }
            Self::StatusRetrievalError => "STATUS_RETRIEVAL_ERROR",
            Self::StatusVerificationError => "STATUS_VERIFICATION_ERROR",
            Self::StatusListLengthError => "STATUS_LIST_LENGTH_ERROR",
            Self::StatusRevoked => "STATUS_REVOKED",
            Self::StatusSuspended => "STATUS_SUSPENDED",
            Self::InvalidChallengeError => "INVALID_CHALLENGE_ERROR",
            Self::InvalidDomainError => "INVALID_DOMAIN_ERROR",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check.
    pub check: CheckId,
    /// What it concluded.
    pub outcome: Outcome,
    /// The spec's error code when the outcome is `failed` or `unknown`.
    pub code: Option<ErrorCode>,
    /// A sentence for people: what was checked, or what is wrong. It names no front end's
    /// flags; see `hint`.
    pub detail: String,
    /// What the person could do about it, when that depends on the front end (its flags, its
    /// configuration): the front end words it. Not part of the JSON form.
    #[serde(skip)]
    pub hint: Option<Hint>,
}

/// A remedy a front end words in its own terms (a CLI flag, a configuration setting), so the
/// core's details stay the same whatever renders them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint {
    /// The issuer was not found in a trust list (the `trust` check failed), or there is no
    /// trust list (it warned): the person may add this issuer to the trust list.
    TrustIssuer {
        /// The issuer's id, as the trust list would name it.
        issuer: String,
    },
}

impl Check {
    pub(crate) fn new(
        check: CheckId,
        outcome: Outcome,
        code: Option<ErrorCode>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            check,
            outcome,
            code,
            detail: detail.into(),
            hint: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: Hint) -> Self {
        self.hint = Some(hint);
        self
    }

    /// Whether this check stands in the way of a verdict: `failed` or `unknown`.
    pub fn is_problem(&self) -> bool {
        matches!(self.outcome, Outcome::Failed | Outcome::Unknown)
    }
}

/// The verdict rule of docs/design.md §3, the one place it is written: true only when no
/// check failed or stayed unknown (every check passed, warned or was skipped).
fn verdict<'a>(checks: impl IntoIterator<Item = &'a Check>) -> bool {
    checks.into_iter().all(|c| !c.is_problem())
}

/// What a badge says, for display beside the verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The credential `id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The credential `name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The issuer's id and name.
    pub issuer: Party,
    /// The subject (the partner): id and display name.
    pub subject: Party,
    /// The certified role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The tier (the achievement): id and name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Party>,
    /// The competencies (alignments): code and name.
    pub competencies: Vec<Competency>,
    /// `validFrom` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// `validUntil` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

/// An id with an optional display name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Party {
    /// The identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A competency named by an alignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Competency {
    /// `targetCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `targetName`.
    pub name: String,
}

/// The result of verifying one credential: `verified` is true only when no check failed or
/// stayed unknown (docs/design.md §3).
///
/// The verdict is derived from the checks, here and nowhere else ([`Report::verified`]): a
/// caller that changes a check (e.g. [`Report::only`]) cannot leave a verdict that says
/// otherwise. As JSON: `{"verified": …, "checks": […], "summary": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every check, in pipeline order.
    pub checks: Vec<Check>,
    /// What the credential says, when it could be read.
    pub summary: Option<Summary>,
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            verified: bool,
            checks: &'a [Check],
            #[serde(skip_serializing_if = "Option::is_none")]
            summary: Option<&'a Summary>,
        }
        Wire {
            verified: self.verified(),
            checks: &self.checks,
            summary: self.summary.as_ref(),
        }
        .serialize(serializer)
    }
}

impl Report {
    /// The report with the front ends' hints added to the details they belong to (each once:
    /// a hint is taken as it is worded). Every front end that verifies (`hallmark verify`,
    /// `hallmark verifier serve`, the browser build) takes trusted issuers as `--trust` or its
    /// like, so they share this wording, and their reports of one badge are equal.
    #[must_use]
    pub fn with_cli_hints(mut self) -> Self {
        for check in &mut self.checks {
            if let Some(Hint::TrustIssuer { issuer }) = check.hint.take() {
                let hint = match check.outcome {
                    Outcome::Warning => format!("; add --trust {issuer} to trust it"),
                    _ => format!("; add it with --trust {issuer} if you trust it"),
                };
                check.detail.push_str(&hint);
            }
        }
        self
    }

    pub(crate) fn from_checks(checks: Vec<Check>, summary: Option<Summary>) -> Self {
        Self { checks, summary }
    }

    /// The verdict: true only when no check failed or stayed unknown (every check passed,
    /// warned or was skipped). A verifier never turns "could not tell" into "valid".
    pub fn verified(&self) -> bool {
        verdict(&self.checks)
    }

    /// Keeps the outcome of the checks in `ids` (and `parse`, which every other check
    /// needs); every other check that ran becomes `skipped`, saying it was not requested (the
    /// VC API's `options.checks`, which the W3C suites use to ask for the proof alone).
    #[must_use]
    pub fn only(mut self, ids: &[CheckId]) -> Self {
        for check in &mut self.checks {
            if check.check != CheckId::Parse
                && !ids.contains(&check.check)
                && check.outcome != Outcome::Skipped
            {
                check.outcome = Outcome::Skipped;
                check.code = None;
                check.detail = format!("not requested (options.checks); {}", check.detail);
            }
        }
        self
    }

    /// The result of one check.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.check == id)
    }

    /// The first check that failed or stayed unknown.
    pub fn first_problem(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.is_problem())
    }

    /// The one state a person is shown (the verify page, the embed image): derived from the
    /// checks, so it can never say more than the verdict. See [`Standing`] for the order.
    pub fn standing(&self) -> Standing {
        let failed = |id: CheckId| self.check(id).filter(|c| c.outcome == Outcome::Failed);
        if [
            CheckId::Parse,
            CheckId::Proof,
            CheckId::Issuer,
            CheckId::Trust,
        ]
        .into_iter()
        .any(|id| failed(id).is_some())
        {
            return Standing::Invalid;
        }
        if let Some(status) = failed(CheckId::Status) {
            match status.code {
                Some(ErrorCode::StatusRevoked) => return Standing::Revoked,
                Some(ErrorCode::StatusSuspended) => return Standing::Suspended,
                _ => {}
            }
        }
        if let Some(validity) = failed(CheckId::Validity) {
            return if validity.detail.starts_with("not yet valid") {
                Standing::NotYetValid
            } else {
                Standing::Expired
            };
        }
        if self.verified() {
            Standing::Valid
        } else {
            Standing::Unknown
        }
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The state of a badge in one word, as people are shown it ([`Report::standing`]).
///
/// The most serious finding wins: a badge that fails its proof, issuer or trust check is
/// `Invalid` whatever else it says; then a set revocation bit, then suspension, then the
/// validity window; `Valid` only when the verdict is verified; anything else (a status list
/// that could not be fetched or checked) is `Unknown` — never shown as valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// Verified: genuine, current, neither revoked nor suspended.
    Valid,
    /// Genuine, but `validUntil` has passed.
    Expired,
    /// Genuine, but `validFrom` is still ahead.
    NotYetValid,
    /// The suspension bit is set.
    Suspended,
    /// The revocation bit is set.
    Revoked,
    /// Unreadable, altered, signed by a key not the issuer's, or by an untrusted issuer.
    Invalid,
    /// Could not be decided (e.g. its status list could not be had).
    Unknown,
}

impl Standing {
    /// The state's name as written in JSON, CSS classes and message ids (`not-yet-valid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Expired => "expired",
            Self::NotYetValid => "not-yet-valid",
            Self::Suspended => "suspended",
            Self::Revoked => "revoked",
            Self::Invalid => "invalid",
            Self::Unknown => "unknown",
        }
    }
}

/// The result of verifying a presentation (VC 2.0 §4.13): its own checks
/// ([`CheckId::PRESENTATION`]) and one [`Report`] per embedded credential, in order.
///
/// `verified` is true only when no check of the presentation nor of any of its credentials
/// failed or stayed unknown: the same rule as [`Report::verified`], derived here and nowhere
/// else. As JSON (the body of the VC API's `POST /presentations/verify`, less its
/// `problemDetails`): `{"verified": …, "checks": […], "credentialResults": [report…]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentationReport {
    /// The presentation's own checks, in order. `holder` and `challenge` appear only when the
    /// presentation is signed (`holder` only when it names a holder).
    pub checks: Vec<Check>,
    /// One report per embedded credential (`verifiableCredential`), in order.
    pub credentials: Vec<Report>,
}

impl Serialize for PresentationReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            verified: bool,
            checks: &'a [Check],
            #[serde(rename = "credentialResults")]
            credential_results: &'a [Report],
        }
        Wire {
            verified: self.verified(),
            checks: &self.checks,
            credential_results: &self.credentials,
        }
        .serialize(serializer)
    }
}

impl PresentationReport {
    pub(crate) fn new(checks: Vec<Check>, credentials: Vec<Report>) -> Self {
        Self {
            checks,
            credentials,
        }
    }

    /// The verdict: true only when no check of the presentation or of its credentials failed
    /// or stayed unknown.
    pub fn verified(&self) -> bool {
        verdict(
            self.checks
                .iter()
                .chain(self.credentials.iter().flat_map(|r| &r.checks)),
        )
    }

    /// [`Report::only`] on every credential's report (the VC API's `options.checks`). The
    /// presentation's own checks always run: they are what a presentation is for.
    #[must_use]
    pub fn only(mut self, ids: &[CheckId]) -> Self {
        self.credentials = self.credentials.into_iter().map(|r| r.only(ids)).collect();
        self
    }

    /// The result of one of the presentation's own checks.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.check == id)
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(outcomes: &[(CheckId, Outcome, Option<ErrorCode>, &str)]) -> Report {
        let checks = CheckId::ALL
            .iter()
            .map(|id| {
                outcomes.iter().find(|(c, ..)| c == id).map_or_else(
                    || Check::new(*id, Outcome::Passed, None, "fine"),
                    |(c, o, code, d)| Check::new(*c, *o, *code, *d),
                )
            })
            .collect();
        Report::from_checks(checks, None)
    }

    #[test]
    fn the_most_serious_finding_is_the_state() {
        use CheckId::*;
        use ErrorCode::*;
        let failed = Outcome::Failed;
        assert_eq!(report(&[]).standing(), Standing::Valid);
        let trust_warns = report(&[(Trust, Outcome::Warning, None, "no trust list")]);
        assert_eq!(trust_warns.standing(), Standing::Valid);
        let revoked = (Status, failed, Some(StatusRevoked), "REVOKED");
        let expired = (
            Validity,
            failed,
            Some(RangeError),
            "expired: validUntil was …",
        );
        let forged = (Proof, failed, Some(ProofVerificationError), "bad");
        assert_eq!(report(&[revoked, expired]).standing(), Standing::Revoked);
        assert_eq!(report(&[forged, revoked]).standing(), Standing::Invalid);
        assert_eq!(report(&[expired]).standing(), Standing::Expired);
        let early = (
            Validity,
            failed,
            Some(RangeError),
            "not yet valid: validFrom is …",
        );
        assert_eq!(report(&[early]).standing(), Standing::NotYetValid);
        let suspended = (Status, failed, Some(StatusSuspended), "SUSPENDED");
        assert_eq!(report(&[suspended]).standing(), Standing::Suspended);
        let untrusted = (Trust, failed, None, "not in the trust list");
        assert_eq!(report(&[untrusted]).standing(), Standing::Invalid);
        // Could not tell is never valid; nor is a status list that failed its own checks.
        let unknown = (Status, Outcome::Unknown, Some(StatusRetrievalError), "down");
        assert_eq!(report(&[unknown]).standing(), Standing::Unknown);
        let bad_list = (Status, failed, Some(StatusVerificationError), "bad list");
        assert_eq!(report(&[bad_list]).standing(), Standing::Unknown);
        assert_eq!(report(&[unknown, expired]).standing(), Standing::Expired);
    }
}
