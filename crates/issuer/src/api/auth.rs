//! Who calls: admin endpoints take an [`Admin`] (a valid bearer token), the VC API issue
//! endpoint an [`IssueCaller`]. Both read only the headers, so an unauthenticated request is
//! refused before its body is read.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};

use crate::problem::Problem;
use crate::service::{AuthError, Issuer};

/// The caller of an admin endpoint: the name of a valid token.
pub(crate) struct Admin(pub String);

impl FromRequestParts<Issuer> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, issuer: &Issuer) -> Result<Self, Problem> {
        Ok(Self(authenticate(&parts.headers, issuer).await?))
    }
}

/// The caller of the VC API's `POST /credentials/issue`: the name of a valid token, or
/// `vc-api` when the endpoint is open.
pub(crate) struct IssueCaller(pub String);

impl FromRequestParts<Issuer> for IssueCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, issuer: &Issuer) -> Result<Self, Problem> {
        if issuer.config().open_issue_endpoint {
            Ok(Self("vc-api".to_owned()))
        } else {
            Ok(Self(authenticate(&parts.headers, issuer).await?))
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

async fn authenticate(headers: &HeaderMap, issuer: &Issuer) -> Result<String, AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::NoToken)?;
    let token = bearer_token(value).ok_or(AuthError::Malformed)?;
    issuer.authenticate(token).await
}
