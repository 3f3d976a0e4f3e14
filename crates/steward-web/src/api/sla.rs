//! Service levels: `/calendars`, `/sla-policies`, and a ticket's clocks (`/tickets/{id}/sla`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::calendar::{holidays_from_ical, CalendarDef};
use steward_domain::sla::{Applies, Clock, ClockState, Escalation, Target, Targets};
use steward_domain::{Status, TicketId, Timestamp};
use steward_service::PolicyInput;
use steward_store::sla::{SlaPolicy, StoredCalendar};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::AppState;

/// A business calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarOut {
    pub id: i64,
    pub name: String,
    #[serde(flatten)]
    pub definition: CalendarDef,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<StoredCalendar> for CalendarOut {
    fn from(c: StoredCalendar) -> Self {
        CalendarOut {
            id: c.id,
            name: c.name,
            definition: c.def,
            updated_at: c.updated_at,
        }
    }
}

/// A calendar to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarIn {
    pub name: String,
    #[serde(flatten)]
    pub definition: CalendarDef,
}

/// The business calendars (staff).
#[utoipa::path(get, path = "/calendars", tag = "service levels",
    responses((status = 200, body = Vec<CalendarOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_calendars(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<CalendarOut>>> {
    let c = s.service.calendars(caller.actor()).await?;
    Ok(Json(c.into_iter().map(CalendarOut::from).collect()))
}

/// Create a business calendar (admins and managers).
#[utoipa::path(post, path = "/calendars", tag = "service levels", request_body = CalendarIn,
    responses((status = 201, body = CalendarOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_calendar(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CalendarIn>,
) -> ApiResult<(StatusCode, Json<CalendarOut>)> {
    let c = s
        .service
        .create_calendar(caller.actor(), &b.name, b.definition)
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Replace a calendar (admins and managers); the clocks of open tickets follow.
#[utoipa::path(put, path = "/calendars/{id}", tag = "service levels", params(("id" = i64, Path)), request_body = CalendarIn,
    responses((status = 200, body = CalendarOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_calendar(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CalendarIn>,
) -> ApiResult<Json<CalendarOut>> {
    let c = s
        .service
        .update_calendar(caller.actor(), id, &b.name, b.definition)
        .await?;
    Ok(Json(c.into()))
}

/// Delete a calendar no policy uses (admins and managers).
#[utoipa::path(delete, path = "/calendars/{id}", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_calendar(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service.delete_calendar(caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An iCalendar file's text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IcalIn {
    pub ical: String,
}

/// Add the all-day events of an iCalendar file to a calendar's holidays (admins and managers).
#[utoipa::path(post, path = "/calendars/{id}/holidays", tag = "service levels", params(("id" = i64, Path)), request_body = IcalIn,
    responses((status = 200, body = CalendarOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_holidays(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<IcalIn>,
) -> ApiResult<Json<CalendarOut>> {
    let actor = caller.actor();
    let Some(c) = s
        .service
        .calendars(actor)
        .await?
        .into_iter()
        .find(|c| c.id == id)
    else {
        return Err(steward_service::ServiceError::NotFound("calendar").into());
    };
    let mut def = c.def;
    let found = holidays_from_ical(&b.ical).map_err(steward_service::ServiceError::from)?;
    for h in found {
        if !def.holidays.contains(&h) {
            def.holidays.push(h);
        }
    }
    let c = s.service.update_calendar(actor, id, &c.name, def).await?;
    Ok(Json(c.into()))
}

/// An SLA policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyOut {
    pub id: i64,
    pub name: String,
    /// Among matching policies, the lowest position wins.
    pub position: i64,
    /// None: 24 hours a day, 7 days a week.
    pub calendar_id: Option<i64>,
    pub applies: Applies,
    pub targets: PriorityTargets,
    pub pause_in: Vec<Status>,
    pub warn_percent: u8,
    /// What a breach sets off.
    pub escalation: Escalation,
    pub is_default: bool,
}

/// Targets per priority, in business minutes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PriorityTargets {
    pub critical: Targets,
    pub high: Targets,
    pub medium: Targets,
    pub low: Targets,
}

impl From<SlaPolicy> for PolicyOut {
    fn from(p: SlaPolicy) -> Self {
        let [critical, high, medium, low] = p.rules.targets;
        PolicyOut {
            id: p.id,
            name: p.name,
            position: p.position,
            calendar_id: p.calendar_id,
            applies: p.applies,
            targets: PriorityTargets {
                critical,
                high,
                medium,
                low,
            },
            pause_in: p.rules.pause_in,
            warn_percent: p.rules.warn_percent,
            escalation: p.escalation,
            is_default: p.is_default,
        }
    }
}

/// A policy to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyIn {
    pub name: String,
    #[serde(default)]
    pub position: i64,
    pub calendar_id: Option<i64>,
    #[serde(default)]
    pub applies: Applies,
    pub targets: PriorityTargets,
    /// Default: ["pending_requester"].
    pub pause_in: Option<Vec<Status>>,
    /// Default 75.
    pub warn_percent: Option<u8>,
    /// Default: tell the assignee (or team) and the team leads.
    pub escalation: Option<Escalation>,
    #[serde(default)]
    pub is_default: bool,
}

impl From<PolicyIn> for PolicyInput {
    fn from(b: PolicyIn) -> Self {
        let t = b.targets;
        PolicyInput {
            name: b.name,
            position: b.position,
            calendar_id: b.calendar_id,
            applies: b.applies,
            targets: [t.critical, t.high, t.medium, t.low],
            pause_in: b.pause_in,
            warn_percent: b.warn_percent,
            escalation: b.escalation,
            is_default: b.is_default,
        }
    }
}

/// The SLA policies, in order of precedence (staff).
#[utoipa::path(get, path = "/sla-policies", tag = "service levels",
    responses((status = 200, body = Vec<PolicyOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_policies(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<PolicyOut>>> {
    let p = s.service.sla_policies(caller.actor()).await?;
    Ok(Json(p.into_iter().map(PolicyOut::from).collect()))
}

/// Create an SLA policy (admins and managers); open tickets are matched again.
#[utoipa::path(post, path = "/sla-policies", tag = "service levels", request_body = PolicyIn,
    responses((status = 201, body = PolicyOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_policy(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<PolicyIn>,
) -> ApiResult<(StatusCode, Json<PolicyOut>)> {
    let p = s
        .service
        .create_sla_policy(caller.actor(), b.into())
        .await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// Replace an SLA policy (admins and managers); open tickets are matched again.
#[utoipa::path(put, path = "/sla-policies/{id}", tag = "service levels", params(("id" = i64, Path)), request_body = PolicyIn,
    responses((status = 200, body = PolicyOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_policy(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PolicyIn>,
) -> ApiResult<Json<PolicyOut>> {
    let p = s
        .service
        .update_sla_policy(caller.actor(), id, b.into())
        .await?;
    Ok(Json(p.into()))
}

/// Delete an SLA policy (admins and managers).
#[utoipa::path(delete, path = "/sla-policies/{id}", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_policy(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service.delete_sla_policy(caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One of a ticket's clocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockOut {
    pub target: Target,
    pub state: ClockState,
    /// When it runs out (absent while it stands still with time left).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub warn_at: Option<Timestamp>,
    /// When it stopped (met, or breached and stopped).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_at: Option<Timestamp>,
    /// Business minutes left now (negative: overdue).
    pub remaining_minutes: i64,
    pub allowed_minutes: i64,
}

impl From<Clock> for ClockOut {
    fn from(c: Clock) -> Self {
        ClockOut {
            target: c.target,
            state: c.state,
            due_at: c.due,
            warn_at: c.warn_at,
            stopped_at: c.stopped_at,
            remaining_minutes: c.remaining.as_secs().div_euclid(60),
            allowed_minutes: c.allowed.as_secs() / 60,
        }
    }
}

/// A ticket's service level.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketSlaOut {
    pub policy_id: Option<i64>,
    pub policy_name: Option<String>,
    pub clocks: Vec<ClockOut>,
}

/// The ticket's service level and clocks as of now.
#[utoipa::path(get, path = "/tickets/{id}/sla", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = TicketSlaOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn ticket_sla(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TicketSlaOut>> {
    let (policy, clocks) = s
        .service
        .ticket_clocks(caller.actor(), TicketId(id))
        .await?;
    Ok(Json(TicketSlaOut {
        policy_id: policy.as_ref().map(|p| p.id),
        policy_name: policy.map(|p| p.name),
        clocks: clocks.into_iter().map(ClockOut::from).collect(),
    }))
}

/// A job of the scheduler that failed for good.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailedJobOut {
    pub id: i64,
    pub kind: String,
    pub ticket_id: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub run_at: Timestamp,
}

/// The scheduler's failed jobs, newest first (administrators).
#[utoipa::path(get, path = "/jobs/failed", tag = "service levels",
    responses((status = 200, body = Vec<FailedJobOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn failed_jobs(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<FailedJobOut>>> {
    let jobs = s.service.failed_jobs(caller.actor()).await?;
    Ok(Json(
        jobs.into_iter()
            .map(|j| FailedJobOut {
                id: j.id,
                kind: j.kind,
                ticket_id: j.ticket_id.map(|t| t.0),
                attempts: j.attempts,
                last_error: j.last_error,
                run_at: j.run_at,
            })
            .collect(),
    ))
}

/// An automation rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOut {
    pub id: i64,
    pub name: String,
    /// Rules run in order of position.
    pub position: i64,
    pub enabled: bool,
    #[serde(flatten)]
    pub definition: steward_domain::rules::RuleDef,
}

impl From<steward_domain::rules::Rule> for RuleOut {
    fn from(r: steward_domain::rules::Rule) -> Self {
        RuleOut {
            id: r.id,
            name: r.name,
            position: r.position,
            enabled: r.enabled,
            definition: r.def,
        }
    }
}

/// A rule to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleIn {
    pub name: String,
    #[serde(default)]
    pub position: i64,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(flatten)]
    pub definition: steward_domain::rules::RuleDef,
}

fn yes() -> bool {
    true
}

impl From<RuleIn> for steward_service::RuleInput {
    fn from(r: RuleIn) -> Self {
        steward_service::RuleInput {
            name: r.name,
            position: r.position,
            enabled: r.enabled,
            def: r.definition,
        }
    }
}

/// The automation rules, in order (staff).
#[utoipa::path(get, path = "/rules", tag = "service levels",
    responses((status = 200, body = Vec<RuleOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_rules(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<RuleOut>>> {
    let r = s.service.rules(caller.actor()).await?;
    Ok(Json(r.into_iter().map(RuleOut::from).collect()))
}

/// Create a rule (admins and managers).
#[utoipa::path(post, path = "/rules", tag = "service levels", request_body = RuleIn,
    responses((status = 201, body = RuleOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_rule(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<RuleIn>,
) -> ApiResult<(StatusCode, Json<RuleOut>)> {
    let r = s.service.create_rule(caller.actor(), b.into()).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// Replace a rule (admins and managers).
#[utoipa::path(put, path = "/rules/{id}", tag = "service levels", params(("id" = i64, Path)), request_body = RuleIn,
    responses((status = 200, body = RuleOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_rule(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RuleIn>,
) -> ApiResult<Json<RuleOut>> {
    let r = s.service.update_rule(caller.actor(), id, b.into()).await?;
    Ok(Json(r.into()))
}

/// Delete a rule (admins and managers).
#[utoipa::path(delete, path = "/rules/{id}", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_rule(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service.delete_rule(caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which open tickets would a rule's conditions match now? Nothing is changed (staff).
#[utoipa::path(post, path = "/rules/test", tag = "service levels", request_body = RuleIn,
    responses((status = 200, body = Vec<i64>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn test_rule(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<RuleIn>,
) -> ApiResult<Json<Vec<i64>>> {
    let t = s.service.test_rule(caller.actor(), &b.definition).await?;
    Ok(Json(t.into_iter().map(|t| t.number).collect()))
}
