//! Who calls, and whether their token's role may do what they ask (issue 14). Every admin
//! route takes one of [`Viewer`] (any valid token: the read-only `GET`s), [`Issuing`]
//! (role `issuer` or `admin`: approvals, status changes, partners) or [`Admin`] (role
//! `admin`: tokens, keys, webhooks, the program); the VC API issue endpoint an
//! [`IssueCaller`]. They read only the headers, so a request is refused before its body is
//! read: 401 problem+json without a token or with an unknown or revoked one, 403 `forbidden`
//! naming the role needed and the token's. The token is looked up on every request (no
//! cache): a revocation takes effect at the next one.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use hallmark_store::Role;

use crate::problem::Problem;
use crate::service::{AuthError, Issuer};

/// The caller of a read-only admin endpoint: the name of any valid token.
pub(crate) struct Viewer(#[allow(dead_code)] pub String);

/// The caller of an endpoint that issues or changes badges or partners: the name of a
/// valid token of role `issuer` or `admin`.
pub(crate) struct Issuing(pub String);

/// The caller of an endpoint that changes tokens, keys, webhooks or the program: the name
/// of a valid token of role `admin`.
pub(crate) struct Admin(pub String);

impl FromRequestParts<Issuer> for Viewer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, issuer: &Issuer) -> Result<Self, Problem> {
        Ok(Self(authorize(&parts.headers, issuer, Role::Viewer).await?))
    }
}

impl FromRequestParts<Issuer> for Issuing {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, issuer: &Issuer) -> Result<Self, Problem> {
        Ok(Self(authorize(&parts.headers, issuer, Role::Issuer).await?))
    }
}

impl FromRequestParts<Issuer> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, issuer: &Issuer) -> Result<Self, Problem> {
        Ok(Self(authorize(&parts.headers, issuer, Role::Admin).await?))
    }
}

/// The caller of the VC API's `POST /credentials/issue`: the name of a valid token of role
/// `issuer` or `admin`, or `vc-api` when the endpoint is open.
pub(crate) struct IssueCaller(pub String);

impl FromRequestParts<Issuer> for IssueCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, issuer: &Issuer) -> Result<Self, Problem> {
        if issuer.config().open_issue_endpoint {
            Ok(Self("vc-api".to_owned()))
        } else {
            Ok(Self(authorize(&parts.headers, issuer, Role::Issuer).await?))
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

async fn authorize(
    headers: &HeaderMap,
    issuer: &Issuer,
    needed: Role,
) -> Result<String, AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::NoToken)?;
    let token = bearer_token(value).ok_or(AuthError::Malformed)?;
    issuer.authorize(token, needed).await
}
