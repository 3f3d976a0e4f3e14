//! `/agent/admin/audit`: the audit log for administrators, filtered, paged, and exported with the
//! same filters through the API's CSV and JSON-lines exports.

use axum::extract::{Query, State};
use steward_domain::audit::AuditAction;

use super::{blank, render, Choice, DeskCaller, Layout, PageError, PageResult};
use crate::audit_data::AuditQuery;
use crate::AppState;

/// Entries per page.
const PAGE: u32 = 100;

/// An entry as listed.
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub action_name: String,
    pub subject: String,
    pub detail: String,
    pub ip: String,
    pub browser: String,
}

#[derive(askama::Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    layout: Layout,
    actions: Vec<Choice>,
    actor: String,
    subject: String,
    ip: String,
    from: String,
    to: String,
    rows: Vec<AuditRow>,
    /// The filters as a query string (`?action=…`), for the exports and the next page.
    query: String,
    next_href: Option<String>,
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct AuditPageQuery {
    action: Option<String>,
    /// An e-mail address.
    actor: Option<String>,
    subject: Option<String>,
    ip: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

/// `GET /agent/admin/audit`.
pub async fn page(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Query(q): Query<AuditPageQuery>,
) -> PageResult {
    let actor = caller.actor();
    let actor_id = match blank(&q.actor) {
        None => None,
        Some(email) => match s.service.get_person_by_email(actor, email).await {
            Ok(p) => Some(p.id.0),
            Err(_) => {
                return Err(PageError::Invalid(format!(
                    "Nobody has the address {email:?}."
                )))
            }
        },
    };
    let api = AuditQuery {
        action: blank(&q.action).map(str::to_string),
        actor_id,
        subject: blank(&q.subject).map(str::to_string),
        ip: blank(&q.ip).map(str::to_string),
        from: blank(&q.from).map(str::to_string),
        to: blank(&q.to).map(str::to_string),
        cursor: None,
        limit: None,
    };
    let filter = api
        .filter()
        .map_err(|(field, m)| PageError::Invalid(format!("{field}: {m}")))?;
    let before = blank(&q.cursor).and_then(|c| c.parse::<i64>().ok());
    let entries = s.service.audit_log(actor, &filter, before, PAGE).await?;
    let pairs: Vec<(&str, String)> = [
        ("action", &api.action),
        ("subject", &api.subject),
        ("ip", &api.ip),
        ("from", &api.from),
        ("to", &api.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
    .chain(actor_id.map(|id| ("actor_id", id.to_string())))
    .collect();
    let query = super::agent::query_string(&pairs);
    let next_href = (entries.len() == PAGE as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten()
        .map(|last| {
            let mut page: Vec<(&str, String)> = [
                ("action", &q.action),
                ("actor", &q.actor),
                ("subject", &q.subject),
                ("ip", &q.ip),
                ("from", &q.from),
                ("to", &q.to),
            ]
            .into_iter()
            .map(|(k, v)| (k, blank(v).unwrap_or_default().to_string()))
            .collect();
            page.push(("cursor", last.to_string()));
            format!("/agent/admin/audit{}", super::agent::query_string(&page))
        });
    let chosen = blank(&q.action);
    let mut actions = vec![Choice::new("", "Any action", chosen.is_none())];
    actions.extend(
        AuditAction::ALL
            .into_iter()
            .map(|a| Choice::new(a.as_str(), a.describe(), chosen == Some(a.as_str()))),
    );
    Ok(render(&AuditPage {
        layout: caller.layout("Audit log", "admin", None),
        actions,
        actor: blank(&q.actor).unwrap_or_default().to_string(),
        subject: blank(&q.subject).unwrap_or_default().to_string(),
        ip: blank(&q.ip).unwrap_or_default().to_string(),
        from: blank(&q.from).unwrap_or_default().to_string(),
        to: blank(&q.to).unwrap_or_default().to_string(),
        rows: entries
            .into_iter()
            .map(|e| {
                let action = AuditAction::parse(&e.action);
                AuditRow {
                    at: super::when(e.at),
                    actor: if e.actor_email.is_empty() {
                        "Steward".into()
                    } else {
                        e.actor_email
                    },
                    action: action.map_or("", AuditAction::describe),
                    action_name: e.action,
                    subject: e.subject,
                    detail: if e.detail == "{}" {
                        String::new()
                    } else {
                        e.detail
                    },
                    ip: e.ip,
                    browser: if e.user_agent.is_empty() {
                        String::new()
                    } else {
                        super::account::browser_name(&e.user_agent)
                    },
                }
            })
            .collect(),
        query,
        next_href,
    }))
}
