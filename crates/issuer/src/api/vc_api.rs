//! VC API `POST /credentials/issue` (`{credential, options}` → 201
//! `{verifiableCredential}`, `Location` the uuid the admin API takes).

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::IssueCaller;
use super::{created, ApiJson};
use crate::problem::Problem;
use crate::service::{IssueOptions, Issuer};

/// The request body.
#[derive(Deserialize)]
pub(super) struct IssueRequest {
    credential: Value,
    #[serde(default)]
    options: IssueOptions,
}

pub(super) async fn issue(
    IssueCaller(actor): IssueCaller,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<IssueRequest>,
) -> Result<Response, Problem> {
    let issued = issuer
        .issue_vc(&actor, body.credential, &body.options)
        .await?;
    let location = issuer.credential_url(&issued.row.id);
    Ok(created(
        &location,
        &json!({"verifiableCredential": issued.document}),
    ))
}
