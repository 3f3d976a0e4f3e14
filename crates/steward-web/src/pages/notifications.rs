//! `/agent/notifications`: what a member of staff was told about (new work in their queue,
//! assignments, answers, SLA warnings and breaches, rules' messages, their own reminders), newest
//! first; opening one marks it read.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::{ago, notice, render, see_other, when, CsrfOnly, Layout, PageResult, StaffCaller};
use crate::AppState;

/// One notification as listed.
pub struct Row {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub kind: &'static str,
    /// For the colour: `overdue`, `due-soon`, …
    pub kind_class: &'static str,
    pub number: Option<i64>,
    pub when: String,
    pub ago: String,
    pub unread: bool,
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "new_in_queue" => "New in queue",
        "assigned" => "Assigned",
        "requester_replied" => "Answer",
        "sla_warning" => "Due soon",
        "sla_breach" => "Overdue",
        "rule" => "Rule",
        "reminder" => "Reminder",
        _ => "Notice",
    }
}

#[derive(Template)]
#[template(path = "agent_notifications.html")]
struct NotificationsPage {
    layout: Layout,
    rows: Vec<Row>,
    unread_only: bool,
    /// The id to continue before (older), when there are more.
    older: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    unread: Option<String>,
    before: Option<i64>,
    notice: Option<String>,
}

const PAGE: i64 = 50;

/// `GET /agent/notifications`.
pub async fn page(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let unread_only = q.unread.is_some();
    let items = s
        .service
        .notifications(caller.actor(), unread_only, q.before, PAGE)
        .await?;
    let now = s.service.now();
    let older = (items.len() as i64 >= PAGE)
        .then(|| items.last().map(|n| n.id))
        .flatten();
    let rows = items
        .into_iter()
        .map(|n| Row {
            id: n.id,
            kind: kind_label(&n.kind),
            kind_class: match n.kind.as_str() {
                "sla_breach" => "overdue",
                "sla_warning" => "due-soon",
                _ => "other",
            },
            number: n.ticket_number,
            when: when(n.created_at),
            ago: ago(n.created_at, now),
            unread: n.read_at.is_none(),
            title: n.title,
            body: n.body,
        })
        .collect();
    Ok(render(&NotificationsPage {
        layout: caller.layout(
            "Notifications",
            "notifications",
            notice(q.notice.as_deref()),
        ),
        rows,
        unread_only,
        older,
    }))
}

/// `POST /agent/notifications/read`: all read.
pub async fn read_all(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Form(f): Form<CsrfOnly>,
) -> PageResult<Response> {
    caller.check_csrf(&f.csrf)?;
    s.service
        .mark_notifications_read(caller.actor(), None)
        .await?;
    Ok(see_other("/agent/notifications?notice=read"))
}

/// `POST /agent/notifications/{id}/open`: marks it read and goes to its ticket.
pub async fn open(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> PageResult<Response> {
    caller.check_csrf(&f.csrf)?;
    Ok(
        match s.service.open_notification(caller.actor(), id).await? {
            Some(number) => see_other(&format!("/agent/tickets/{number}")),
            None => see_other("/agent/notifications"),
        },
    )
}
