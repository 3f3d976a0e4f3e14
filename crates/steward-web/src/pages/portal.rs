//! The requester portal: one's requests, a new request, the public conversation.

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Form;
use serde::Deserialize;
use steward_domain::{CategoryId, Channel, MessageKind, Named, Status, TicketType};
use steward_service::{CreateTicket, MessageInput, ServiceError};
use steward_store::tickets::{PageRequest, TicketFilter, TicketSort};

use super::{
    ago, notice, render, see_other, status_label, type_choices, type_label, when, Choice, CsrfOnly,
    Layout, PageCaller, PageError, PageResult,
};
use crate::AppState;

/// A request in the list.
pub struct RequestRow {
    pub number: i64,
    pub subject: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub mine: bool,
    pub updated: String,
    pub updated_exact: String,
}

#[derive(askama::Template)]
#[template(path = "portal_list.html")]
struct ListPage {
    layout: Layout,
    open: Vec<RequestRow>,
    done: Vec<RequestRow>,
    shows_organisation: bool,
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn rows(
    tickets: &[steward_domain::Ticket],
    me: Option<steward_domain::PersonId>,
    now: jiff::Timestamp,
) -> Vec<RequestRow> {
    tickets
        .iter()
        .map(|t| RequestRow {
            number: t.number,
            subject: t.subject.clone(),
            status: t.status.as_str(),
            status_label: portal_status(t.status),
            mine: Some(t.requester_id) == me,
            updated: ago(t.updated_at, now),
            updated_exact: when(t.updated_at),
        })
        .collect()
}

/// Status in the requester's words.
fn portal_status(s: Status) -> &'static str {
    match s {
        Status::New => "Received",
        Status::Open | Status::PendingVendor => "In progress",
        Status::PendingRequester => "Waiting for your reply",
        other => status_label(other),
    }
}

/// `GET /portal`: one's requests (and the organisation's, where granted).
pub async fn list(
    State(s): State<AppState>,
    caller: PageCaller,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let actor = caller.actor();
    let page = |statuses: Vec<Status>| {
        let s = s.clone();
        async move {
            s.service
                .list_tickets(
                    actor,
                    &TicketFilter {
                        statuses,
                        ..Default::default()
                    },
                    PageRequest {
                        sort: TicketSort::Updated,
                        descending: true,
                        after: None,
                        limit: 100,
                    },
                )
                .await
        }
    };
    let open = page(vec![
        Status::New,
        Status::Open,
        Status::PendingRequester,
        Status::PendingVendor,
    ])
    .await?;
    let done = page(vec![Status::Resolved, Status::Closed]).await?;
    let now = s.service.now();
    Ok(render(&ListPage {
        layout: caller.layout("My requests", "portal", notice(q.notice.as_deref())),
        open: rows(&open.items, actor.person_id, now),
        done: rows(&done.items, actor.person_id, now),
        shows_organisation: actor.org_access && actor.organisation_id.is_some(),
    }))
}

#[derive(askama::Template)]
#[template(path = "portal_new.html")]
struct NewPage {
    layout: Layout,
    subject: String,
    body: String,
    type_choices: Vec<Choice>,
    category_choices: Vec<Choice>,
    form_error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct NewForm {
    csrf: Option<String>,
    subject: Option<String>,
    body: Option<String>,
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    category: Option<String>,
}

async fn new_page(
    s: &AppState,
    caller: &PageCaller,
    f: &NewForm,
    error: Option<String>,
) -> PageResult {
    let categories = s.service.list_categories(caller.actor()).await?;
    let chosen = f.category.clone().unwrap_or_default();
    let mut category_choices = vec![Choice::new("", "Not sure", chosen.is_empty())];
    category_choices.extend(
        categories
            .iter()
            .map(|c| Choice::new(c.id.to_string(), c.name.clone(), c.id.to_string() == chosen)),
    );
    let ticket_type = f
        .ticket_type
        .as_deref()
        .and_then(|t| TicketType::parse(t).ok())
        .unwrap_or(TicketType::Incident);
    // Requesters ask for help or for something; problems and changes are staff work.
    let types = type_choices(Some(ticket_type))
        .into_iter()
        .filter(|c| c.value == "incident" || c.value == "service_request")
        .map(|mut c| {
            c.label = if c.value == "incident" {
                "Something is broken".into()
            } else {
                "I need something".into()
            };
            c
        })
        .collect();
    Ok(render(&NewPage {
        layout: caller.layout("New request", "portal-new", None),
        subject: f.subject.clone().unwrap_or_default(),
        body: f.body.clone().unwrap_or_default(),
        type_choices: types,
        category_choices,
        form_error: error,
    }))
}

/// `GET /portal/new`.
pub async fn new_form(State(s): State<AppState>, caller: PageCaller) -> PageResult {
    new_page(&s, &caller, &NewForm::default(), None).await
}

/// `POST /portal/new`.
pub async fn create(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<NewForm>,
) -> PageResult {
    caller.check_csrf(f.csrf.as_deref().unwrap_or_default())?;
    let ticket_type = match f.ticket_type.as_deref() {
        Some("service_request") => TicketType::ServiceRequest,
        _ => TicketType::Incident,
    };
    let category = match f
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => {
            Some(CategoryId(c.parse().map_err(|_| {
                PageError::Invalid("category: not an id".into())
            })?))
        }
        None => None,
    };
    let body = f.body.clone().filter(|b| !b.trim().is_empty());
    let result = s
        .service
        .create_ticket(
            caller.actor(),
            CreateTicket {
                ticket_type: Some(ticket_type),
                subject: f.subject.clone().unwrap_or_default(),
                body,
                requester_id: caller.actor().person_id,
                category_id: category,
                channel: Some(Channel::Portal),
                ..Default::default()
            },
        )
        .await;
    match result {
        Ok(t) => Ok(see_other(&format!(
            "/portal/tickets/{}?notice=created",
            t.number
        ))),
        Err(ServiceError::Invalid { field, message }) => {
            let what = if field == "subject" {
                "The summary"
            } else {
                "The description"
            };
            let res = new_page(&s, &caller, &f, Some(format!("{what} {message}."))).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, res).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A message as the requester sees it.
pub struct PortalMessage {
    pub author: &'static str,
    pub mine: bool,
    pub body: String,
    /// Quoted history and signature, shown collapsed.
    pub folded: Option<String>,
    pub files: Vec<super::FileLink>,
    pub when: String,
    pub ago: String,
}

#[derive(askama::Template)]
#[template(path = "portal_ticket.html")]
struct TicketPage {
    layout: Layout,
    number: i64,
    subject: String,
    status: &'static str,
    status_label: &'static str,
    type_label: &'static str,
    created: String,
    messages: Vec<PortalMessage>,
    can_resolve: bool,
    closed: bool,
    draft: String,
    form_error: Option<String>,
    /// Help articles staff linked to it (that the requester may read): (number, title).
    articles: Vec<(i64, String)>,
    /// The satisfaction survey of its latest resolution, if one was started.
    rating: Option<super::feedback::RatingView>,
}

async fn ticket_page(
    s: &AppState,
    caller: &PageCaller,
    number: i64,
    notice_key: Option<&str>,
    draft: Option<(String, String)>,
) -> PageResult {
    let actor = caller.actor();
    let t = s.service.get_ticket_by_number(actor, number).await?;
    let messages = s.service.messages(actor, t.id).await?;
    let attachments = s.service.ticket_attachments(actor, t.id).await?;
    let now = s.service.now();
    let me = actor.person_id;
    let messages = messages
        .into_iter()
        // The service already leaves internal notes out for requesters; this is a second lock.
        .filter(|m| m.kind == MessageKind::Public)
        .map(|m| {
            let mine = m.author_id.is_some() && m.author_id == me;
            let folded = steward_mail::fold(&m.body);
            PortalMessage {
                author: if mine {
                    "You"
                } else if m.author_id == Some(t.requester_id) {
                    "Requester"
                } else {
                    "Service desk"
                },
                mine,
                body: folded.visible,
                folded: folded.folded,
                files: super::file_links(
                    &attachments,
                    m.id,
                    &format!("/portal/tickets/{}", t.number),
                ),
                when: when(m.created_at),
                ago: ago(m.created_at, now),
            }
        })
        .collect();
    let (draft, form_error) = match draft {
        Some((d, e)) => (d, Some(e)),
        None => (String::new(), None),
    };
    Ok(render(&TicketPage {
        layout: caller.layout(
            format!("#{} {}", t.number, t.subject),
            "portal",
            notice(notice_key),
        ),
        number: t.number,
        subject: t.subject.clone(),
        status: t.status.as_str(),
        status_label: portal_status(t.status),
        type_label: type_label(t.ticket_type),
        created: when(t.created_at),
        messages,
        can_resolve: t.status.is_active(),
        closed: t.status == Status::Closed,
        draft,
        form_error,
        articles: s
            .service
            .ticket_articles(actor, t.id)
            .await?
            .into_iter()
            .map(|a| (a.id.0, a.title))
            .collect(),
        rating: super::feedback::rating_view(s, actor, &t).await?,
    }))
}

/// `GET /portal/tickets/{number}`.
pub async fn ticket(
    State(s): State<AppState>,
    caller: PageCaller,
    Path(number): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    ticket_page(&s, &caller, number, q.notice.as_deref(), None).await
}

#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    csrf: String,
    body: String,
}

/// `POST /portal/tickets/{number}/reply`.
pub async fn reply(
    State(s): State<AppState>,
    caller: PageCaller,
    Path(number): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let t = s
        .service
        .get_ticket_by_number(caller.actor(), number)
        .await?;
    let result = s
        .service
        .add_message(
            caller.actor(),
            t.id,
            MessageInput {
                kind: MessageKind::Public,
                body: f.body.clone(),
                status: None,
            },
        )
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/portal/tickets/{number}?notice=replied#conversation"
        ))),
        Err(ServiceError::Invalid { message, .. }) => {
            let res = ticket_page(
                &s,
                &caller,
                number,
                None,
                Some((f.body, format!("Not sent: your message {message}."))),
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, res).into_response())
        }
        Err(ServiceError::Conflict(_)) => {
            let res = ticket_page(
                &s,
                &caller,
                number,
                None,
                Some((
                    f.body,
                    "This request is closed. Please open a new request.".into(),
                )),
            )
            .await?;
            Ok((axum::http::StatusCode::CONFLICT, res).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /portal/tickets/{number}/resolve`: "my problem is solved".
pub async fn resolve(
    State(s): State<AppState>,
    caller: PageCaller,
    Path(number): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let t = s
        .service
        .get_ticket_by_number(caller.actor(), number)
        .await?;
    s.service.mark_resolved(caller.actor(), t.id).await?;
    Ok(see_other(&format!(
        "/portal/tickets/{number}?notice=resolved"
    )))
}

/// `GET /portal/tickets/{number}/files/{id}`: an attachment, as a download.
pub async fn file(
    State(s): State<AppState>,
    caller: PageCaller,
    Path((number, id)): Path<(i64, i64)>,
    Query(q): Query<super::FileQuery>,
) -> PageResult {
    let t = s
        .service
        .get_ticket_by_number(caller.actor(), number)
        .await?;
    let (info, data) = s.service.attachment(caller.actor(), t.id, id).await?;
    Ok(super::download(&info, data, q.inline.is_some()))
}
