//! `/tickets`: create, read, list, change, converse, history.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::{
    CategoryId, Channel, EventAction, Field, HistoryEntry, Impact, Message, MessageKind, Named,
    OrgId, PersonId, Priority, Status, TeamId, Ticket, TicketId, TicketType, Timestamp, Urgency,
};
use steward_service::{CreateTicket, MessageInput, TicketUpdate};
use steward_store::tickets::{PageRequest, TicketFilter, TicketSort};
use utoipa::{IntoParams, ToSchema};

use super::{nullable, List};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

/// A ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketOut {
    pub id: i64,
    /// The number people use, as in "#1234".
    pub number: i64,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub subject: String,
    pub status: Status,
    pub impact: Impact,
    pub urgency: Urgency,
    pub priority: Priority,
    pub category_id: Option<i64>,
    pub requester_id: i64,
    pub organisation_id: Option<i64>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub channel: Channel,
    pub tags: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_responded_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    /// How often the ticket was reopened after being resolved.
    pub reopen_count: i64,
    /// The soonest due instant of its running service-level clocks (see `/tickets/{id}/sla`).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sla_due_at: Option<Timestamp>,
}

impl From<Ticket> for TicketOut {
    fn from(t: Ticket) -> Self {
        TicketOut {
            id: t.id.0,
            number: t.number,
            ticket_type: t.ticket_type,
            subject: t.subject,
            status: t.status,
            impact: t.impact,
            urgency: t.urgency,
            priority: t.priority,
            category_id: t.category_id.map(|c| c.0),
            requester_id: t.requester_id.0,
            organisation_id: t.organisation_id.map(|o| o.0),
            team_id: t.team_id.map(|x| x.0),
            assignee_id: t.assignee_id.map(|x| x.0),
            channel: t.channel,
            tags: t.tags,
            created_at: t.created_at,
            updated_at: t.updated_at,
            first_responded_at: t.first_responded_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            reopen_count: t.reopen_count,
            sla_due_at: t.sla_due_at,
        }
    }
}

/// A new ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketIn {
    /// Default `incident`.
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketType>,
    /// One line, 1–250 characters.
    pub subject: String,
    /// The description; becomes the first public message.
    pub body: Option<String>,
    /// Whose request this is. Required for staff; requesters always ask for themselves.
    pub requester_id: Option<i64>,
    /// Default `medium`.
    pub impact: Option<Impact>,
    /// Default `medium`.
    pub urgency: Option<Urgency>,
    /// Staff only; derived from impact × urgency when absent.
    pub priority: Option<Priority>,
    pub category_id: Option<i64>,
    /// Staff only.
    pub team_id: Option<i64>,
    /// Staff only.
    pub assignee_id: Option<i64>,
    /// Default `api`. Requesters may only use `api` or `portal`.
    pub channel: Option<Channel>,
    /// Staff only.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Changes to a ticket (staff only). Absent fields stay; `null` clears the fields that can be empty.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicketIn {
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketType>,
    pub subject: Option<String>,
    /// Moves through the status state machine; impossible moves are refused with 409.
    pub status: Option<Status>,
    /// Re-derives the priority unless `priority` is also given.
    pub impact: Option<Impact>,
    /// Re-derives the priority unless `priority` is also given.
    pub urgency: Option<Urgency>,
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub category_id: Option<Option<i64>>,
    /// Moves the ticket to this requester (and their organisation).
    pub requester_id: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

/// List filters. Lists take comma-separated values (`status=new,open`).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// Statuses, comma-separated.
    pub status: Option<String>,
    /// Priorities, comma-separated.
    pub priority: Option<String>,
    /// Types, comma-separated.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub ticket_type: Option<String>,
    /// A person's id, `me`, or `none` for unassigned.
    pub assignee: Option<String>,
    /// A team's id, or `none`.
    pub team: Option<String>,
    pub organisation: Option<i64>,
    pub requester: Option<i64>,
    pub tag: Option<String>,
    /// Only tickets updated at or after this instant (RFC 3339).
    pub updated_since: Option<String>,
    /// `updated` (default), `created`, `priority` or `number`.
    pub sort: Option<String>,
    /// `desc` (default) or `asc`. For `priority`, `asc` puts critical first.
    pub order: Option<String>,
    /// From `next_cursor` of the previous page (with the same sort and order).
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

fn list_of<T: Named>(param: &'static str, v: &Option<String>) -> ApiResult<Vec<T>> {
    v.as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| T::parse(s).map_err(|e| ApiError::bad_query(format!("{param}: {e}"))))
        .collect()
}

fn id_or_none(param: &'static str, v: &str, me: Option<PersonId>) -> ApiResult<Option<i64>> {
    match v {
        "none" => Ok(None),
        "me" if param == "assignee" => me
            .map(|p| Some(p.0))
            .ok_or_else(|| ApiError::bad_query("assignee=me needs a signed-in person")),
        _ => v.parse::<i64>().map(Some).map_err(|_| {
            ApiError::bad_query(format!("{param}: expected an id or \"none\", got {v:?}"))
        }),
    }
}

impl TicketQuery {
    fn filter(&self, me: Option<PersonId>) -> ApiResult<TicketFilter> {
        let updated_since = match &self.updated_since {
            Some(s) => Some(s.parse::<Timestamp>().map_err(|e| {
                ApiError::bad_query(format!("updated_since: expected an RFC 3339 instant: {e}"))
            })?),
            None => None,
        };
        Ok(TicketFilter {
            statuses: list_of("status", &self.status)?,
            priorities: list_of("priority", &self.priority)?,
            types: list_of("type", &self.ticket_type)?,
            assignee: self
                .assignee
                .as_deref()
                .map(|a| id_or_none("assignee", a, me).map(|o| o.map(PersonId)))
                .transpose()?,
            team: self
                .team
                .as_deref()
                .map(|t| id_or_none("team", t, me).map(|o| o.map(TeamId)))
                .transpose()?,
            organisation: self.organisation.map(OrgId),
            requester: self.requester.map(PersonId),
            tag: self
                .tag
                .as_deref()
                .map(|t| {
                    steward_domain::validate::tag(t)
                        .map_err(|e| ApiError::bad_query(format!("tag: {e}")))
                })
                .transpose()?,
            updated_since,
        })
    }

    fn page(&self) -> ApiResult<PageRequest> {
        let sort = match self.sort.as_deref().unwrap_or("updated") {
            "updated" => TicketSort::Updated,
            "created" => TicketSort::Created,
            "priority" => TicketSort::Priority,
            "number" => TicketSort::Number,
            "due" => TicketSort::Due,
            other => {
                return Err(ApiError::bad_query(format!(
                    "sort: {other:?} is not one of updated, created, priority, number, due"
                )))
            }
        };
        let descending = match self.order.as_deref().unwrap_or("desc") {
            "desc" => true,
            "asc" => false,
            other => {
                return Err(ApiError::bad_query(format!(
                    "order: {other:?} is not asc or desc"
                )))
            }
        };
        let tag = cursor_tag(sort, descending);
        let after = match &self.cursor {
            Some(c) => {
                let bad = || {
                    ApiError::bad_query("cursor: not a cursor of this list (same sort and order)")
                };
                let mut parts = c.split('.');
                match (parts.next(), parts.next(), parts.next(), parts.next()) {
                    (Some(t), Some(k), Some(i), None) if t == tag => Some((
                        k.parse::<i64>().map_err(|_| bad())?,
                        i.parse::<i64>().map_err(|_| bad())?,
                    )),
                    _ => return Err(bad()),
                }
            }
            None => None,
        };
        Ok(PageRequest {
            sort,
            descending,
            after,
            limit: super::limit(self.limit)?,
        })
    }
}

fn cursor_tag(sort: TicketSort, descending: bool) -> &'static str {
    match (sort, descending) {
        (TicketSort::Updated, true) => "ud",
        (TicketSort::Updated, false) => "ua",
        (TicketSort::Created, true) => "cd",
        (TicketSort::Created, false) => "ca",
        (TicketSort::Priority, true) => "pd",
        (TicketSort::Priority, false) => "pa",
        (TicketSort::Number, true) => "nd",
        (TicketSort::Number, false) => "na",
        (TicketSort::Due, true) => "dd",
        (TicketSort::Due, false) => "da",
    }
}

/// A public reply or internal note.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: i64,
    pub ticket_id: i64,
    /// `null` when Steward itself wrote it.
    pub author_id: Option<i64>,
    pub kind: MessageKind,
    pub body: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<Message> for MessageOut {
    fn from(m: Message) -> Self {
        MessageOut {
            id: m.id.0,
            ticket_id: m.ticket_id.0,
            author_id: m.author_id.map(|a| a.0),
            kind: m.kind,
            body: m.body,
            created_at: m.created_at,
        }
    }
}

/// A reply (`public`, the default) or a note (`internal`, staff only).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    #[serde(default = "public")]
    pub kind: MessageKind,
    pub body: String,
    /// Staff only: the status to move to in the same step (e.g. `pending_requester`).
    pub status: Option<Status>,
}

fn public() -> MessageKind {
    MessageKind::Public
}

/// A message and the ticket as it is after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageCreated {
    pub message: MessageOut,
    pub ticket: TicketOut,
}

/// One entry of a ticket's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who did it; `null` for Steward itself.
    pub actor_id: Option<i64>,
    pub action: EventAction,
    /// For `changed`: which field.
    pub field: Option<Field>,
    /// For `changed`: the value before (for tags: the tag removed).
    pub old: Option<String>,
    /// For `changed`: the value after (for tags: the tag added).
    pub new: Option<String>,
}

impl From<HistoryEntry> for HistoryOut {
    fn from(h: HistoryEntry) -> Self {
        let (field, old, new) = match h.change {
            Some(c) => (Some(c.field), c.old, c.new),
            None => (None, None, None),
        };
        HistoryOut {
            id: h.id,
            at: h.at,
            actor_id: h.actor_id.map(|a| a.0),
            action: h.action,
            field,
            old,
            new,
        }
    }
}

/// List the tickets you may see.
#[utoipa::path(get, path = "/tickets", tag = "tickets", params(TicketQuery),
    responses((status = 200, body = List<TicketOut>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<TicketQuery>,
) -> ApiResult<Json<List<TicketOut>>> {
    let filter = query.filter(caller.actor().person_id)?;
    let page = query.page()?;
    let tag = cursor_tag(page.sort, page.descending);
    let result = s
        .service
        .list_tickets(caller.actor(), &filter, page)
        .await?;
    Ok(Json(List {
        next_cursor: result.next.map(|(k, i)| format!("{tag}.{k}.{i}")),
        items: result.items.into_iter().map(TicketOut::from).collect(),
    }))
}

/// Open a ticket.
#[utoipa::path(post, path = "/tickets", tag = "tickets", request_body = CreateTicketIn,
    responses((status = 201, body = TicketOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateTicketIn>,
) -> ApiResult<(StatusCode, Json<TicketOut>)> {
    let t = s
        .service
        .create_ticket(
            caller.actor(),
            CreateTicket {
                ticket_type: b.ticket_type,
                subject: b.subject,
                body: b.body,
                requester_id: b.requester_id.map(PersonId),
                impact: b.impact,
                urgency: b.urgency,
                priority: b.priority,
                category_id: b.category_id.map(CategoryId),
                team_id: b.team_id.map(TeamId),
                assignee_id: b.assignee_id.map(PersonId),
                channel: b.channel,
                tags: b.tags,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// A ticket by id.
#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = TicketOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TicketOut>> {
    Ok(Json(
        s.service
            .get_ticket(caller.actor(), TicketId(id))
            .await?
            .into(),
    ))
}

/// A ticket by its number.
#[utoipa::path(get, path = "/tickets/number/{number}", tag = "tickets", params(("number" = i64, Path)),
    responses((status = 200, body = TicketOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_by_number(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<i64>,
) -> ApiResult<Json<TicketOut>> {
    Ok(Json(
        s.service
            .get_ticket_by_number(caller.actor(), number)
            .await?
            .into(),
    ))
}

/// Change a ticket's fields (staff).
#[utoipa::path(patch, path = "/tickets/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = UpdateTicketIn,
    responses((status = 200, body = TicketOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateTicketIn>,
) -> ApiResult<Json<TicketOut>> {
    let t = s
        .service
        .update_ticket(
            caller.actor(),
            TicketId(id),
            TicketUpdate {
                ticket_type: b.ticket_type,
                subject: b.subject,
                status: b.status,
                impact: b.impact,
                urgency: b.urgency,
                priority: b.priority,
                category_id: b.category_id.map(|c| c.map(CategoryId)),
                requester_id: b.requester_id.map(PersonId),
                team_id: b.team_id.map(|t| t.map(TeamId)),
                assignee_id: b.assignee_id.map(|a| a.map(PersonId)),
                add_tags: b.add_tags,
                remove_tags: b.remove_tags,
            },
        )
        .await?;
    Ok(Json(t.into()))
}

/// The conversation: public replies, and internal notes for staff.
#[utoipa::path(get, path = "/tickets/{id}/messages", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<MessageOut>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn messages(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<MessageOut>>> {
    let ms = s.service.messages(caller.actor(), TicketId(id)).await?;
    Ok(Json(ms.into_iter().map(MessageOut::from).collect()))
}

/// Reply, or add an internal note (staff), optionally changing the status in the same step.
#[utoipa::path(post, path = "/tickets/{id}/messages", tag = "tickets", params(("id" = i64, Path)), request_body = MessageIn,
    responses((status = 201, body = MessageCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_message(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MessageIn>,
) -> ApiResult<(StatusCode, Json<MessageCreated>)> {
    let (m, t) = s
        .service
        .add_message(
            caller.actor(),
            TicketId(id),
            MessageInput {
                kind: b.kind,
                body: b.body,
                status: b.status,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(MessageCreated {
            message: m.into(),
            ticket: t.into(),
        }),
    ))
}

/// The ticket's append-only history (staff).
#[utoipa::path(get, path = "/tickets/{id}/history", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryOut>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<HistoryOut>>> {
    let h = s.service.history(caller.actor(), TicketId(id)).await?;
    Ok(Json(h.into_iter().map(HistoryOut::from).collect()))
}
