//! Request handlers. Admin handlers take an [`Admin`] (a valid bearer token); bodies come
//! through [`ApiJson`], so malformed JSON is a 400 problem, a wrong shape a 422, an oversized
//! body a 413 — never a 500.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hallmark_core::badge::{self, PartnerBadge};
use hallmark_core::credential::UnsignedCredential;
use hallmark_core::datetime;
use hallmark_core::proof::Cryptosuite;
use hallmark_core::status::{Bitstring, StatusEntry, StatusPurpose};
use hallmark_store::{
    Approval, AuditEntry, AuditFilter, CredentialFilter, CredentialRow, PageRequest, Partner,
    PartnerFilter, StatusChange, StatusSlot, StoreError,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;
use time::Duration;

use crate::problem::Problem;
use crate::program::Claim;
use crate::{now, token_hash, uuid_v4, AppState};

/// A JSON body whose rejections are problem details.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(body_problem(&rejection)),
        }
    }
}

fn body_problem(rejection: &JsonRejection) -> Problem {
    let status = rejection.status();
    let (slug, title) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("too-large", "Request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported-media-type",
            "Expected Content-Type: application/json",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid", "Invalid request"),
        _ => ("malformed-json", "Malformed JSON"),
    };
    Problem::new(status, slug, title, rejection.body_text())
}

/// The caller of an admin endpoint: the name of a valid token.
pub struct Admin(pub String);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        authenticate(&parts.headers, state).await
    }
}

/// The caller of the VC API's `POST /credentials/issue`: the name of a valid token, or
/// `vc-api` when the endpoint is open. Read from the headers, so an unauthenticated request
/// is refused before its body is read.
pub struct IssueCaller(pub String);

impl FromRequestParts<AppState> for IssueCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if state.config().open_issue_endpoint {
            Ok(Self("vc-api".to_owned()))
        } else {
            Ok(Self(authenticate(&parts.headers, state).await?.0))
        }
    }
}

/// The token of `Authorization: Bearer <token>`; the scheme is case-insensitive
/// (RFC 9110 §11.1).
fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let (scheme, token) = value.to_str().ok()?.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

async fn authenticate(headers: &HeaderMap, state: &AppState) -> Result<Admin, Problem> {
    let hint = "send Authorization: Bearer <token>; create one with `hallmark token create`";
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized(format!("no token: {hint}")))?;
    let token = bearer_token(value)
        .ok_or_else(|| Problem::unauthorized(format!("malformed Authorization header: {hint}")))?;
    let hash = token_hash(token);
    let row = state.store().token_by_hash(&hash).await?;
    match row {
        // The lookup is by hash; compare again in constant time all the same.
        Some(row) if bool::from(row.hash.as_bytes().ct_eq(hash.as_bytes())) => Ok(Admin(row.name)),
        _ => Err(Problem::unauthorized(format!(
            "unknown or revoked token: {hint}"
        ))),
    }
}

fn audit(actor: &str, action: &str, subject: &str, detail: Value) -> AuditEntry {
    AuditEntry {
        at: now().unix_timestamp(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail,
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

pub async fn health() -> &'static str {
    "ok"
}

pub async fn not_found() -> Problem {
    Problem::not_found("no such endpoint; the API is under /api/v1, badges under /credentials/{id}, status lists under /status/{list}")
}

pub async fn program(_: Admin, State(state): State<AppState>) -> Json<Value> {
    Json(serde_json::to_value(state.program()).unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPartner {
    name: String,
    url: String,
}

/// The longest name (partner, approver, reference, genre) accepted, in characters.
const MAX_NAME: usize = 200;
/// The longest reference description accepted, in characters.
const MAX_DESCRIPTION: usize = 2000;
/// The longest partner URL accepted, in bytes.
const MAX_URL: usize = 500;
/// How far ahead of the issuer's clock an approval may be dated (time zones, clock skew).
const MAX_APPROVAL_AHEAD: Duration = Duration::days(1);
/// No approval is dated before this (the program did not exist yet): 2000-01-01T00:00:00Z.
const EARLIEST_APPROVAL: i64 = 946_684_800;

/// Why a character may not appear in text the API stores or signs, or `None` when it may.
///
/// Refused: control characters (C0, DEL, C1: NUL, newlines, escapes…); the Unicode
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), with
/// which text can display differently from what it is (Trojan Source, CVE-2021-42574); the
/// invisible bidirectional marks U+200E, U+200F and U+061C; the line and paragraph separators
/// U+2028 and U+2029 (line breaks in all but name); U+FEFF (a byte order mark, or an
/// invisible zero-width no-break space); and the other characters that display as nothing, so
/// that "Micro\u{200B}soft" cannot pass for another partner's name: the zero-width space
/// U+200B, the soft hyphen U+00AD, the combining grapheme joiner U+034F, the Mongolian vowel
/// separator U+180E, the word joiner and invisible operators U+2060–U+2064, the Hangul fillers,
/// the interlinear annotation marks U+FFF9–U+FFFB, tag characters (U+E0000–U+E007F) and
/// private-use characters. The zero-width joiner and non-joiner (U+200C, U+200D) stay: many
/// scripts (Persian, the Indic scripts) and emoji need them.
fn forbidden_char(c: char) -> Option<&'static str> {
    match c {
        c if c.is_control() => Some("control character"),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some("Unicode bidirectional control"),
        '\u{200E}' | '\u{200F}' | '\u{061C}' => Some("invisible Unicode bidirectional mark"),
        '\u{2028}' | '\u{2029}' => Some("Unicode line or paragraph separator"),
        '\u{FEFF}' => Some("invisible Unicode byte order mark"),
        '\u{200B}'
        | '\u{00AD}'
        | '\u{034F}'
        | '\u{180E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}' => Some("invisible Unicode character"),
        '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}' => {
            Some("Unicode private-use character")
        }
        _ => None,
    }
}

/// Checks free text that ends up in badges and the admin API: at most `max` characters,
/// non-blank when `required`, and no character [`forbidden_char`] refuses. The error is a 422
/// problem naming `field`, the character and where it is.
fn check_text(field: &str, value: &str, max: usize, required: bool) -> Result<(), Problem> {
    if required && value.trim().is_empty() {
        return Err(Problem::invalid(format!("{field} is required")));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(Problem::invalid(format!(
            "{field} is {chars} characters long; at most {max} are allowed"
        )));
    }
    if let Some((at, c, what)) = value
        .chars()
        .enumerate()
        .find_map(|(at, c)| forbidden_char(c).map(|what| (at, c, what)))
    {
        return Err(Problem::invalid(format!(
            "{field} contains the {what} U+{:04X} at character {at}; names and descriptions are one line of plain text",
            u32::from(c)
        )));
    }
    Ok(())
}

/// Checks a partner's URL (the badge's `credentialSubject.id`) and returns the form to store:
/// an absolute `http://` or `https://` URL with a host and no user name or password, as the
/// WHATWG URL parser (the `url` crate) serializes it (`HTTPS://Northwind.Example` becomes
/// `https://northwind.example/`), or a DID as given. Refused besides: whitespace, control
/// and the other characters [`forbidden_char`] refuses, backslashes, and URLs the parser
/// would only accept by repairing them (`http:///x.example`, `https:x.example`).
fn check_partner_url(url: &str) -> Result<String, Problem> {
    let refuse = |why: &str| {
        Problem::invalid(format!(
            "url {url:?} {why}; give the partner's web address (https://…) or its DID"
        ))
    };
    if url.len() > MAX_URL {
        return Err(refuse(&format!("is longer than {MAX_URL} bytes")));
    }
    if let Some(c) = url
        .chars()
        .find(|c| c.is_whitespace() || forbidden_char(*c).is_some())
    {
        return Err(refuse(&format!(
            "contains U+{:04X} (whitespace or a control character)",
            u32::from(c)
        )));
    }
    if url.starts_with("did:") {
        return hallmark_core::did::Did::parse(url)
            .map(|_| url.to_owned())
            .map_err(|_| refuse("is not a valid DID"));
    }
    let parsed =
        url::Url::parse(url).map_err(|e| refuse(&format!("is not an absolute URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refuse(&format!(
            "has the scheme {:?}; only http and https are accepted",
            parsed.scheme()
        )));
    }
    // The WHATWG parser repairs what RFC 3986 refuses: a backslash is read as a slash, and
    // any number of slashes (or none) may follow `http:`. Accept only `scheme://host…`.
    if url.contains('\\') {
        return Err(refuse("contains a backslash"));
    }
    let after_scheme = url.get(parsed.scheme().len() + 1..).unwrap_or_default();
    if !after_scheme.starts_with("//") || after_scheme[2..].starts_with('/') {
        return Err(refuse(&format!(
            "is not of the form {}://host/…",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(refuse("has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(refuse("carries a user name or password"));
    }
    // Non-ASCII text is percent-encoded (or Punycode) in the normalized form.
    if parsed.as_str().len() > MAX_URL {
        return Err(refuse(&format!(
            "is longer than {MAX_URL} bytes once normalized"
        )));
    }
    Ok(parsed.into())
}

pub async fn create_partner(
    Admin(actor): Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewPartner>,
) -> Result<Response, Problem> {
    let name = body.name.trim();
    check_text("name", name, MAX_NAME, true)?;
    let url = check_partner_url(&body.url)?;
    let partner = Partner {
        id: uuid_v4().map_err(|e| Problem::internal("randomness", &e))?,
        name: name.to_owned(),
        url,
        created_at: now().unix_timestamp(),
    };
    state
        .store()
        .create_partner(
            &partner,
            &audit(
                &actor,
                "partner.create",
                &partner.id,
                json!({"name": partner.name}),
            ),
        )
        .await?;
    let mut response = json_response(StatusCode::CREATED, &json!(partner));
    let location = format!("{}/api/v1/partners/{}", state.config().base_url, partner.id);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub async fn partners(_: Admin, State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    // Every partner, by name: all the pages.
    let mut all = Vec::new();
    let mut page = PageRequest::first(hallmark_store::MAX_PAGE_SIZE);
    loop {
        let read = state
            .store()
            .partners(&PartnerFilter::default(), &page)
            .await?;
        all.extend(read.items);
        match read.next {
            Some(next) => page = PageRequest::after(hallmark_store::MAX_PAGE_SIZE, next),
            None => break,
        }
    }
    Ok(Json(json!(all)))
}

pub async fn partner(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let partner = state
        .store()
        .partner(&id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no partner {id}")))?;
    Ok(Json(json!(partner)))
}

#[derive(Deserialize, serde::Serialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "default_genre")]
    genre: String,
    /// Checked with the customer.
    #[serde(default)]
    validated: bool,
    /// May appear in the badge.
    #[serde(default)]
    public: bool,
}

fn default_genre() -> String {
    "Customer reference".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApproval {
    partner_id: String,
    tier: String,
    role: String,
    #[serde(default)]
    competencies: Vec<String>,
    exam_score: Option<u8>,
    demo_level: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
    approver: String,
    /// When the approval was decided, the badge's `validFrom`: an RFC 3339 date-time with a
    /// time zone (XML Schema `dateTimeStamp`), from 2000-01-01T00:00:00Z to a day ahead of
    /// the issuer's clock; default now.
    approved_at: Option<String>,
}

/// When an approval was decided: `approved_at` (default now), refused when it is more than
/// [`MAX_APPROVAL_AHEAD`] ahead of the issuer's clock or before [`EARLIEST_APPROVAL`].
fn approval_date(approved_at: Option<&str>) -> Result<time::OffsetDateTime, Problem> {
    let now = now();
    let Some(text) = approved_at else {
        return Ok(now);
    };
    let at = datetime::parse(text).map_err(|e| {
        // Say what is missing when the text is a date-time but for its time zone.
        let why = if datetime::parse(&format!("{text}Z")).is_ok()
            || datetime::parse(&format!("{text}:00Z")).is_ok()
        {
            "no time zone (add Z for UTC, or an offset such as +02:00)"
        } else if datetime::parse(&format!("{text}T00:00:00Z")).is_ok() {
            "a date without a time and time zone"
        } else {
            e.reason
        };
        Problem::invalid(format!(
            "approved_at must be an RFC 3339 date-time with a time zone, e.g. 2026-12-01T09:00:00Z; {text:?}: {why}"
        ))
    })?;
    let latest = now.checked_add(MAX_APPROVAL_AHEAD).unwrap_or(now);
    if at > latest {
        return Err(Problem::invalid(format!(
            "approved_at {text} is in the future (now is {}); an approval is dated when it was decided, at most a day ahead",
            datetime::format(now)
        )));
    }
    if at.unix_timestamp() < EARLIEST_APPROVAL {
        return Err(Problem::invalid(format!(
            "approved_at {text} is before 2000-01-01, before the program existed"
        )));
    }
    Ok(at)
}

/// Records an approval and issues its badge, in one transaction.
pub async fn approve(
    Admin(actor): Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewApproval>,
) -> Result<Response, Problem> {
    let program = state.program();
    let partner = state
        .store()
        .partner(&body.partner_id)
        .await?
        .ok_or_else(|| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown-partner",
                "Unknown partner",
                format!(
                    "no partner {}; create it with POST /api/v1/partners",
                    body.partner_id
                ),
            )
        })?;
    if body.approver.trim().is_empty() {
        return Err(Problem::invalid("approver must name who approved"));
    }
    check_text("approver", &body.approver, MAX_NAME, true)?;
    if body.references.len() > 100 {
        return Err(Problem::invalid(format!(
            "references: {} given; at most 100 are allowed",
            body.references.len()
        )));
    }
    for (i, r) in body.references.iter().enumerate() {
        check_text(&format!("references[{i}].name"), &r.name, MAX_NAME, true)?;
        check_text(
            &format!("references[{i}].description"),
            &r.description,
            MAX_DESCRIPTION,
            false,
        )?;
        check_text(&format!("references[{i}].genre"), &r.genre, MAX_NAME, true)?;
    }
    let approved_at = approval_date(body.approved_at.as_deref())?;
    let claim = Claim {
        tier: &body.tier,
        role: &body.role,
        competencies: &body.competencies,
        exam_score: body.exam_score,
        demo_level: body.demo_level.as_deref(),
        validated_references: body.references.iter().filter(|r| r.validated).count(),
    };
    let shortfalls = program.shortfalls(&claim);
    if let Some(first) = shortfalls.first() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "requirements-not-met",
            "The approval does not meet the tier's requirements",
            first.detail.clone(),
        )
        .with("shortfalls", json!(shortfalls)));
    }
    let tier = program
        .tier(&body.tier)
        .ok_or_else(|| Problem::invalid("unknown tier"))?;
    let approval = Approval {
        id: uuid_v4().map_err(|e| Problem::internal("randomness", &e))?,
        partner_id: partner.id.clone(),
        tier: tier.id.clone(),
        role: body.role.clone(),
        record: json!({
            "competencies": body.competencies, "exam_score": body.exam_score, "demo_level": body.demo_level,
            "references": body.references, "approver": body.approver,
        }),
        approved_at: approved_at.unix_timestamp(),
        created_at: now().unix_timestamp(),
    };
    let valid_until = approved_at
        .checked_add(Duration::days(i64::from(tier.validity_days)))
        .filter(|t| t.year() <= 9999)
        .ok_or_else(|| {
            Problem::invalid(format!(
                "approved_at {} plus {}'s validity of {} days is beyond the year 9999",
                datetime::format(approved_at),
                tier.name,
                tier.validity_days
            ))
        })?;
    let spec = |uuid: &str, status: Vec<Value>| PartnerBadge {
        base_url: state.config().base_url.clone(),
        credential_uuid: uuid.to_owned(),
        issuer: badge::Issuer {
            id: state.keys().issuer().to_owned(),
            name: state.config().issuer_name.clone(),
            url: state.config().issuer_url.clone(),
        },
        partner: badge::Partner {
            id: partner.url.clone(),
            name: partner.name.clone(),
        },
        role: body.role.clone(),
        tier: badge::Tier {
            slug: tier.id.clone(),
            name: tier.name.clone(),
            description: tier.description.clone(),
            criteria: tier.criteria(program),
        },
        competencies: body
            .competencies
            .iter()
            .filter_map(|code| program.competency(code))
            .map(|c| badge::Competency {
                code: c.code.clone(),
                name: c.name.clone(),
                url: None,
                framework: Some(
                    c.framework
                        .clone()
                        .unwrap_or_else(|| program.framework.clone()),
                ),
            })
            .collect(),
        exam: tier
            .min_exam_score
            .zip(body.exam_score)
            .map(|(required, score)| badge::Exam { score, required }),
        demo: tier
            .min_demo_level
            .clone()
            .zip(body.demo_level.clone())
            .map(|(required, achieved)| badge::Demo {
                levels: program.rubric.clone(),
                required,
                achieved,
            }),
        evidence: body
            .references
            .iter()
            .filter(|r| r.public && r.validated)
            .map(|r| badge::Evidence {
                name: r.name.clone(),
                description: r.description.clone(),
                genre: r.genre.clone(),
            })
            .collect(),
        valid_from: approved_at,
        valid_until,
        credential_status: status,
    };
    let (row, document) = issue_with_status(&state, &actor, Some(&approval), |uuid, status| {
        let unsigned = spec(uuid, status)
            .build()
            .map_err(|e| Problem::invalid(e.to_string()))?;
        Ok(unsigned.into_map())
    })
    .await?;
    let url = state.credential_url(&row.id);
    let mut response = json_response(
        StatusCode::CREATED,
        &json!({"approval": approval, "credential": {"id": url, "uuid": row.id, "document": document}}),
    );
    if let Ok(location) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Allocates random, unused status indexes, builds the credential with them, signs it and
/// commits it with its audit entry; retries with new indexes if one was taken meanwhile.
async fn issue_with_status(
    state: &AppState,
    actor: &str,
    approval: Option<&Approval>,
    build: impl Fn(&str, Vec<Value>) -> Result<Map<String, Value>, Problem>,
) -> Result<(CredentialRow, Value), Problem> {
    let mut wanted = vec![WantedStatus::plain(StatusPurpose::Revocation)];
    if state.program().suspension {
        wanted.push(WantedStatus::plain(StatusPurpose::Suspension));
    }
    issue_with(
        state,
        actor,
        approval,
        &wanted,
        state.config().cryptosuite,
        build,
    )
    .await
}

/// A status entry a new credential gets (Bitstring Status List §2.1).
#[derive(Debug, Clone, PartialEq)]
struct WantedStatus {
    purpose: StatusPurpose,
    status_size: u8,
    messages: Vec<(u8, String)>,
    reference: Vec<String>,
}

impl WantedStatus {
    /// A one-bit entry with no messages (revocation, suspension).
    fn plain(purpose: StatusPurpose) -> Self {
        Self {
            purpose,
            status_size: 1,
            messages: Vec::new(),
            reference: Vec::new(),
        }
    }

    /// Reads one VC API `options.credentialStatus` request: `statusPurpose` (revocation,
    /// suspension or message; revocation when left out), and for "message" `statusSize`
    /// (1–8), `statusMessage` (one per possible value) and `statusReference`, checked as a
    /// verifier would check the entry they make.
    fn requested(value: &Value) -> Result<Self, Problem> {
        let obj = value
            .as_object()
            .ok_or_else(|| Problem::invalid("options.credentialStatus entries must be objects"))?;
        if let Some(t) = obj.get("type") {
            if t != "BitstringStatusListEntry" {
                return Err(Problem::invalid(format!(
                    "options.credentialStatus type {t} is not offered (BitstringStatusListEntry)"
                )));
            }
        }
        let purpose = match obj.get("statusPurpose").map(Value::as_str) {
            None | Some(Some("revocation")) => StatusPurpose::Revocation,
            Some(Some("suspension")) => StatusPurpose::Suspension,
            Some(Some("message")) => StatusPurpose::Message,
            Some(other) => {
                return Err(Problem::invalid(format!(
                    "statusPurpose {} is not offered (revocation, suspension, message)",
                    other.map_or_else(|| "(not a string)".to_owned(), |o| format!("{o:?}"))
                )))
            }
        };
        let allowed = [
            "type",
            "statusPurpose",
            "statusSize",
            "statusMessage",
            "statusReference",
        ];
        if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(Problem::invalid(format!(
                "options.credentialStatus.{k} is not understood"
            )));
        }
        let mut entry = json!({
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose.as_str(),
            "statusListIndex": "0",
            "statusListCredential": "https://status.invalid/list",
        });
        for k in ["statusSize", "statusMessage", "statusReference"] {
            if let Some(v) = obj.get(k) {
                entry[k] = v.clone();
            }
        }
        let read = StatusEntry::read(&entry)
            .map_err(|e| Problem::invalid(format!("options.credentialStatus: {e}")))?;
        if purpose != StatusPurpose::Message && (read.status_size != 1 || !read.messages.is_empty())
        {
            return Err(Problem::invalid(format!(
                "options.credentialStatus: statusSize and statusMessage are for the \"message\" purpose, not {:?}",
                purpose.as_str()
            )));
        }
        Ok(Self {
            purpose,
            status_size: read.status_size,
            messages: read.messages,
            reference: read.reference,
        })
    }
}

async fn issue_with(
    state: &AppState,
    actor: &str,
    approval: Option<&Approval>,
    wanted: &[WantedStatus],
    cryptosuite: Cryptosuite,
    build: impl Fn(&str, Vec<Value>) -> Result<Map<String, Value>, Problem>,
) -> Result<(CredentialRow, Value), Problem> {
    let internal = |e: &dyn std::fmt::Display| Problem::internal("issuance", e);
    // One deadline for every signing attempt of this request.
    let deadline = state.pool().deadline();
    for _ in 0..32 {
        let uuid = uuid_v4().map_err(|e| internal(&e))?;
        let mut entries = Vec::new();
        let (mut rev, mut sus, mut msg) = (None, None, None);
        for w in wanted {
            let list = state
                .current_list(w.purpose, w.status_size)
                .await
                .map_err(|e| internal(&e))?;
            let index = state
                .draw_index(hallmark_core::status::MIN_ENTRIES as u64)
                .map_err(|e| internal(&e))?;
            entries.push(
                StatusEntry {
                    purpose: w.purpose,
                    index,
                    list_url: state.list_url(&list),
                    status_size: w.status_size,
                    messages: w.messages.clone(),
                    reference: w.reference.clone(),
                }
                .to_json(),
            );
            let index = u32::try_from(index).map_err(|e| internal(&e))?;
            let slot = Some(StatusSlot::new(list, index));
            match w.purpose {
                StatusPurpose::Revocation => rev = slot,
                StatusPurpose::Suspension => sus = slot,
                _ => msg = slot,
            }
        }
        let unsigned = build(&uuid, entries)?;
        let valid_until = unsigned
            .get("validUntil")
            .and_then(Value::as_str)
            .and_then(|t| datetime::parse(t).ok())
            .map(|t| t.unix_timestamp());
        // Canonicalization (rdfc) is CPU work: off the async threads.
        let signer = state.clone();
        let mut signed = state
            .pool()
            .run(deadline, move || signer.sign(unsigned, cryptosuite))
            .await?
            .map_err(|e| Problem::invalid(format!("cannot sign: {e}")))?;
        if approval.is_some() {
            // A badge: the OB 3.0 JSON Schema wants `proof` as an array.
            hallmark_core::proof::into_proof_set(&mut signed);
        }
        let document = Value::Object(signed);
        let row = CredentialRow {
            id: uuid.clone(),
            approval_id: approval.map(|a| a.id.clone()),
            partner_id: approval.map(|a| a.partner_id.clone()),
            tier: approval.map(|a| a.tier.clone()),
            role: approval.map(|a| a.role.clone()),
            revocation: rev,
            suspension: sus,
            document: document.to_string(),
            issued_at: now().unix_timestamp(),
            valid_until,
            revoked_at: None,
            revocation_reason: None,
            suspended: false,
            message: msg,
            message_status: 0,
        };
        let entry = audit(
            actor,
            "credential.issue",
            &uuid,
            json!({"approval": approval.map(|a| &a.id), "tier": row.tier, "partner": row.partner_id}),
        );
        match state.store().record_issuance(approval, &row, &entry).await {
            Ok(()) => return Ok((row, document)),
            // A status index taken concurrently: draw again.
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "No free status index",
        "could not find a free status index; try again",
    ))
}

#[derive(Deserialize)]
pub struct Limit {
    limit: Option<i64>,
}

/// The first page, of `limit` rows (default 100, 1 to 1000).
fn first_page(q: &Limit) -> PageRequest {
    PageRequest::first(u32::try_from(q.limit.unwrap_or(100).clamp(1, 1000)).unwrap_or(100))
}

pub async fn credentials(
    _: Admin,
    State(state): State<AppState>,
    Query(q): Query<Limit>,
) -> Result<Json<Value>, Problem> {
    let rows = state
        .store()
        .credentials(&CredentialFilter::default(), &first_page(&q))
        .await?
        .items;
    Ok(Json(json!(rows
        .iter()
        .map(|r| admin_view(&state, r))
        .collect::<Vec<_>>())))
}

fn admin_view(state: &AppState, row: &CredentialRow) -> Value {
    json!({
        "id": state.credential_url(&row.id), "uuid": row.id, "approval": row.approval_id, "partner": row.partner_id,
        "tier": row.tier, "role": row.role, "issuedAt": row.issued_at, "validUntil": row.valid_until,
        "revokedAt": row.revoked_at, "revocationReason": row.revocation_reason, "suspended": row.suspended,
        "revocation": row.revocation.as_ref().map(|s| json!({"list": state.list_url(&s.list), "index": s.index})),
        "suspension": row.suspension.as_ref().map(|s| json!({"list": state.list_url(&s.list), "index": s.index})),
        "message": row.message.as_ref().map(|s| json!({"list": state.list_url(&s.list), "index": s.index, "status": format!("0x{:x}", row.message_status)})),
    })
}

pub async fn credential_admin(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let row = state
        .store()
        .credential(&id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no credential {id}")))?;
    Ok(Json(admin_view(&state, &row)))
}

pub async fn credential_public(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let row = state
        .store()
        .credential(&id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no credential {id}")))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        row.document,
    )
        .into_response())
}

pub async fn status_list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let row = state
        .store()
        .status_list(&id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no status list {id}")))?;
    let cache = format!("public, max-age={}", state.config().status_ttl_seconds);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CACHE_CONTROL, cache),
        ],
        row.document,
    )
        .into_response())
}

pub async fn did_document(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    state.keys().did_document().map(Json).ok_or_else(|| {
        Problem::not_found(format!(
            "the issuer is {}, not a did:web: there is no DID document to serve",
            state.keys().issuer()
        ))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[serde(default)]
    reason: String,
}

pub async fn revoke(
    Admin(actor): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Response, Problem> {
    if body.reason.trim().is_empty() {
        return Err(Problem::invalid(
            "a reason is required (it is kept privately)",
        ));
    }
    check_text("reason", &body.reason, MAX_DESCRIPTION, true)?;
    change(
        &state,
        &actor,
        &id,
        StatusChange::Revoke {
            reason: body.reason,
        },
    )
    .await
}

pub async fn suspend(
    Admin(actor): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    change(&state, &actor, &id, StatusChange::Suspend).await
}

pub async fn reinstate(
    Admin(actor): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    change(&state, &actor, &id, StatusChange::Reinstate).await
}

/// The body of `POST /api/v1/credentials/{id}/status`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageStatus {
    /// The new value: `"0x2"` as in `statusMessage`, or a number.
    status: Value,
}

/// Sets a credential's "message" status (Bitstring Status List §2.1, `statusPurpose`
/// "message") and re-signs its list.
pub async fn set_message_status(
    Admin(actor): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MessageStatus>,
) -> Result<Response, Problem> {
    let status = match &body.status {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s
            .strip_prefix("0x")
            .and_then(|h| i64::from_str_radix(h, 16).ok()),
        _ => None,
    }
    .ok_or_else(|| {
        Problem::invalid(format!(
            "status {} is neither a number nor a hexadecimal \"0x…\" string",
            body.status
        ))
    })?;
    change(&state, &actor, &id, StatusChange::Message { status }).await
}

async fn change(
    state: &AppState,
    actor: &str,
    id: &str,
    change: StatusChange,
) -> Result<Response, Problem> {
    let row = state
        .store()
        .credential(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no credential {id}")))?;
    let conflict =
        |detail: &str| Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail);
    if row.revoked_at.is_some() {
        return Err(conflict("the credential is revoked; revocation is final"));
    }
    let (purpose, slot, value, action) = match &change {
        StatusChange::Revoke { .. } => (
            StatusPurpose::Revocation,
            row.revocation.clone(),
            1,
            "credential.revoke",
        ),
        StatusChange::Suspend if row.suspended => {
            return Err(conflict("the credential is already suspended"))
        }
        StatusChange::Suspend => (
            StatusPurpose::Suspension,
            row.suspension.clone(),
            1,
            "credential.suspend",
        ),
        StatusChange::Reinstate if !row.suspended => {
            return Err(conflict("the credential is not suspended"))
        }
        StatusChange::Reinstate => (
            StatusPurpose::Suspension,
            row.suspension.clone(),
            0,
            "credential.reinstate",
        ),
        StatusChange::Message { status } => (
            StatusPurpose::Message,
            row.message.clone(),
            u8::try_from(*status)
                .map_err(|_| Problem::invalid(format!("status {status} is out of range")))?,
            "credential.status",
        ),
    };
    let slot = slot.ok_or_else(|| {
        Problem::invalid(format!("the credential has no {} entry", purpose.as_str()))
    })?;
    let (list, index) = (slot.list.clone(), slot.index);
    let status_size = match &change {
        StatusChange::Message { .. } => state
            .store()
            .status_list(&list)
            .await?
            .and_then(|l| u8::try_from(l.status_size).ok())
            .ok_or_else(|| Problem::internal("status", &format!("status list {list}")))?,
        _ => 1,
    };
    let entry = audit(actor, action, id, json!({"list": list, "index": index}));
    let signer = state.clone();
    let list_id = list.clone();
    state
        .store()
        .change_status(
            id,
            &slot,
            &change,
            now().unix_timestamp(),
            move |bits| {
                let mut bits = Bitstring::from_bytes(bits);
                bits.set(u64::from(index), status_size, value)
                    .map_err(|e| e.to_string())?;
                let document = signer.sign_list(&list_id, purpose, &bits)?;
                Ok((bits.as_bytes().to_vec(), document))
            },
            &entry,
        )
        .await?;
    let row = state
        .store()
        .credential(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no credential {id}")))?;
    Ok(json_response(StatusCode::OK, &admin_view(state, &row)))
}

pub async fn audit_log(
    _: Admin,
    State(state): State<AppState>,
    Query(q): Query<Limit>,
) -> Result<Json<Value>, Problem> {
    Ok(Json(json!(
        state
            .store()
            .audit_log(&AuditFilter::default(), &first_page(&q))
            .await?
            .items
    )))
}

#[derive(Deserialize)]
pub struct IssueRequest {
    credential: Value,
    #[serde(default)]
    options: IssueOptions,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct IssueOptions {
    cryptosuite: Option<String>,
    credential_status: Option<Value>,
}

/// VC API `POST /credentials/issue`: signs the given credential as this issuer.
pub async fn vc_issue(
    IssueCaller(actor): IssueCaller,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<IssueRequest>,
) -> Result<Response, Problem> {
    let Value::Object(mut credential) = body.credential else {
        return Err(Problem::invalid("credential must be a JSON object"));
    };
    let issuer = state.keys().issuer().to_owned();
    match credential.get_mut("issuer") {
        None => {
            credential.insert("issuer".into(), issuer.clone().into());
        }
        Some(Value::String(id)) if *id == issuer => {}
        Some(Value::Object(profile))
            if profile.get("id").and_then(Value::as_str) == Some(issuer.as_str()) => {}
        Some(other) => {
            return Err(Problem::invalid(format!(
                "this service issues as {issuer}, not {other}"
            )));
        }
    }
    let cryptosuite = match &body.options.cryptosuite {
        None => state.config().cryptosuite,
        Some(s) => s
            .parse::<Cryptosuite>()
            .map_err(|e| Problem::invalid(e.to_string()))?,
    };
    let mut wanted: Vec<WantedStatus> = Vec::new();
    if let Some(requested) = &body.options.credential_status {
        let list: Vec<&Value> = match requested {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for s in list {
            let w = WantedStatus::requested(s)?;
            if wanted.iter().any(|o| o.purpose == w.purpose) {
                return Err(Problem::invalid(format!(
                    "options.credentialStatus asks for {:?} twice",
                    w.purpose.as_str()
                )));
            }
            wanted.push(w);
        }
    }
    if credential.contains_key("credentialStatus") && !wanted.is_empty() {
        return Err(Problem::invalid(
            "the credential already has credentialStatus; leave options.credentialStatus out",
        ));
    }
    // A VC 1.1 credential's context does not define DataIntegrityProof: add the Data
    // Integrity context, as VC-DI §2.1 asks of documents whose contexts lack it.
    if let Some(Value::Array(contexts)) = credential.get_mut("@context") {
        const V1: &str = "https://www.w3.org/2018/credentials/v1";
        const DI: &str = "https://w3id.org/security/data-integrity/v2";
        if contexts.first().and_then(Value::as_str) == Some(V1) && !contexts.iter().any(|c| c == DI)
        {
            contexts.push(DI.into());
        }
    }
    // Check the shape before allocating anything.
    UnsignedCredential::any_version(Value::Object(credential.clone()))
        .map_err(|e| Problem::invalid(e.to_string()))?;
    let (row, document) = issue_with(&state, &actor, None, &wanted, cryptosuite, |_, entries| {
        let mut c = credential.clone();
        match entries.len() {
            0 => {}
            1 => {
                c.insert("credentialStatus".into(), entries[0].clone());
            }
            _ => {
                c.insert("credentialStatus".into(), entries.into());
            }
        }
        UnsignedCredential::any_version(Value::Object(c))
            .map(UnsignedCredential::into_map)
            .map_err(|e| Problem::invalid(e.to_string()))
    })
    .await?;
    // Where it is published; the last segment is the uuid the admin API takes.
    let mut response = json_response(
        StatusCode::CREATED,
        &json!({"verifiableCredential": document}),
    );
    if let Ok(location) = HeaderValue::from_str(&state.credential_url(&row.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
