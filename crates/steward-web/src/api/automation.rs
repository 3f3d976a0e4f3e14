//! `/notifications` (a member of staff's own), `/tickets/{id}/reminder` (one's own reminder on a
//! ticket) and `/recurring-tickets` (tickets opened on a schedule).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{CategoryId, PersonId, Priority, TeamId, TicketId, TicketType, Timestamp};
use steward_service::{RecurringInput, RecurringTemplate, RecurringTicket, Reminder};
use steward_store::automation::Notification;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

/// Something you were told about.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<i64>,
    /// `new_in_queue`, `assigned`, `requester_replied`, `sla_warning`, `sla_breach`, `rule`, `reminder`.
    pub kind: String,
    pub title: String,
    pub body: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Null: unread.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<Timestamp>,
}

impl From<Notification> for NotificationOut {
    fn from(n: Notification) -> Self {
        NotificationOut {
            id: n.id,
            ticket_id: n.ticket_id.map(|t| t.0),
            ticket_number: n.ticket_number,
            kind: n.kind,
            title: n.title,
            body: n.body,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// Which notifications.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// Only unread ones.
    #[serde(default)]
    pub unread: bool,
    /// Older than this id (the last id of the previous page).
    pub before: Option<i64>,
    /// At most this many (1–100, default 50).
    pub limit: Option<i64>,
}

/// Your notifications and how many are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationsOut {
    pub unread: i64,
    pub items: Vec<NotificationOut>,
}

/// Your notifications, newest first (staff).
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = NotificationsOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_notifications(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<NotificationsOut>> {
    let items = s
        .service
        .notifications(caller.actor(), q.unread, q.before, q.limit.unwrap_or(50))
        .await?;
    let unread = s.service.unread_notifications(caller.actor()).await?;
    Ok(Json(NotificationsOut {
        unread,
        items: items.into_iter().map(NotificationOut::from).collect(),
    }))
}

/// How many changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedOut {
    pub marked: u64,
}

/// Mark all your notifications read (staff).
#[utoipa::path(post, path = "/notifications/read", tag = "notifications",
    responses((status = 200, body = MarkedOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn read_all(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<MarkedOut>> {
    let marked = s
        .service
        .mark_notifications_read(caller.actor(), None)
        .await?;
    Ok(Json(MarkedOut { marked }))
}

/// Mark one of your notifications read (staff). Another's is not found.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = MarkedOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read_one(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MarkedOut>> {
    let marked = s
        .service
        .mark_notifications_read(caller.actor(), Some(id))
        .await?;
    Ok(Json(MarkedOut { marked }))
}

/// A reminder you set on a ticket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderIo {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    #[serde(default)]
    pub note: String,
}

impl From<Reminder> for ReminderIo {
    fn from(r: Reminder) -> Self {
        ReminderIo {
            at: r.at,
            note: r.note,
        }
    }
}

/// Your reminder on a ticket (staff); null when none is set.
#[utoipa::path(get, path = "/tickets/{id}/reminder", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Option<ReminderIo>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_reminder(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Option<ReminderIo>>> {
    let r = s.service.reminder(caller.actor(), TicketId(id)).await?;
    Ok(Json(r.map(ReminderIo::from)))
}

/// Set or move your reminder on a ticket (staff): at that instant you are notified in the app
/// (and by mail when staff mail is on).
#[utoipa::path(put, path = "/tickets/{id}/reminder", tag = "tickets", params(("id" = i64, Path)), request_body = ReminderIo,
    responses((status = 200, body = ReminderIo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_reminder(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReminderIo>,
) -> ApiResult<Json<ReminderIo>> {
    let r = s
        .service
        .set_reminder(caller.actor(), TicketId(id), b.at, &b.note)
        .await?;
    Ok(Json(r.into()))
}

/// Remove your reminder on a ticket (staff).
#[utoipa::path(delete, path = "/tickets/{id}/reminder", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_reminder(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service
        .cancel_reminder(caller.actor(), TicketId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The ticket a schedule opens.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateIo {
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(rename = "type", default)]
    pub ticket_type: Option<TicketType>,
    pub requester_id: i64,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub team_id: Option<i64>,
    #[serde(default)]
    pub assignee_id: Option<i64>,
    #[serde(default)]
    pub category_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A schedule that opens tickets.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecurringOut {
    pub id: i64,
    pub name: String,
    /// iCalendar RRULE, e.g. `FREQ=MONTHLY;BYDAY=1MO`.
    pub rrule: String,
    /// The first occurrence, local date and time (`2026-01-05T09:00`).
    pub starts: String,
    pub time_zone: String,
    pub enabled: bool,
    /// The rule in words.
    pub description: String,
    pub template: TemplateIo,
    /// The next few occurrences.
    #[schema(value_type = Vec<String>)]
    pub upcoming: Vec<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_run_at: Option<Timestamp>,
    /// The number of the last ticket it opened.
    pub last_ticket_id: Option<i64>,
}

impl From<RecurringTicket> for RecurringOut {
    fn from(r: RecurringTicket) -> Self {
        let t = r.template;
        RecurringOut {
            id: r.stored.id,
            name: r.stored.name,
            rrule: r.stored.rrule,
            starts: r.stored.starts_local,
            time_zone: r.stored.time_zone,
            enabled: r.stored.enabled,
            description: r.description,
            template: TemplateIo {
                subject: t.subject,
                body: t.body,
                ticket_type: t.ticket_type,
                requester_id: t.requester_id.0,
                priority: t.priority,
                team_id: t.team_id.map(|x| x.0),
                assignee_id: t.assignee_id.map(|x| x.0),
                category_id: t.category_id.map(|x| x.0),
                tags: t.tags,
            },
            upcoming: r.upcoming,
            last_run_at: r.stored.last_run_at,
            last_ticket_id: r.stored.last_ticket.map(|t| t.0),
        }
    }
}

/// A schedule to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurringIn {
    pub name: String,
    pub rrule: String,
    pub starts: String,
    #[serde(default = "utc")]
    pub time_zone: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub template: TemplateIo,
}

fn utc() -> String {
    "UTC".into()
}

fn yes() -> bool {
    true
}

impl From<RecurringIn> for RecurringInput {
    fn from(r: RecurringIn) -> Self {
        let t = r.template;
        RecurringInput {
            name: r.name,
            rrule: r.rrule,
            starts: r.starts,
            time_zone: r.time_zone,
            enabled: r.enabled,
            template: RecurringTemplate {
                subject: t.subject,
                body: t.body,
                ticket_type: t.ticket_type,
                requester_id: PersonId(t.requester_id),
                priority: t.priority,
                team_id: t.team_id.map(TeamId),
                assignee_id: t.assignee_id.map(PersonId),
                category_id: t.category_id.map(CategoryId),
                tags: t.tags,
            },
        }
    }
}

/// The schedules that open tickets (staff).
#[utoipa::path(get, path = "/recurring-tickets", tag = "service levels",
    responses((status = 200, body = Vec<RecurringOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_recurring(
    State(s): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<RecurringOut>>> {
    let r = s.service.recurring_tickets(caller.actor()).await?;
    Ok(Json(r.into_iter().map(RecurringOut::from).collect()))
}

/// Create a schedule (admins and managers).
#[utoipa::path(post, path = "/recurring-tickets", tag = "service levels", request_body = RecurringIn,
    responses((status = 201, body = RecurringOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_recurring(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<RecurringIn>,
) -> ApiResult<(StatusCode, Json<RecurringOut>)> {
    let r = s
        .service
        .save_recurring(caller.actor(), None, b.into())
        .await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// A schedule (staff).
#[utoipa::path(get, path = "/recurring-tickets/{id}", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 200, body = RecurringOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_recurring(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RecurringOut>> {
    Ok(Json(
        s.service.recurring_ticket(caller.actor(), id).await?.into(),
    ))
}

/// Replace a schedule (admins and managers).
#[utoipa::path(put, path = "/recurring-tickets/{id}", tag = "service levels", params(("id" = i64, Path)), request_body = RecurringIn,
    responses((status = 200, body = RecurringOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_recurring(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RecurringIn>,
) -> ApiResult<Json<RecurringOut>> {
    let r = s
        .service
        .save_recurring(caller.actor(), Some(id), b.into())
        .await?;
    Ok(Json(r.into()))
}

/// Delete a schedule (admins and managers). Tickets it opened stay.
#[utoipa::path(delete, path = "/recurring-tickets/{id}", tag = "service levels", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_recurring(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.service.delete_recurring(caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
