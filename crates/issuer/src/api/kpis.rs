//! `GET /api/v1/kpis`: the program's KPIs over a window of days (viewer role).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::auth::Viewer;
use super::ApiQuery;
use crate::problem::Problem;
use crate::service::{Issuer, KpiError, KpiQuery, Kpis};

/// `GET /api/v1/kpis[?from=&to=&tier=&role=]`: the KPIs now (the server's clock).
pub(super) async fn show(
    _: Viewer,
    State(issuer): State<Issuer>,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<Kpis>, Problem> {
    let at = time::OffsetDateTime::now_utc();
    Ok(Json(issuer.kpis(&q, at).await?))
}

impl From<KpiError> for Problem {
    fn from(e: KpiError) -> Self {
        match e.parameter() {
            Some(parameter) => Self::new(
                StatusCode::BAD_REQUEST,
                "bad-query",
                "The KPI query's parameters were refused",
                e.to_string(),
            )
            .with("parameter", serde_json::Value::from(parameter)),
            None => match e {
                KpiError::Store(e) => e.into(),
                e => Self::internal("kpis", &e),
            },
        }
    }
}

/// The program's KPIs over a window of whole UTC days (default: the last four quarters to
/// today), optionally for one tier and role; see each member for its exact definition.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "admin", operation_id = "getKpis",
    params(KpiQuery),
    responses(
        (status = 200, description = "The KPIs.", body = Kpis),
        (status = 400, description = "A query parameter unknown or refused (`parameter` names it)."),
    ))]
#[allow(dead_code)]
pub(super) fn doc() {}
