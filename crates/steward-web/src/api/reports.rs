//! `/reports`: KPI reports as JSON and CSV, and reports mailed on a schedule.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::kpi::{Filter, Kpis};
use steward_domain::Timestamp;
use steward_store::reports::ReportSchedule;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::report_data::ReportQuery;
use crate::AppState;

/// Names of what a report counts, by id.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamesOut {
    pub organisations: BTreeMap<i64, String>,
    pub teams: BTreeMap<i64, String>,
    pub people: BTreeMap<i64, String>,
    pub categories: BTreeMap<i64, String>,
}

/// A rating's comment in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentOut {
    pub ticket_number: i64,
    pub rating: Option<u8>,
    pub comment: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub rated_at: Option<Timestamp>,
}

/// A KPI report: the period's figures and those of the same number of days before. Definitions:
/// `docs/reports.md`. Times are milliseconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    #[schema(value_type = String, format = Date)]
    pub from: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub to: jiff::civil::Date,
    pub zone: String,
    #[schema(value_type = Object)]
    pub filter: Filter,
    pub current: Kpis,
    #[schema(value_type = String, format = Date)]
    pub previous_from: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub previous_to: jiff::civil::Date,
    pub previous: Kpis,
    pub names: NamesOut,
    pub comments: Vec<CommentOut>,
    #[schema(value_type = String, format = DateTime)]
    pub generated_at: Timestamp,
}

fn sorted(m: std::collections::HashMap<i64, String>) -> BTreeMap<i64, String> {
    m.into_iter().collect()
}

impl From<steward_service::Report> for ReportOut {
    fn from(r: steward_service::Report) -> Self {
        ReportOut {
            from: r.from,
            to: r.to,
            zone: r.zone,
            filter: r.filter,
            current: r.current,
            previous_from: r.previous_from,
            previous_to: r.previous_to,
            previous: r.previous,
            names: NamesOut {
                organisations: sorted(r.names.organisations),
                teams: sorted(r.names.teams),
                people: sorted(r.names.people),
                categories: sorted(r.names.categories),
            },
            comments: r
                .comments
                .into_iter()
                .map(|(s, number)| CommentOut {
                    ticket_number: number,
                    rating: s.rating,
                    comment: s.comment,
                    rated_at: s.rated_at,
                })
                .collect(),
            generated_at: r.generated_at,
        }
    }
}

async fn report(
    s: &AppState,
    caller: &Caller,
    q: &ReportQuery,
) -> ApiResult<steward_service::Report> {
    let req = q.request(&s.service).await.map_err(ApiError::bad_query)?;
    Ok(s.service.report(caller.actor(), &req).await?)
}

/// The KPI report of a period (staff): the last 30 days unless `from`/`to` say otherwise.
#[utoipa::path(get, path = "/reports/kpis", tag = "reports", params(ReportQuery),
    responses((status = 200, body = ReportOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn kpis(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<ReportOut>> {
    Ok(Json(report(&s, &caller, &q).await?.into()))
}

/// The same report as CSV (`section,item,this period,previous period`; times in minutes).
#[utoipa::path(get, path = "/reports/kpis.csv", tag = "reports", params(ReportQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn kpis_csv(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let r = report(&s, &caller, &q).await?;
    Ok(export_csv(&s, caller.actor(), &r).await?)
}

/// A report as a CSV download, recorded in the audit log as an export.
pub async fn export_csv(
    s: &AppState,
    actor: &steward_domain::Actor,
    r: &steward_service::Report,
) -> Result<Response, steward_service::ServiceError> {
    s.service
        .audit_export(
            actor,
            "report",
            serde_json::json!({
                "from": r.from.to_string(), "to": r.to.to_string(),
                "filter": serde_json::to_value(&r.filter).unwrap_or_default(),
            }),
        )
        .await?;
    Ok(csv_response(r))
}

/// A report as a CSV download.
pub fn csv_response(r: &steward_service::Report) -> Response {
    let name = format!("steward-report-{}-{}.csv", r.from, r.to);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        crate::report_data::csv(r),
    )
        .into_response()
}

/// A report mailed on a schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleOut {
    pub id: i64,
    pub person_id: i64,
    /// `weekly` (Mondays, the week before) or `monthly` (the 1st, the month before).
    pub frequency: String,
    #[schema(value_type = Object)]
    pub filter: Filter,
    #[schema(value_type = String, format = DateTime)]
    pub next_run_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_sent_at: Option<Timestamp>,
}

impl From<ReportSchedule> for ScheduleOut {
    fn from(s: ReportSchedule) -> Self {
        ScheduleOut {
            id: s.id,
            person_id: s.person_id.0,
            frequency: s.frequency,
            filter: s.filter,
            next_run_at: s.next_run_at,
            last_sent_at: s.last_sent_at,
        }
    }
}

/// A report to mail to oneself on a schedule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleIn {
    /// `weekly` or `monthly`.
    pub frequency: String,
    /// Which tickets (`organisation`, `team`, `technician`, `type`, `priority`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub filter: Filter,
}

/// Scheduled reports: one's own (everyone's for managers and administrators).
#[utoipa::path(get, path = "/reports/schedules", tag = "reports",
    responses((status = 200, body = Vec<ScheduleOut>), (status = 403, body = ErrorBody)))]
pub async fn list_schedules(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<ScheduleOut>>> {
    let v = s.service.report_schedules(caller.actor()).await?;
    Ok(Json(v.into_iter().map(Into::into).collect()))
}

/// Have a report mailed to oneself every week or month (staff).
#[utoipa::path(post, path = "/reports/schedules", tag = "reports", request_body = ScheduleIn,
    responses((status = 201, body = ScheduleOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_schedule(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ScheduleIn>,
) -> ApiResult<(StatusCode, Json<ScheduleOut>)> {
    let v = s
        .service
        .schedule_report(caller.actor(), &b.frequency, b.filter)
        .await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// Stop a scheduled report.
#[utoipa::path(delete, path = "/reports/schedules/{id}", tag = "reports", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_schedule(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service.delete_report_schedule(caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
