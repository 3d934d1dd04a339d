//! `GET /openapi.json`: the OpenAPI 3.1 document of the verifier's VC API
//! (`POST /credentials/verify`, `POST /presentations/verify`) and `/healthz`.
//!
//! The handlers read their bodies as bytes (strict JSON: a duplicate key is a failed `parse`
//! check, not a 400), so the request and answer shapes are schema-only types here; the
//! problem responses of the shared layers are added by [`hallmark_http::openapi::finish`].
//! `crates/issuer/tests/openapi.rs` fails when a route of the router is missing here.

use std::sync::OnceLock;

use axum::response::Response;
use utoipa::{OpenApi, ToSchema};

/// The document's JSON text, built once.
fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| document().to_json().unwrap_or_default())
}

/// The verifier's OpenAPI 3.1 document (with the shared rules applied).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    hallmark_http::openapi::finish(&mut doc);
    for (_, _, op) in hallmark_http::openapi::operations_mut(&mut doc) {
        // The rate limit and the concurrency limit apply to every request.
        hallmark_http::openapi::add_problems(op, &[429, 503]);
    }
    doc
}

/// `GET /openapi.json`: public, cacheable.
pub(crate) async fn serve() -> Response {
    hallmark_http::openapi::document_response(text())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hallmark verifier",
        description = "The W3C VC API verify endpoints of a standalone Hallmark verifier: it fetches DID documents and status lists itself and checks issuers against its trust list. Every error is RFC 9457 problem details (`application/problem+json`); a credential that does not verify is a 422 with the report.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(verify_credential, verify_presentation, health, openapi_json),
    components(schemas(VerifyCredentialRequest, VerifyPresentationRequest, VerifyOptions,
        CheckName, CheckResult, VerifyResult, PresentationResult)),
    tags((name = "vc-api", description = "W3C VC API: verify.")),
)]
struct ApiDoc;

/// A check of the pipeline, as `options.checks` names it.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
enum CheckName {
    Parse,
    Proof,
    Issuer,
    Trust,
    Validity,
    Expiration,
    ValidFrom,
    ValidUntil,
    Status,
    CredentialStatus,
}

/// The VC API's verify options.
#[derive(ToSchema)]
#[allow(dead_code)]
struct VerifyOptions {
    /// Only these checks (and `parse`); the others are reported `skipped`. Default: all.
    checks: Option<Vec<CheckName>>,
    /// Presentations: the challenge the holder's proof must carry.
    challenge: Option<String>,
    /// Presentations: the domain the holder's proof must carry (a string or an array).
    #[schema(value_type = Option<Vec<String>>)]
    domain: (),
}

/// `POST /credentials/verify`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct VerifyCredentialRequest {
    /// The credential (a JSON object with its `proof`).
    #[schema(rename = "verifiableCredential", value_type = Object)]
    verifiable_credential: (),
    options: Option<VerifyOptions>,
}

/// `POST /presentations/verify`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct VerifyPresentationRequest {
    /// The presentation (a JSON object, with its holder's `proof` when one is asked for).
    #[schema(rename = "verifiablePresentation", value_type = Object)]
    verifiable_presentation: (),
    options: Option<VerifyOptions>,
}

/// One check's outcome.
#[derive(ToSchema)]
#[allow(dead_code)]
struct CheckResult {
    /// Which check (`parse`, `proof`, `issuer`, `trust`, `validity`, `status`, …).
    check: String,
    /// `passed`, `failed`, `unknown` or `skipped`.
    outcome: String,
    /// The spec's error code when failed or unknown.
    code: Option<String>,
    /// A sentence for people.
    detail: String,
}

/// The report on a credential: the verdict, every check, and the failing ones as problem
/// details.
#[derive(ToSchema)]
#[allow(dead_code)]
struct VerifyResult {
    verified: bool,
    checks: Vec<CheckResult>,
    /// What the credential says, when it could be read.
    #[schema(value_type = Option<Object>)]
    summary: (),
    /// The failed and unknown checks as problem details.
    #[schema(rename = "problemDetails", value_type = Vec<Object>)]
    problem_details: (),
}

/// The report on a presentation: its own checks and each credential's report.
#[derive(ToSchema)]
#[allow(dead_code)]
struct PresentationResult {
    verified: bool,
    checks: Vec<CheckResult>,
    #[schema(rename = "credentialResults")]
    credential_results: Option<Vec<VerifyResult>>,
    #[schema(rename = "problemDetails", value_type = Vec<Object>)]
    problem_details: (),
}

/// VC API: verify a credential (proof, issuer and trust list, validity, status).
#[utoipa::path(post, path = "/credentials/verify", tag = "vc-api", operation_id = "verifyCredential",
    request_body = VerifyCredentialRequest,
    responses(
        (status = 200, description = "Verified.", body = VerifyResult),
        (status = 400, description = "Not JSON, no `verifiableCredential`, or unknown `options.checks`."),
        (status = 422, description = "Not verified: the report says why.", content(
            (VerifyResult = "application/json"),
            (hallmark_http::openapi::ProblemDetails = "application/problem+json"),
        )),
    ))]
#[allow(dead_code)]
fn verify_credential() {}

/// VC API: verify a presentation and the credentials in it.
#[utoipa::path(post, path = "/presentations/verify", tag = "vc-api", operation_id = "verifyPresentation",
    request_body = VerifyPresentationRequest,
    responses(
        (status = 200, description = "Verified.", body = PresentationResult),
        (status = 400, description = "Not JSON, no `verifiablePresentation` object, or options refused."),
        (status = 422, description = "Not verified: the report says why.", content(
            (PresentationResult = "application/json"),
            (hallmark_http::openapi::ProblemDetails = "application/problem+json"),
        )),
    ))]
#[allow(dead_code)]
fn verify_presentation() {}

/// Liveness.
#[utoipa::path(get, path = "/healthz", operation_id = "health",
    responses((status = 200, description = "`ok`.", content((String = "text/plain")))))]
#[allow(dead_code)]
fn health() {}

/// This document.
#[utoipa::path(get, path = "/openapi.json", operation_id = "getOpenApi",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content((Object = "application/json")))))]
#[allow(dead_code)]
fn openapi_json() {}
