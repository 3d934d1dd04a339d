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

/// The request body: the credential to sign (VC 2.0 / OB 3.0 JSON-LD, without `proof`) and
/// the options.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct IssueRequest {
    /// The unsigned credential (a JSON object).
    #[schema(value_type = Object)]
    credential: Value,
    /// The cryptosuite and status entries asked for.
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
