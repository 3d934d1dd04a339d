//! What both services' OpenAPI 3.1 documents share (`GET /openapi.json`): the RFC 9457
//! problem-details schema, the problem responses an operation can give, the
//! `Idempotency-Key` request header, and the handler that serves a document.
//!
//! Each service declares its own operations (utoipa path stubs beside its router) and calls
//! [`finish`] on its document, which adds to every operation the responses that come from
//! the shared layers ([`crate::layers`]: 400, 408, 413, 415 …) so that they are documented
//! once, here, by rule.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterIn};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use crate::PROBLEM_JSON;

/// RFC 9457 problem details, the body of every error response of both services
/// (`application/problem+json`). Extension members (RFC 9457 §3.2) may follow, e.g.
/// `shortfalls` of a refused approval or `errors` of a refused bulk row.
#[derive(ToSchema)]
#[schema(
    as = ProblemDetails,
    example = json!({
        "type": "urn:hallmark:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no credential 7f0c…"
    })
)]
#[allow(dead_code)]
pub struct ProblemDetails {
    /// `urn:hallmark:problem:{slug}`: what kind of problem (RFC 9457 §3.1.1).
    r#type: String,
    /// A short summary of the kind.
    title: String,
    /// The HTTP status code.
    status: u16,
    /// What happened and what to do about it, for people.
    detail: String,
}

/// What a status code means in every operation that may answer it (the response's
/// description in the document).
fn meaning(status: u16) -> &'static str {
    match status {
        400 => "Bad request: malformed JSON, or a query parameter that is unknown or refused (named in `detail`).",
        401 => "No token, a malformed `Authorization` header, or an unknown or revoked token.",
        403 => "The token's role may not do this (`detail` names the role needed and the token's role).",
        404 => "No such resource (or no such endpoint).",
        408 => "The request took longer than the server allows (10 s).",
        409 => "Conflict: the resource's state does not allow the change, or a request with the same `Idempotency-Key` is still in flight.",
        413 => "The request body is larger than the configured limit.",
        415 => "The request body is not `application/json` (or another type this operation accepts).",
        422 => "The body is well-formed but refused (`detail` names the field and why), or the `Idempotency-Key` was used before with another body.",
        429 => "Too many requests from this address (`Retry-After` says when to retry).",
        503 => "Overloaded or no capacity left (e.g. no free status index); `Retry-After` says when to retry.",
        _ => "An error, as problem details.",
    }
}

/// A problem-details response for `status`, referring to the [`ProblemDetails`] schema.
pub fn problem_response(status: u16) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(meaning(status))
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("ProblemDetails"))),
        )
        .build()
        .into()
}

/// Adds problem responses for `statuses` to `op` (keeping any the operation declared).
pub fn add_problems(op: &mut Operation, statuses: &[u16]) {
    for status in statuses {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem_response(*status));
    }
}

/// The `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header): a
/// retried request with the same key gets the stored response again.
pub fn idempotency_key() -> Parameter {
    let mut p = Parameter::new("Idempotency-Key");
    p.parameter_in = ParameterIn::Header;
    p.required = Required::False;
    p.description = Some(
        "A unique key (e.g. a UUID) of this request, 1 to 255 bytes of printable ASCII (an \
         sf-string `\"…\"` or bare): a retry with the same key and the same request (method, \
         path and query, content type, body) gets the stored response again (header \
         `Idempotent-Replayed: true`); the same key with another request is a 422, while the \
         first is still in flight a 409, a malformed key a 400."
            .into(),
    );
    p.schema = Some(RefOr::T(
        Object::builder()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(255))
            .into(),
    ));
    p
}

/// Every operation of `doc` with its method and path.
pub fn operations_mut(doc: &mut OpenApi) -> Vec<(HttpMethod, String, &mut Operation)> {
    let mut out = Vec::new();
    for (path, item) in &mut doc.paths.paths {
        for (method, op) in [
            (HttpMethod::Get, item.get.as_mut()),
            (HttpMethod::Put, item.put.as_mut()),
            (HttpMethod::Post, item.post.as_mut()),
            (HttpMethod::Delete, item.delete.as_mut()),
            (HttpMethod::Patch, item.patch.as_mut()),
        ] {
            if let Some(op) = op {
                out.push((method, path.clone(), op));
            }
        }
    }
    out
}

/// Adds what the shared layers give every operation: 408 (the request timeout) everywhere;
/// for an operation with a request body, 400 (malformed JSON), 413 and 415; for one with a
/// path parameter, 404; `application/problem+json` content on every error response declared
/// without one. Then registers [`ProblemDetails`] among the schemas.
pub fn finish(doc: &mut OpenApi) {
    for (_, path, op) in operations_mut(doc) {
        add_problems(op, &[408]);
        if op.request_body.is_some() {
            add_problems(op, &[400, 413, 415, 422]);
        }
        if path.contains('{') {
            add_problems(op, &[404]);
        }
        // Error responses an operation declared with a description alone are problem
        // details too.
        for (status, response) in &mut op.responses.responses {
            if let RefOr::T(response) = response {
                if status.parse::<u16>().is_ok_and(|s| s >= 400) && response.content.is_empty() {
                    let problem = Content::new(Some(Ref::from_schema_name("ProblemDetails")));
                    response
                        .content
                        .insert(PROBLEM_JSON.to_owned(), problem.into());
                }
            }
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    let mut schemas = Vec::new();
    <ProblemDetails as ToSchema>::schemas(&mut schemas);
    schemas.push(("ProblemDetails".into(), ProblemDetails::schema()));
    components.schemas.extend(schemas);
}

/// `GET /openapi.json`: the document's text as `application/json`, public and cacheable for
/// an hour (it changes only with the binary).
pub fn document_response(text: &'static str) -> Response {
    let mut response = (StatusCode::OK, text).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_details_schema_names_the_rfc_9457_members() {
        let schema = serde_json::to_value(ProblemDetails::schema()).unwrap();
        for member in ["type", "title", "status", "detail"] {
            assert!(
                schema["properties"][member].is_object(),
                "{member}: {schema}"
            );
        }
        assert_eq!(schema["properties"]["status"]["type"], "integer");
    }

    #[test]
    fn idempotency_key_is_an_optional_header() {
        let p = serde_json::to_value(idempotency_key()).unwrap();
        assert_eq!(p["in"], "header");
        assert_eq!(p["required"], false);
        assert_eq!(p["schema"]["maxLength"], 255);
    }
}
