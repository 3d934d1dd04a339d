//! Monitoring (issue 15): `POST/GET /api/v1/applications`, `POST/GET /api/v1/attempts`,
//! `POST/GET /api/v1/partners/{id}/training`, `PUT/GET
//! /api/v1/partners/{id}/scorecards/{period}`, `GET /api/v1/partners/{id}/scorecards`,
//! `POST /api/v1/scorecards` (an import: CSV or a JSON array, all rows or none) and `GET
//! /api/v1/risks` (the open "at risk" flags). Viewers read, issuers record.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{Issuing, Viewer};
use super::{created, json_response, listing, ApiJson, ApiQuery};
use crate::problem::Problem;
use crate::service::{
    parse_scorecards, scorecard_json, Issuer, Metrics, MonitoringError, NewApplication, NewAttempt,
    NewTraining,
};
use hallmark_store::Page;

/// The problem of a monitoring error: an unknown partner in the path is a 404; everything
/// else the caller sent a 422 naming the field (an import's refused rows in `rows`).
pub(crate) fn problem(e: MonitoringError) -> Problem {
    match e {
        MonitoringError::Store(e) => e.into(),
        MonitoringError::Randomness(e) => Problem::internal("randomness", &e),
        MonitoringError::UnknownPartner { .. } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-partner",
            "Unknown partner",
            e.to_string(),
        ),
        MonitoringError::Limit | MonitoringError::Cursor(_) | MonitoringError::PartnerFilter(_) => {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-query",
                "The listing's parameters were refused",
                e.to_string(),
            )
        }
        MonitoringError::Rows { ref problems } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rows-refused",
            "Rows of the import were refused; nothing was written",
            e.to_string(),
        )
        .with("rows", json!(problems)),
        MonitoringError::Import(_) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable-import",
            "The import could not be read",
            e.to_string(),
        ),
        e => Problem::invalid(e.to_string()),
    }
}

/// A partner named in the path that does not exist: 404.
fn path_problem(e: MonitoringError) -> Problem {
    match e {
        MonitoringError::UnknownPartner { partner_id } => {
            Problem::not_found(format!("no partner {partner_id}"))
        }
        e => problem(e),
    }
}

/// `?partner=&limit=&after=` of the listings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// Of this partner only.
    partner: Option<String>,
    /// Rows a page: 1 to 1000, 100 by default.
    limit: Option<i64>,
    /// The cursor of the page: the previous page's `Link: rel="next"`.
    after: Option<String>,
}

/// `?limit=`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimitQuery {
    /// Rows at most: 1 to 1000, 100 by default.
    limit: Option<i64>,
}

fn given(p: &Option<String>) -> Option<&str> {
    p.as_deref().filter(|p| !p.is_empty())
}

/// A keyset page of rows as the listing at `path` answers it (`Link: rel="next"`).
fn page_of<T: serde::Serialize>(path: &str, raw: Option<&str>, page: Page<T>) -> Response {
    let items = page.items.iter().map(|r| json!(r)).collect();
    listing(path, raw, items, page.next.as_ref())
}

/// `201 Created` for a record of `list` (`applications`, `attempts`): its `Location` is the
/// partner's listing, where it stands first.
fn created_in(issuer: &Issuer, list: &str, partner: &str, body: &Value) -> Response {
    let base = &issuer.config().base_url;
    created(&format!("{base}/api/v1/{list}?partner={partner}"), body)
}

pub(super) async fn create_application(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<NewApplication>,
) -> Result<Response, Problem> {
    let row = issuer
        .record_application(&actor, &body)
        .await
        .map_err(problem)?;
    Ok(created_in(
        &issuer,
        "applications",
        &row.partner_id,
        &json!(row),
    ))
}

pub(super) async fn list_applications(
    _: Viewer,
    State(issuer): State<Issuer>,
    ApiQuery(q): ApiQuery<ListQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let page = issuer.applications(given(&q.partner), q.limit, given(&q.after));
    Ok(page_of(
        "/api/v1/applications",
        raw.as_deref(),
        page.await.map_err(problem)?,
    ))
}

pub(super) async fn create_attempt(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    ApiJson(body): ApiJson<NewAttempt>,
) -> Result<Response, Problem> {
    let row = issuer
        .record_attempt(&actor, &body)
        .await
        .map_err(problem)?;
    Ok(created_in(
        &issuer,
        "attempts",
        &row.partner_id,
        &json!(row),
    ))
}

pub(super) async fn list_attempts(
    _: Viewer,
    State(issuer): State<Issuer>,
    ApiQuery(q): ApiQuery<ListQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let page = issuer.attempts(given(&q.partner), q.limit, given(&q.after));
    Ok(page_of(
        "/api/v1/attempts",
        raw.as_deref(),
        page.await.map_err(problem)?,
    ))
}

pub(super) async fn record_training(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewTraining>,
) -> Result<Response, Problem> {
    let row = issuer
        .record_training(&actor, &id, &body)
        .await
        .map_err(path_problem)?;
    let location = format!("{}/api/v1/partners/{id}/training", issuer.config().base_url);
    Ok(created(&location, &json!(row)))
}

pub(super) async fn list_training(
    _: Viewer,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let rows = issuer.training(&id).await.map_err(path_problem)?;
    Ok(json_response(StatusCode::OK, &json!(rows)))
}

pub(super) async fn put_scorecard(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    Path((id, period)): Path<(String, String)>,
    ApiJson(body): ApiJson<Metrics>,
) -> Result<Response, Problem> {
    let (row, replaced) = issuer
        .put_scorecard(&actor, &id, &period, &body)
        .await
        .map_err(path_problem)?;
    let body = scorecard_json(&row);
    Ok(match replaced {
        true => json_response(StatusCode::OK, &body),
        false => {
            let location = format!(
                "{}/api/v1/partners/{id}/scorecards/{period}",
                issuer.config().base_url
            );
            created(&location, &body)
        }
    })
}

pub(super) async fn get_scorecard(
    _: Viewer,
    State(issuer): State<Issuer>,
    Path((id, period)): Path<(String, String)>,
) -> Result<Response, Problem> {
    match issuer.scorecard(&id, &period).await.map_err(path_problem)? {
        Some(row) => Ok(json_response(StatusCode::OK, &scorecard_json(&row))),
        None => Err(Problem::not_found(format!(
            "no scorecard of partner {id} for {period}"
        ))),
    }
}

pub(super) async fn list_scorecards(
    _: Viewer,
    State(issuer): State<Issuer>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<LimitQuery>,
) -> Result<Response, Problem> {
    let rows = issuer
        .scorecards(&id, q.limit)
        .await
        .map_err(path_problem)?;
    let items: Vec<Value> = rows.iter().map(scorecard_json).collect();
    Ok(json_response(StatusCode::OK, &Value::Array(items)))
}

/// `POST /api/v1/scorecards`: `text/csv` (header `partner_id,period,<metrics…>`) or
/// `application/json` (an array); 200 with one result a row (`created` or `replaced`), or
/// 422 `rows-refused` naming every refused row, nothing written.
pub(super) async fn import_scorecards(
    Issuing(actor): Issuing,
    State(issuer): State<Issuer>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let csv = match content_type.as_str() {
        "application/json" => false,
        "text/csv" => true,
        _ => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Expected Content-Type: application/json or text/csv",
                format!("{content_type:?}: send a JSON array of scorecards or a CSV file"),
            ))
        }
    };
    let rows = parse_scorecards(&body, csv).map_err(problem)?;
    let done = issuer
        .import_scorecards(&actor, rows)
        .await
        .map_err(problem)?;
    let results: Vec<Value> = done
        .iter()
        .enumerate()
        .map(|(i, (row, replaced))| {
            json!({
                "row": i + 1, "partner_id": row.partner_id, "period": row.period,
                "outcome": if *replaced { "replaced" } else { "created" },
            })
        })
        .collect();
    let created = done.iter().filter(|(_, r)| !r).count();
    Ok(json_response(
        StatusCode::OK,
        &json!({"created": created, "replaced": done.len() - created, "rows": results}),
    ))
}

pub(super) async fn list_risks(
    _: Viewer,
    State(issuer): State<Issuer>,
    ApiQuery(q): ApiQuery<ListQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let page = issuer.risks(given(&q.partner), q.limit, given(&q.after));
    Ok(page_of(
        "/api/v1/risks",
        raw.as_deref(),
        page.await.map_err(problem)?,
    ))
}

/// The OpenAPI path stubs and response shapes of these routes, merged into the document by
/// [`super::openapi::document`] (the same [`super::openapi::Rules`]).
pub(super) mod doc {
    #![allow(dead_code)]

    use utoipa::{OpenApi, ToSchema};

    use crate::api::openapi::Rules;

    #[allow(unused_imports)] // Named by the path stubs' attributes.
    use crate::service::{Metrics, NewApplication, NewAttempt, NewTraining, ScorecardImportRow};

    /// The monitoring routes' part of the document.
    #[derive(OpenApi)]
    #[openapi(
        paths(
            applications_create, applications_list, attempts_create, attempts_list,
            training_create, training_list, scorecard_put, scorecard_get, scorecards_list,
            scorecards_import, risks_list,
        ),
        components(schemas(Application, Attempt, Training, Scorecard, ImportAnswer, ImportRowResult,
            Risk, MissedView, RowProblemView, Metrics, NewApplication, NewAttempt, NewTraining,
            ScorecardImportRow)),
        modifiers(&Rules),
    )]
    pub(in crate::api) struct MonitoringDoc;

    /// An application (or enrolment).
    #[derive(ToSchema)]
    struct Application {
        /// UUID.
        id: String,
        /// The partner.
        partner_id: String,
        /// The tier's slug, or null for a specialization.
        tier: Option<String>,
        /// The specialization's id, or null for a tier.
        specialization: Option<String>,
        /// The role's slug.
        role: String,
        /// Unix seconds.
        applied_at: i64,
        /// Unix seconds.
        created_at: i64,
    }

    /// An assessment attempt.
    #[derive(ToSchema)]
    struct Attempt {
        /// UUID.
        id: String,
        /// The partner.
        partner_id: String,
        /// Its application.
        application_id: Option<String>,
        /// The tier's slug.
        tier: Option<String>,
        /// The specialization's id.
        specialization: Option<String>,
        /// The role's slug.
        role: String,
        /// `exam` or `demo`.
        kind: String,
        /// Percent (exams).
        exam_score: Option<i64>,
        /// Rubric level (demos).
        demo_level: Option<String>,
        /// Whether it met the bar of its tier or specialization.
        passed: bool,
        /// Unix seconds.
        attempted_at: i64,
        /// Unix seconds.
        created_at: i64,
    }

    /// A completed training module.
    #[derive(ToSchema)]
    struct Training {
        /// The partner.
        partner_id: String,
        /// The module's id.
        module: String,
        /// Unix seconds.
        completed_at: i64,
    }

    /// A scorecard: the period, its bounds, the partner's tier when recorded, the metrics
    /// (null: not measured).
    #[derive(ToSchema)]
    struct Scorecard {
        /// The partner.
        partner_id: String,
        /// `YYYY-Qn`.
        period: String,
        /// Unix seconds.
        period_start: i64,
        /// Unix seconds (the next period's start).
        period_end: i64,
        /// The partner's highest-ranked tier with a badge in force when recorded.
        tier: Option<String>,
        /// Unix seconds.
        recorded_at: i64,
        /// Percent.
        win_rate: Option<f64>,
        /// Percent.
        first_pass_quality: Option<f64>,
        /// Percent.
        rework: Option<f64>,
        /// −100 to 100.
        nps: Option<f64>,
        /// Percent.
        margin: Option<f64>,
        /// Percent.
        attach_rate: Option<f64>,
        /// The program's currency.
        influenced_pipeline: Option<f64>,
        /// Percent.
        nrr: Option<f64>,
        /// Percent.
        csat: Option<f64>,
    }

    /// One imported row.
    #[derive(ToSchema)]
    struct ImportRowResult {
        /// The row, from 1.
        row: usize,
        /// The partner.
        partner_id: String,
        /// The period.
        period: String,
        /// `created` or `replaced`.
        outcome: String,
    }

    /// An import's result.
    #[derive(ToSchema)]
    struct ImportAnswer {
        /// Scorecards created.
        created: usize,
        /// Scorecards replaced.
        replaced: usize,
        /// One result a row.
        rows: Vec<ImportRowResult>,
    }

    /// A refused row of an import (the `rows` member of a `rows-refused` problem).
    #[derive(ToSchema)]
    struct RowProblemView {
        /// The row, from 1.
        row: usize,
        /// Why.
        detail: String,
    }

    /// A threshold missed.
    #[derive(ToSchema)]
    struct MissedView {
        /// The metric.
        metric: String,
        /// Its value.
        value: f64,
        /// The floor (ceiling for rework).
        threshold: f64,
    }

    /// An open "at risk" flag on a tier badge.
    #[derive(ToSchema)]
    struct Risk {
        /// UUID.
        id: String,
        /// The tier badge (uuid).
        credential_id: String,
        /// The partner.
        partner_id: String,
        /// The scorecard's period.
        period: String,
        /// What was missed.
        missed: Vec<MissedView>,
        /// Unix seconds.
        flagged_at: i64,
        /// When the notice period ends (suspension, where the program suspends), Unix seconds.
        notice_until: i64,
        /// When suspended for it, Unix seconds.
        suspended_at: Option<i64>,
        /// Null while open.
        cleared_at: Option<i64>,
        /// Null while open.
        cleared_by: Option<String>,
    }

    /// Records that a partner applied (or enrolled) for a tier or a specialization.
    #[utoipa::path(post, path = "/api/v1/applications", tag = "admin", operation_id = "createApplication",
        request_body = NewApplication,
        responses((status = 201, description = "Recorded.", body = Application)))]
    fn applications_create() {}

    /// Applications, newest first.
    #[utoipa::path(get, path = "/api/v1/applications", tag = "admin", operation_id = "listApplications",
        params(
            ("partner" = Option<String>, Query, description = "Of this partner (its id)."),
            ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows a page (default 100)."),
            ("after" = Option<String>, Query, description = "The cursor of the page (from `Link`)."),
        ),
        responses((status = 200, description = "Applications.", body = Vec<Application>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page."))),
            (status = 400, description = "A query parameter unknown or refused.")))]
    fn applications_list() {}

    /// Records an assessment attempt; whether it passed follows from its tier's bar.
    #[utoipa::path(post, path = "/api/v1/attempts", tag = "admin", operation_id = "createAttempt",
        request_body = NewAttempt,
        responses((status = 201, description = "Recorded.", body = Attempt)))]
    fn attempts_create() {}

    /// Attempts, newest first.
    #[utoipa::path(get, path = "/api/v1/attempts", tag = "admin", operation_id = "listAttempts",
        params(
            ("partner" = Option<String>, Query, description = "Of this partner (its id)."),
            ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows a page (default 100)."),
            ("after" = Option<String>, Query, description = "The cursor of the page (from `Link`)."),
        ),
        responses((status = 200, description = "Attempts.", body = Vec<Attempt>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page."))),
            (status = 400, description = "A query parameter unknown or refused.")))]
    fn attempts_list() {}

    /// Records a completed training module.
    #[utoipa::path(post, path = "/api/v1/partners/{id}/training", tag = "admin", operation_id = "recordTraining",
        params(("id" = String, Path, description = "The partner's id.")),
        request_body = NewTraining,
        responses((status = 201, description = "Recorded.", body = Training),
            (status = 404, description = "No such partner.")))]
    fn training_create() {}

    /// A partner's completed modules.
    #[utoipa::path(get, path = "/api/v1/partners/{id}/training", tag = "admin", operation_id = "listTraining",
        params(("id" = String, Path, description = "The partner's id.")),
        responses((status = 200, description = "Modules.", body = Vec<Training>),
            (status = 404, description = "No such partner.")))]
    fn training_list() {}

    /// Records (or replaces) a partner's scorecard of a quarter.
    #[utoipa::path(put, path = "/api/v1/partners/{id}/scorecards/{period}", tag = "admin", operation_id = "putScorecard",
        params(("id" = String, Path, description = "The partner's id."),
            ("period" = String, Path, pattern = "^[0-9]{4}-Q[1-4]$", description = "`YYYY-Qn`.")),
        request_body = Metrics,
        responses((status = 200, description = "Replaced.", body = Scorecard),
            (status = 201, description = "Recorded.", body = Scorecard),
            (status = 404, description = "No such partner."),
            (status = 422, description = "A bad period or metric.")))]
    fn scorecard_put() {}

    /// A partner's scorecard of a quarter.
    #[utoipa::path(get, path = "/api/v1/partners/{id}/scorecards/{period}", tag = "admin", operation_id = "getScorecard",
        params(("id" = String, Path, description = "The partner's id."),
            ("period" = String, Path, pattern = "^[0-9]{4}-Q[1-4]$", description = "`YYYY-Qn`.")),
        responses((status = 200, description = "The scorecard.", body = Scorecard),
            (status = 404, description = "No such partner or scorecard."),
            (status = 422, description = "A bad period.")))]
    fn scorecard_get() {}

    /// A partner's scorecards, latest first.
    #[utoipa::path(get, path = "/api/v1/partners/{id}/scorecards", tag = "admin", operation_id = "listScorecards",
        params(("id" = String, Path, description = "The partner's id."),
            ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows at most (default 100).")),
        responses((status = 200, description = "Scorecards.", body = Vec<Scorecard>),
            (status = 400, description = "A query parameter unknown or refused."),
            (status = 404, description = "No such partner.")))]
    fn scorecards_list() {}

    /// Imports scorecards: `text/csv` with the header `partner_id,period,<metrics…>`, or a
    /// JSON array. All rows or none: any refused row refuses the import (422
    /// `rows-refused`, every refused row in `rows`).
    #[utoipa::path(post, path = "/api/v1/scorecards", tag = "admin", operation_id = "importScorecards",
        request_body(content(
            (Vec<ScorecardImportRow> = "application/json"),
            (String = "text/csv"),
        )),
        responses((status = 200, description = "One result per row.", body = ImportAnswer),
            (status = 415, description = "Neither JSON nor CSV.")))]
    fn scorecards_import() {}

    /// The open "at risk" flags, oldest first.
    #[utoipa::path(get, path = "/api/v1/risks", tag = "admin", operation_id = "listRisks",
        params(
            ("partner" = Option<String>, Query, description = "Of this partner (its id)."),
            ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Rows a page (default 100)."),
            ("after" = Option<String>, Query, description = "The cursor of the page (from `Link`)."),
        ),
        responses((status = 200, description = "Open flags.", body = Vec<Risk>,
            headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page."))),
            (status = 400, description = "A query parameter unknown or refused.")))]
    fn risks_list() {}
}
