//! `/downtimes`: outages of services, and each month's downtime against the commitments.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{OrgId, Timestamp};
use steward_service::NewDowntime;
use steward_store::downtime::{Commitment, Downtime};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, OptionalJson};
use crate::AppState;

/// An outage.
#[derive(Debug, Serialize, ToSchema)]
pub struct DowntimeOut {
    pub id: i64,
    pub service: String,
    /// Null: everyone was affected.
    pub organisation_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// Null: still going on.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
    pub note: String,
}

impl From<Downtime> for DowntimeOut {
    fn from(d: Downtime) -> Self {
        DowntimeOut {
            id: d.id,
            service: d.service,
            organisation_id: d.organisation_id.map(|o| o.0),
            started_at: d.started_at,
            ended_at: d.ended_at,
            note: d.note,
        }
    }
}

/// An outage to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DowntimeIn {
    pub service: String,
    pub organisation_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
    #[serde(default)]
    pub note: String,
}

/// Record an outage (staff).
#[utoipa::path(post, path = "/downtimes", tag = "service levels", request_body = DowntimeIn,
    responses((status = 201, body = DowntimeOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<DowntimeIn>,
) -> ApiResult<(StatusCode, Json<DowntimeOut>)> {
    let d = s
        .service
        .record_downtime(
            caller.actor(),
            NewDowntime {
                service: b.service,
                organisation_id: b.organisation_id.map(OrgId),
                started_at: b.started_at,
                ended_at: b.ended_at,
                note: b.note,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// When an outage ended (default: now).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndIn {
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
}

/// End an outage (staff).
#[utoipa::path(post, path = "/downtimes/{id}/end", tag = "service levels", params(("id" = i64, Path)), request_body = EndIn,
    responses((status = 200, body = DowntimeOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn end(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    body: OptionalJson<EndIn>,
) -> ApiResult<Json<DowntimeOut>> {
    let at = body.0.unwrap_or_default().ended_at;
    let d = s.service.end_downtime(caller.actor(), id, at).await?;
    Ok(Json(d.into()))
}

/// A month, as `2026-03`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    pub month: String,
}

fn month(q: &str) -> ApiResult<(i16, i8)> {
    let bad = || ApiError::bad_query("month: write it as 2026-03");
    let (y, m) = q.trim().split_once('-').ok_or_else(bad)?;
    let (y, m) = (
        y.parse::<i16>().map_err(|_| bad())?,
        m.parse::<i8>().map_err(|_| bad())?,
    );
    if !(1..=12).contains(&m) || !(1970..=9999).contains(&y) {
        return Err(bad());
    }
    Ok((y, m))
}

/// The outages that touch a month (staff).
#[utoipa::path(get, path = "/downtimes", tag = "service levels", params(MonthQuery),
    responses((status = 200, body = Vec<DowntimeOut>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<Vec<DowntimeOut>>> {
    let (y, m) = month(&q.month)?;
    let (from, to) = steward_domain::downtime::month_bounds(y, m, &jiff::tz::TimeZone::UTC)
        .ok_or_else(|| ApiError::bad_query("month: not a month"))?;
    let d = s.service.downtimes(caller.actor(), from, to).await?;
    Ok(Json(d.into_iter().map(DowntimeOut::from).collect()))
}

/// At most so many minutes of downtime a month.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentIo {
    #[serde(default)]
    pub id: i64,
    pub service: String,
    /// Null: for everyone.
    pub organisation_id: Option<i64>,
    pub max_minutes_per_month: i64,
    /// The months are counted in this zone (default UTC).
    #[serde(default = "utc")]
    pub time_zone: String,
}

fn utc() -> String {
    "UTC".into()
}

/// Set the commitment for a service (and organisation), replacing an earlier one (admins and
/// managers).
#[utoipa::path(put, path = "/downtime-commitments", tag = "service levels", request_body = CommitmentIo,
    responses((status = 200, body = CommitmentIo), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_commitment(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CommitmentIo>,
) -> ApiResult<Json<CommitmentIo>> {
    let c = s
        .service
        .set_downtime_commitment(
            caller.actor(),
            Commitment {
                id: 0,
                service: b.service,
                organisation_id: b.organisation_id.map(OrgId),
                max_minutes_per_month: b.max_minutes_per_month,
                time_zone: b.time_zone,
            },
        )
        .await?;
    Ok(Json(CommitmentIo {
        id: c.id,
        service: c.service,
        organisation_id: c.organisation_id.map(|o| o.0),
        max_minutes_per_month: c.max_minutes_per_month,
        time_zone: c.time_zone,
    }))
}

/// One commitment's month.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthOut {
    pub service: String,
    pub organisation_id: Option<i64>,
    pub max_minutes: i64,
    pub down_minutes: i64,
    /// Down no longer than allowed.
    pub kept: bool,
}

/// Each commitment's downtime in a month (staff).
#[utoipa::path(get, path = "/downtimes/report", tag = "service levels", params(MonthQuery),
    responses((status = 200, body = Vec<MonthOut>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn report(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<Vec<MonthOut>>> {
    let (y, m) = month(&q.month)?;
    let rows = s.service.downtime_report(caller.actor(), y, m).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| MonthOut {
                service: r.commitment.service,
                organisation_id: r.commitment.organisation_id.map(|o| o.0),
                max_minutes: r.commitment.max_minutes_per_month,
                down_minutes: r.down_minutes,
                kept: r.kept,
            })
            .collect(),
    ))
}
