//! `GET /openapi.json`: the OpenAPI 3.1 document of the admin API (`/api/v1/…`), the VC API
//! (`POST /credentials/issue`) and the public JSON documents.
//!
//! Request bodies are the service's own types (their `ToSchema` derives), so the document
//! follows the code; responses the handlers build as JSON are described by the schema-only
//! types below. The operations are path stubs here, not attributes on the handlers, so the
//! handlers stay plain; `tests/openapi.rs` fails when a route of the router is missing here.
//! The problem responses of the shared layers and the `Idempotency-Key` header of every POST
//! are added by rule ([`Rules`], [`hallmark_http::openapi::finish`]).

use std::sync::OnceLock;

use axum::response::Response;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, ToSchema};

#[allow(unused_imports)] // Named by the path stubs' attributes.
use super::status::{NewStatus, Reason};
#[allow(unused_imports)]
use super::vc_api::IssueRequest;
#[allow(unused_imports)]
use crate::service::{NewApproval, NewPartner, NewWebhook, PartnerChange};

/// The document's JSON text, built once.
fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| document().to_json().unwrap_or_default())
}

/// The document (with the rules applied).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::monitoring::doc::MonitoringDoc::openapi());
    hallmark_http::openapi::finish(&mut doc);
    doc
}

/// `GET /openapi.json`: public, no token, cacheable.
pub(super) async fn serve() -> Response {
    hallmark_http::openapi::document_response(text())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hallmark issuer",
        description = "The admin API (`/api/v1`, bearer tokens with a role: viewer, issuer or admin), the VC API `POST /credentials/issue`, and the public JSON documents of a Hallmark issuer. Every error is RFC 9457 problem details (`application/problem+json`). Lists are JSON arrays paged by `?limit=` (1..1000, default 100) and `?after=<cursor>`, with `Link: <…>; rel=\"next\"` when there is a next page; an unknown query parameter is a 400.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        program, partners_list, partners_create, partners_show, partners_change,
        approvals_create, approvals_list, approvals_show, approvals_bulk,
        credentials_list, credentials_show, credentials_revoke, credentials_suspend,
        credentials_reinstate, credentials_status, credentials_reissue,
        audit, webhooks_list, webhooks_create, webhooks_show, webhooks_delete, webhooks_deliveries,
        tokens_list, tokens_create, tokens_revoke,
        vc_issue, credential_document, status_list, did_document, health, openapi_json,
        super::kpis::doc,
    ),
    components(schemas(ProgramDoc, PartnerView, AuditEntry, CredentialView, StatusSlot, MessageSlot,
        ApprovedView, IssuedRef, SupersededRef, ApprovalRecord, ApprovalView, BulkAnswer, BulkRowResult, crate::service::BulkRow,
        WebhookView, WebhookCreated, DeliveryView, TokenView, TokenCreated, NewToken,
        IssueAnswer, JsonDocument,
        crate::service::Kpis)),
    modifiers(&Rules),
    tags(
        (name = "admin", description = "The admin API: bearer token with a role."),
        (name = "vc-api", description = "W3C VC API: issue."),
        (name = "public", description = "Public documents: no token."),
    ),
)]
struct ApiDoc;

/// Which role an admin operation needs (`None`: no token).
fn role(method: &HttpMethod, path: &str) -> Option<&'static str> {
    let admin_only = path.starts_with("/api/v1/tokens")
        || path.starts_with("/api/v1/webhooks")
        || path.starts_with("/api/v1/keys");
    if path == "/credentials/issue" {
        Some("issuer")
    } else if !path.starts_with("/api/") {
        None
    } else if admin_only {
        Some("admin")
    } else if *method == HttpMethod::Get {
        Some("viewer")
    } else {
        Some("issuer")
    }
}

/// The rules every operation follows: the bearer scheme and the role (401, 403, 503 from
/// the token check and the blocking pool) on the admin and VC API, and on every POST the
/// `Idempotency-Key` header with its 409 and 422.
pub(crate) struct Rules;

impl Modify for Rules {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from `hallmark token create` (or `POST /api/v1/tokens`): \
                         `Authorization: Bearer <token>`. Roles: viewer (read-only GETs), \
                         issuer (approvals, status changes, partners, VC API issue), admin \
                         (everything, incl. tokens and webhooks).",
                    ))
                    .build(),
            ),
        );
        for (method, path, op) in hallmark_http::openapi::operations_mut(doc) {
            add_links(&method, &path, op);
            if let Some(role) = role(&method, &path) {
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                let note = format!("Role: {role} (or higher).");
                op.description = Some(match op.description.take() {
                    Some(d) => format!("{d}\n\n{note}"),
                    None => note,
                });
                hallmark_http::openapi::add_problems(op, &[401, 403, 503]);
            }
            if method == HttpMethod::Post {
                let params = op.parameters.get_or_insert_with(Vec::new);
                params.push(hallmark_http::openapi::idempotency_key().into());
                // 400: a malformed Idempotency-Key.
                hallmark_http::openapi::add_problems(op, &[400, 409, 422]);
            }
        }
    }
}

/// OpenAPI links (§4.8.20) from what an operation creates to the operations that take its id,
/// so clients (and schemathesis' stateful phase) can follow them.
fn add_links(method: &HttpMethod, path: &str, op: &mut utoipa::openapi::path::Operation) {
    let (status, id, targets): (&str, &str, &[&str]) = match (method, path) {
        (HttpMethod::Post, "/api/v1/partners") => (
            "201",
            "$response.body#/id",
            &["getPartner", "changePartner"],
        ),
        (HttpMethod::Post, "/api/v1/approvals" | "/api/v1/credentials/{id}/reissue") => (
            "201",
            "$response.body#/credential/uuid",
            &[
                "getCredential",
                "getBadge",
                "revokeCredential",
                "suspendCredential",
                "reinstateCredential",
                "setCredentialStatus",
                "reissueCredential",
            ],
        ),
        (HttpMethod::Post, "/api/v1/webhooks") => (
            "201",
            "$response.body#/id",
            &["getWebhook", "listDeliveries", "deleteWebhook"],
        ),
        _ => return,
    };
    if let Some(RefOr::T(response)) = op.responses.responses.get_mut(status) {
        for target in targets {
            let link = LinkBuilder::new()
                .operation_id(*target)
                .parameter("id", id)
                .build();
            response.links.insert((*target).to_owned(), link.into());
        }
    }
}

// --- Response shapes (schema only: the handlers build these as JSON). ---

/// The program: tiers, roles, competencies and their requirements (`program.toml`).
#[derive(ToSchema)]
#[schema(as = Program)]
#[allow(dead_code)]
struct ProgramDoc {
    /// The tiers, by rank.
    #[schema(value_type = Vec<Object>)]
    tiers: (),
}

/// A partner.
#[derive(ToSchema)]
#[schema(as = Partner)]
#[allow(dead_code)]
struct PartnerView {
    /// UUID.
    id: String,
    /// Display name (text).
    name: String,
    /// Its web address or DID: the badges' `credentialSubject.id`.
    url: String,
    /// Unix seconds.
    created_at: i64,
    /// Listed in the public directory.
    listed: bool,
    /// E-mail addresses for reminders.
    contacts: Vec<String>,
}

/// An audit log entry.
#[derive(ToSchema)]
#[allow(dead_code)]
struct AuditEntry {
    /// Unix seconds.
    at: i64,
    /// Who: a token's name, or `system`.
    actor: String,
    /// What: `partner.create`, `credential.issue`, `credential.revoke`, …
    action: String,
    /// On what (an id).
    subject: String,
    /// Details.
    #[schema(value_type = Object)]
    detail: (),
}

/// A status entry of a credential: the status list's URL and the bit index.
#[derive(ToSchema)]
#[allow(dead_code)]
struct StatusSlot {
    /// The status list credential's URL.
    list: String,
    /// The index in it.
    index: i64,
}

/// The message status entry, with its current value.
#[derive(ToSchema)]
#[allow(dead_code)]
struct MessageSlot {
    /// The status list credential's URL.
    list: String,
    /// The index in it.
    index: i64,
    /// The current value, `0x…`.
    status: String,
}

/// A credential as the admin API shows it.
#[derive(ToSchema)]
#[schema(as = Credential)]
#[allow(dead_code)]
struct CredentialView {
    /// Its public URL.
    id: String,
    /// Its uuid (the admin API's `{id}`).
    uuid: String,
    /// The approval it was issued for (none for the VC API).
    approval: Option<String>,
    /// The partner's id.
    partner: Option<String>,
    /// The tier's slug (none for a specialization badge).
    tier: Option<String>,
    /// The specialization's slug, for a specialization badge (none for a tier badge).
    specialization: Option<String>,
    /// The role's slug.
    role: Option<String>,
    /// Unix seconds.
    #[schema(rename = "issuedAt")]
    issued_at: i64,
    /// Unix seconds.
    #[schema(rename = "validUntil")]
    valid_until: Option<i64>,
    /// Unix seconds.
    #[schema(rename = "revokedAt")]
    revoked_at: Option<i64>,
    /// The agency's private reason.
    #[schema(rename = "revocationReason")]
    revocation_reason: Option<String>,
    /// Suspended now.
    suspended: bool,
    /// Its revocation entry.
    revocation: Option<StatusSlot>,
    /// Its suspension entry.
    suspension: Option<StatusSlot>,
    /// Its message entry.
    message: Option<MessageSlot>,
    /// The public message (`active`, `superseded`, `lapsed`, `withdrawn`, `under-review`).
    #[schema(rename = "publicMessage")]
    public_message: Option<crate::service::PublicMessage>,
    /// The URL of the badge that replaced it.
    #[schema(rename = "supersededBy")]
    superseded_by: Option<String>,
}

/// An approval as stored.
#[derive(ToSchema)]
#[schema(as = Approval)]
#[allow(dead_code)]
struct ApprovalRecord {
    /// UUID.
    id: String,
    /// The partner's id.
    partner_id: String,
    /// Tier slug.
    tier: String,
    /// Role slug.
    role: String,
    /// The assessment record.
    #[schema(value_type = Object)]
    record: (),
    /// Unix seconds.
    approved_at: i64,
    /// Unix seconds.
    created_at: i64,
}

/// A new badge: its URL, uuid and signed document.
#[derive(ToSchema)]
#[allow(dead_code)]
struct IssuedRef {
    /// Its public URL.
    id: String,
    /// Its uuid.
    uuid: String,
    /// The signed credential.
    #[schema(value_type = Object)]
    document: (),
}

/// A badge an approval superseded.
#[derive(ToSchema)]
#[allow(dead_code)]
struct SupersededRef {
    /// Its public URL.
    id: String,
    /// Its uuid.
    uuid: String,
    /// Its tier.
    tier: Option<String>,
}

/// The answer to an approval or a re-issue: the approval, its kind, the new badge and the
/// badges it superseded.
#[derive(ToSchema)]
#[schema(as = Approved)]
#[allow(dead_code)]
struct ApprovedView {
    approval: ApprovalRecord,
    kind: crate::service::ApprovalKind,
    credential: IssuedRef,
    superseded: Vec<SupersededRef>,
}

/// An approval in a list, with its badge.
#[derive(ToSchema)]
#[schema(as = ApprovalListed)]
#[allow(dead_code)]
struct ApprovalView {
    /// UUID.
    id: String,
    /// The partner's id.
    partner_id: String,
    /// Tier slug.
    tier: String,
    /// Role slug.
    role: String,
    /// Unix seconds.
    approved_at: i64,
}

/// One row of a bulk import's answer.
#[derive(ToSchema)]
#[allow(dead_code)]
struct BulkRowResult {
    /// The row's number, from 1 (for CSV, the header is not counted).
    row: u32,
    /// For CSV, the line the row starts on.
    line: Option<u64>,
    /// `issued`, `refused`, `replayed` (issued before under the row's idempotency key),
    /// `would-issue` (a dry run), `in-flight` (another request holds the row's key: send it
    /// again), `deferred` (the request ran out of time: send it again).
    #[schema(pattern = "^(issued|refused|replayed|would-issue|in-flight|deferred)$")]
    status: String,
    /// The partner's id, when known.
    partner: Option<String>,
    /// The badge's URL, when issued or replayed.
    credential: Option<String>,
    /// The badge's uuid, when issued or replayed.
    uuid: Option<String>,
    /// What the approval is to the partner's badges (issued, would-issue).
    kind: Option<String>,
    /// Why refused: each requirement missed (`requirement`, `detail`).
    #[schema(value_type = Option<Vec<Object>>)]
    problems: (),
}

/// The answer to a bulk import: one result per row, in order, and the counts.
#[derive(ToSchema)]
#[allow(dead_code)]
struct BulkAnswer {
    results: Vec<BulkRowResult>,
    #[schema(rename = "dryRun")]
    dry_run: bool,
    rows: u32,
    issued: u32,
    refused: u32,
    replayed: u32,
    #[schema(rename = "wouldIssue")]
    would_issue: u32,
    #[schema(rename = "inFlight")]
    in_flight: u32,
    deferred: u32,
}

/// A webhook subscription (never its secret).
#[derive(ToSchema)]
#[schema(as = Webhook)]
#[allow(dead_code)]
struct WebhookView {
    id: String,
    url: String,
    events: Vec<String>,
    description: Option<String>,
    /// Unix seconds.
    created_at: i64,
}

/// A new subscription, with its signing secret (shown once).
#[derive(ToSchema)]
#[allow(dead_code)]
struct WebhookCreated {
    id: String,
    url: String,
    events: Vec<String>,
    description: Option<String>,
    created_at: i64,
    /// Standard Webhooks secret, `whsec_…`: shown this once.
    secret: String,
}

/// A delivery of an event to a subscription.
#[derive(ToSchema)]
#[schema(as = Delivery)]
#[allow(dead_code)]
struct DeliveryView {
    event: String,
    webhook_id: String,
    credential_id: String,
    /// `pending`, `delivered` or `failed`.
    state: String,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    /// Unix seconds, while pending.
    next_attempt_at: Option<i64>,
    delivered_at: Option<i64>,
    created_at: i64,
}

/// An API token (never its secret).
#[derive(ToSchema)]
#[schema(as = Token)]
#[allow(dead_code)]
struct TokenView {
    id: String,
    name: String,
    /// `viewer`, `issuer` or `admin`.
    #[schema(pattern = "^(viewer|issuer|admin)$")]
    role: String,
    /// Unix seconds.
    created_at: i64,
    /// Unix seconds, when revoked; `null` while valid.
    revoked_at: Option<i64>,
}

/// A token to create.
#[derive(ToSchema)]
#[allow(dead_code)]
struct NewToken {
    /// Its name (who uses it): one line of text.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// `viewer`, `issuer` or `admin`.
    #[schema(pattern = "^(viewer|issuer|admin)$")]
    role: String,
}

/// A new token with its secret (shown once).
#[derive(ToSchema)]
#[allow(dead_code)]
struct TokenCreated {
    id: String,
    name: String,
    /// `viewer`, `issuer` or `admin`.
    role: String,
    /// Unix seconds.
    created_at: i64,
    /// `null`: a new token.
    revoked_at: Option<i64>,
    /// The bearer token: shown this once; `null` in a replay (`Idempotency-Key`), which
    /// never holds it.
    secret: Option<String>,
    /// In a replay: why `secret` is `null`.
    #[schema(rename = "secretNotStored")]
    secret_not_stored: Option<String>,
}

/// The VC API's answer to issue.
#[derive(ToSchema)]
#[allow(dead_code)]
struct IssueAnswer {
    /// The signed credential.
    #[schema(rename = "verifiableCredential", value_type = Object)]
    verifiable_credential: (),
}

/// A JSON-LD document (a credential, a status list credential, a DID document).
#[derive(ToSchema)]
#[allow(dead_code)]
struct JsonDocument {
    /// A URL or an array of URLs and context objects.
    #[schema(rename = "@context", value_type = serde_json::Value)]
    context: (),
    /// Its id.
    id: String,
}

// --- The operations (stubs: the handlers are in the sibling modules). ---

/// The program approvals are checked against.
#[utoipa::path(get, path = "/api/v1/program", tag = "admin", operation_id = "getProgram",
    responses((status = 200, description = "The program.", body = ProgramDoc)))]
#[allow(dead_code)]
fn program() {}

/// Partners, by name; filters and pages.
#[utoipa::path(get, path = "/api/v1/partners", tag = "admin", operation_id = "listPartners",
    params(
        ("q" = Option<String>, Query, description = "Name contains (case-insensitive)."),
        ("url" = Option<String>, Query, description = "Exactly this URL or DID."),
        ("listed" = Option<bool>, Query, description = "Listed in the directory, or not."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows a page (default 100)."),
        ("after" = Option<String>, Query, description = "The cursor of the page (from `Link`)."),
    ),
    responses(
        (status = 200, description = "A page of partners.", body = Vec<PartnerView>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page."))),
        (status = 400, description = "A query parameter unknown or refused."),
    ))]
#[allow(dead_code)]
fn partners_list() {}

/// Create a partner.
#[utoipa::path(post, path = "/api/v1/partners", tag = "admin", operation_id = "createPartner",
    request_body = NewPartner,
    responses((status = 201, description = "Created.", body = PartnerView,
        headers(("Location" = String, description = "The partner's URL.")))))]
#[allow(dead_code)]
fn partners_create() {}

/// One partner.
#[utoipa::path(get, path = "/api/v1/partners/{id}", tag = "admin", operation_id = "getPartner",
    params(("id" = String, Path, description = "The partner's id.")),
    responses((status = 200, description = "The partner.", body = PartnerView)))]
#[allow(dead_code)]
fn partners_show() {}

/// Change a partner: each field present (directory listing, contacts).
#[utoipa::path(patch, path = "/api/v1/partners/{id}", tag = "admin", operation_id = "changePartner",
    params(("id" = String, Path, description = "The partner's id.")),
    request_body = PartnerChange,
    responses(
        (status = 200, description = "The partner as changed.", body = PartnerView),
        (status = 409, description = "Another partner has the URL (`duplicate-partner`, member `existing`)."),
    ))]
#[allow(dead_code)]
fn partners_change() {}

/// Record an approval; its badge is issued at once, superseding the partner's previous badge
/// for the role (renewal, upgrade, downgrade).
#[utoipa::path(post, path = "/api/v1/approvals", tag = "admin", operation_id = "approve",
    request_body = NewApproval,
    responses(
        (status = 201, description = "Approved and issued.", body = ApprovedView,
            headers(("Location" = String, description = "The new badge's URL."))),
        (status = 409, description = "The partner's badge is suspended, or another approval for it is in progress."),
        (status = 422, description = "Refused: unknown partner, tier or role, a requirement not met (`shortfalls`), a field out of range."),
        (status = 503, description = "No free status index (retry later)."),
    ))]
#[allow(dead_code)]
fn approvals_create() {}

/// Approvals, newest first.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "admin", operation_id = "listApprovals",
    params(
        ("partner" = Option<String>, Query, description = "Of this partner (its id)."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows a page (default 100)."),
        ("after" = Option<String>, Query, description = "The cursor of the page (from `Link`)."),
    ),
    responses(
        (status = 200, description = "A page of approvals.", body = Vec<ApprovalRecord>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page."))),
        (status = 400, description = "A query parameter unknown or refused."),
    ))]
#[allow(dead_code)]
fn approvals_list() {}

/// One approval.
#[utoipa::path(get, path = "/api/v1/approvals/{id}", tag = "admin", operation_id = "getApproval",
    params(("id" = String, Path, description = "The approval's id.")),
    responses((status = 200, description = "The approval.", body = ApprovalRecord)))]
#[allow(dead_code)]
fn approvals_show() {}

/// Many approvals at once: a JSON array of approvals, or `text/csv` with a header row. Each
/// row is issued or refused on its own.
#[utoipa::path(post, path = "/api/v1/approvals/bulk", tag = "admin", operation_id = "approveBulk",
    params(("dry_run" = Option<bool>, Query, description = "Check every row against the program; issue nothing.")),
    request_body(content(
        (Vec<crate::service::BulkRow> = "application/json"),
        (String = "text/csv"),
    )),
    responses((status = 200, description = "One result per row.", body = BulkAnswer)))]
#[allow(dead_code)]
fn approvals_bulk() {}

/// Issued credentials with their status, newest first (or soonest `validUntil` first with
/// `expiring_*`).
#[utoipa::path(get, path = "/api/v1/credentials", tag = "admin", operation_id = "listCredentials",
    params(
        ("partner" = Option<String>, Query, description = "Issued to this partner (its id)."),
        ("tier" = Option<String>, Query, description = "Of this tier (slug)."),
        ("role" = Option<String>, Query, description = "For this role (slug)."),
        ("specialization" = Option<String>, Query, description = "Specialization badges of this specialization (slug)."),
        ("state" = Option<String>, Query, pattern = "^(active|suspended|revoked)$", description = "`active`, `suspended` or `revoked`."),
        ("expiring_before" = Option<String>, Query, format = DateTime, description = "Not revoked, `validUntil` before this RFC 3339 instant."),
        ("expiring_after" = Option<String>, Query, format = DateTime, description = "With `expiring_before`: `validUntil` at or after this RFC 3339 instant."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows a page (default 100)."),
        ("after" = Option<String>, Query, description = "The cursor of the page (from `Link`)."),
    ),
    responses(
        (status = 200, description = "A page of credentials.", body = Vec<CredentialView>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page."))),
        (status = 400, description = "A query parameter unknown or refused."),
    ))]
#[allow(dead_code)]
fn credentials_list() {}

/// One credential with its status.
#[utoipa::path(get, path = "/api/v1/credentials/{id}", tag = "admin", operation_id = "getCredential",
    params(("id" = String, Path, description = "The credential's uuid.")),
    responses((status = 200, description = "The credential.", body = CredentialView)))]
#[allow(dead_code)]
fn credentials_show() {}

/// Revoke a credential (for good).
#[utoipa::path(post, path = "/api/v1/credentials/{id}/revoke", tag = "admin", operation_id = "revokeCredential",
    params(("id" = String, Path, description = "The credential's uuid.")),
    request_body = Reason,
    responses(
        (status = 200, description = "The credential as it is now.", body = CredentialView),
        (status = 409, description = "Already revoked."),
    ))]
#[allow(dead_code)]
fn credentials_revoke() {}

/// Suspend a credential.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/suspend", tag = "admin", operation_id = "suspendCredential",
    params(("id" = String, Path, description = "The credential's uuid.")),
    responses(
        (status = 200, description = "The credential as it is now.", body = CredentialView),
        (status = 409, description = "Revoked, or already suspended."),
    ))]
#[allow(dead_code)]
fn credentials_suspend() {}

/// Lift a credential's suspension.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/reinstate", tag = "admin", operation_id = "reinstateCredential",
    params(("id" = String, Path, description = "The credential's uuid.")),
    responses(
        (status = 200, description = "The credential as it is now.", body = CredentialView),
        (status = 409, description = "Revoked, or not suspended."),
    ))]
#[allow(dead_code)]
fn credentials_reinstate() {}

/// Set a credential's public message status.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/status", tag = "admin", operation_id = "setCredentialStatus",
    params(("id" = String, Path, description = "The credential's uuid.")),
    request_body = NewStatus,
    responses(
        (status = 200, description = "The credential as it is now.", body = CredentialView),
        (status = 409, description = "The credential's state does not allow it."),
    ))]
#[allow(dead_code)]
fn credentials_status() {}

/// Issue a credential again with the current key (same facts and validity), superseding it.
#[utoipa::path(post, path = "/api/v1/credentials/{id}/reissue", tag = "admin", operation_id = "reissueCredential",
    params(("id" = String, Path, description = "The credential's uuid.")),
    responses(
        (status = 201, description = "Re-issued.", body = ApprovedView,
            headers(("Location" = String, description = "The new badge's URL."))),
        (status = 409, description = "Revoked, expired, superseded, or its tier is gone."),
    ))]
#[allow(dead_code)]
fn credentials_reissue() {}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", operation_id = "listAudit",
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows (default 100).")),
    responses(
        (status = 200, description = "Entries.", body = Vec<AuditEntry>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page."))),
        (status = 400, description = "A query parameter refused."),
    ))]
#[allow(dead_code)]
fn audit() {}

/// Webhook subscriptions.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "admin", operation_id = "listWebhooks",
    responses((status = 200, description = "Subscriptions.", body = Vec<WebhookView>)))]
#[allow(dead_code)]
fn webhooks_list() {}

/// Subscribe a URL to events.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "admin", operation_id = "createWebhook",
    request_body = NewWebhook,
    responses((status = 201, description = "Subscribed; the secret is shown this once.", body = WebhookCreated,
        headers(("Location" = String, description = "The subscription's URL.")))))]
#[allow(dead_code)]
fn webhooks_create() {}

/// One subscription.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "admin", operation_id = "getWebhook",
    params(("id" = String, Path, description = "The subscription's id.")),
    responses((status = 200, description = "The subscription.", body = WebhookView)))]
#[allow(dead_code)]
fn webhooks_show() {}

/// Delete a subscription.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "admin", operation_id = "deleteWebhook",
    params(("id" = String, Path, description = "The subscription's id.")),
    responses((status = 204, description = "Deleted.")))]
#[allow(dead_code)]
fn webhooks_delete() {}

/// A subscription's delivery log, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "admin", operation_id = "listDeliveries",
    params(
        ("id" = String, Path, description = "The subscription's id."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows a page (default 100)."),
        ("after" = Option<String>, Query, description = "The cursor of the page (from `Link`)."),
    ),
    responses(
        (status = 200, description = "A page of the log.", body = Vec<DeliveryView>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page."))),
        (status = 400, description = "A query parameter refused (an unknown one, a bad cursor)."),
    ))]
#[allow(dead_code)]
fn webhooks_deliveries() {}

/// API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", operation_id = "listTokens",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows a page (default 100)."),
        ("after" = Option<String>, Query, description = "The cursor of the page (from `Link`)."),
    ),
    responses(
        (status = 200, description = "Tokens.", body = Vec<TokenView>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page."))),
        (status = 400, description = "A query parameter unknown or refused."),
    ))]
#[allow(dead_code)]
fn tokens_list() {}

/// Create a token; its secret is returned this once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", operation_id = "createToken",
    request_body = NewToken,
    responses((status = 201, description = "Created.", body = TokenCreated)))]
#[allow(dead_code)]
fn tokens_create() {}

/// Revoke a token.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "admin", operation_id = "revokeToken",
    params(("id" = String, Path, description = "The token's id.")),
    responses((status = 200, description = "The token as it is now.", body = TokenView)))]
#[allow(dead_code)]
fn tokens_revoke() {}

/// VC API: sign a credential (VC 2.0 / OB 3.0) with the issuer's key, with status entries
/// as asked.
#[utoipa::path(post, path = "/credentials/issue", tag = "vc-api", operation_id = "issueCredential",
    request_body = IssueRequest,
    responses(
        (status = 201, description = "Issued.", body = IssueAnswer,
            headers(("Location" = String, description = "The badge's URL; its uuid is the admin API's `{id}`."))),
        (status = 422, description = "The credential or the options were refused."),
        (status = 503, description = "No free status index (retry later)."),
    ))]
#[allow(dead_code)]
fn vc_issue() {}

/// A badge: the signed credential as JSON (`Accept: application/json` or
/// `application/vc+ld+json`; a browser gets the badge's page).
#[utoipa::path(get, path = "/credentials/{id}", tag = "public", operation_id = "getBadge",
    params(("id" = String, Path, description = "The badge's uuid.")),
    responses(
        (status = 200, description = "The signed credential.", content(
            (JsonDocument = "application/json"),
            (JsonDocument = "application/vc+ld+json"),
            (String = "text/html"),
        )),
        (status = 304, description = "Not modified (`If-None-Match`)."),
    ))]
#[allow(dead_code)]
fn credential_document() {}

/// A status list credential (Bitstring Status List v1.0), cacheable for the configured TTL.
#[utoipa::path(get, path = "/status/{id}", tag = "public", operation_id = "getStatusList",
    params(("id" = String, Path, description = "The list's id.")),
    responses(
        (status = 200, description = "The status list credential.", body = JsonDocument,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified (`If-None-Match`)."),
    ))]
#[allow(dead_code)]
fn status_list() {}

/// The issuer's did:web DID document (current and retired keys).
#[utoipa::path(get, path = "/.well-known/did.json", tag = "public", operation_id = "getDidDocument",
    responses(
        (status = 200, description = "The DID document.", body = JsonDocument,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified (`If-None-Match`)."),
    ))]
#[allow(dead_code)]
fn did_document() {}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "public", operation_id = "health",
    responses((status = 200, description = "`ok`.", content((String = "text/plain")))))]
#[allow(dead_code)]
fn health() {}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "public", operation_id = "getOpenApi",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content((Object = "application/json")))))]
#[allow(dead_code)]
fn openapi_json() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_the_contract() {
        assert_eq!(role(&HttpMethod::Get, "/api/v1/partners"), Some("viewer"));
        assert_eq!(role(&HttpMethod::Post, "/api/v1/approvals"), Some("issuer"));
        assert_eq!(role(&HttpMethod::Get, "/api/v1/tokens"), Some("admin"));
        assert_eq!(
            role(&HttpMethod::Post, "/credentials/issue"),
            Some("issuer")
        );
        assert_eq!(role(&HttpMethod::Get, "/status/{id}"), None);
    }

    #[test]
    fn the_bulk_answer_follows_the_contract() {
        let doc = serde_json::to_value(document()).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["BulkAnswer"]["required"],
            serde_json::json!([
                "results",
                "dryRun",
                "rows",
                "issued",
                "refused",
                "replayed",
                "wouldIssue",
                "inFlight",
                "deferred"
            ])
        );
        // A refused row has no credential, an issued one no problems.
        assert_eq!(
            schemas["BulkRowResult"]["required"],
            serde_json::json!(["row", "status"])
        );
        // A request row: the approval's fields, the partner by id or by name and URL.
        assert_eq!(
            schemas["BulkRow"]["required"],
            serde_json::json!(["tier", "role", "approver"])
        );
        let bulk = &doc["paths"]["/api/v1/approvals/bulk"]["post"]["requestBody"]["content"];
        assert!(bulk["application/json"].is_object() && bulk["text/csv"].is_object());
    }

    #[test]
    fn every_post_takes_an_idempotency_key_and_errors_are_problem_details() {
        let doc = serde_json::to_value(document()).unwrap();
        let posts = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(path, item)| item.get("post").map(|op| (path, op)));
        let mut n = 0;
        for (path, op) in posts {
            n += 1;
            let params = op["parameters"].as_array().unwrap();
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
                "{path}"
            );
            for status in ["401", "409", "422"] {
                assert!(
                    op["responses"][status]["content"]["application/problem+json"].is_object(),
                    "{path} {status}"
                );
            }
        }
        assert!(n >= 10, "{n} POST operations");
    }
}
