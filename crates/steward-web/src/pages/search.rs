//! `/agent/search` (staff) and `/portal/search` (requesters): the search box's results page.
//! Tickets with the part of their conversation that matched, then people and organisations
//! (staff). `#1234` goes straight to the ticket. A query that cannot be read is shown with what is
//! wrong, not as an error page. The query language is in `docs/search.md`.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use steward_domain::Named as _;
use steward_service::{SearchRequest, SearchScope, ServiceError, MAX_SEARCH_PAGE};

use super::view::{ago, status_label, when};
use super::{render, see_other, url_encode, Layout, PageCaller, PageResult};
use crate::AppState;

/// A ticket found, as shown.
pub struct Hit {
    pub number: i64,
    pub subject: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub updated: String,
    pub updated_ago: String,
    /// Escaped, matches in `<mark>`.
    pub snippet_html: String,
}

/// A person or organisation found.
pub struct Named {
    pub name: String,
    pub detail: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    scope: &'static str,
    /// Where the form and the page links go.
    action: &'static str,
    error: Option<String>,
    searched: bool,
    hits: Vec<Hit>,
    people: Vec<Named>,
    organisations: Vec<Named>,
    /// Articles: (link, title, snippet HTML, status note for staff).
    articles: Vec<(String, String, String, &'static str)>,
    page: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    #[serde(rename = "in")]
    scope: Option<String>,
    page: Option<i64>,
}

/// `GET /agent/search` and `GET /portal/search`.
pub async fn page(
    State(s): State<AppState>,
    caller: PageCaller,
    Query(q): Query<SearchQuery>,
) -> PageResult<Response> {
    let staff = caller.actor().is_staff();
    let (action, ticket_base) = if staff {
        ("/agent/search", "/agent/tickets")
    } else {
        ("/portal/search", "/portal/tickets")
    };
    let text = q.q.unwrap_or_default();
    let scope = if staff {
        SearchScope::parse(q.scope.as_deref().unwrap_or("")).unwrap_or_default()
    } else {
        match q.scope.as_deref() {
            Some("articles") => SearchScope::Articles,
            _ => SearchScope::All,
        }
    };
    let page = q.page.unwrap_or(1).clamp(1, MAX_SEARCH_PAGE);
    let req = SearchRequest {
        q: text.clone(),
        scope,
        page,
        time_zone: None,
    };
    let mut view = SearchPage {
        layout: caller.layout(
            if text.trim().is_empty() {
                "Search".to_string()
            } else {
                format!("{} – search", text.trim())
            },
            "search",
            None,
        ),
        q: text.clone(),
        scope: match scope {
            SearchScope::All => "all",
            SearchScope::Tickets => "tickets",
            SearchScope::People => "people",
            SearchScope::Organisations => "organisations",
            SearchScope::Articles => "articles",
        },
        action,
        error: None,
        searched: !text.trim().is_empty(),
        hits: Vec::new(),
        people: Vec::new(),
        organisations: Vec::new(),
        articles: Vec::new(),
        page,
        prev_href: None,
        next_href: None,
    };
    view.layout.search_q = text.clone();
    match s.service.search(caller.actor(), &req).await {
        Ok(r) => {
            if let Some(id) = r.jump {
                let t = s.service.get_ticket(caller.actor(), id).await?;
                return Ok(see_other(&format!("{ticket_base}/{}", t.number)));
            }
            let now = s.service.now();
            view.hits = r
                .tickets
                .into_iter()
                .map(|f| Hit {
                    number: f.ticket.number,
                    status: status_label(f.ticket.status),
                    status_class: f.ticket.status.as_str(),
                    updated: when(f.ticket.updated_at),
                    updated_ago: ago(f.ticket.updated_at, now),
                    subject: f.ticket.subject,
                    snippet_html: crate::api::search::snippet_html(&f.snippet),
                })
                .collect();
            view.people = r
                .people
                .into_iter()
                .map(|p| Named {
                    detail: p.email.clone(),
                    href: format!("/agent/admin/people?q={}", url_encode(&p.email)),
                    name: p.name,
                })
                .collect();
            view.organisations = r
                .organisations
                .into_iter()
                .map(|o| Named {
                    detail: o.slug.clone(),
                    href: format!("/agent?view=open&organisation={}", o.id.0),
                    name: o.name,
                })
                .collect();
            let kb = if staff { "/agent/kb" } else { "/portal/kb" };
            view.articles = r
                .articles
                .into_iter()
                .map(|f| {
                    let note = match f.article.status {
                        steward_domain::knowledge::ArticleStatus::Published => "",
                        steward_domain::knowledge::ArticleStatus::Draft => "draft",
                        steward_domain::knowledge::ArticleStatus::Archived => "archived",
                    };
                    (
                        format!("{kb}/{}", f.article.id.0),
                        f.article.title,
                        crate::api::search::snippet_html(&f.snippet),
                        note,
                    )
                })
                .collect();
            let link = |p: i64| {
                format!(
                    "{action}?q={}&in={}&page={p}",
                    url_encode(&text),
                    view.scope
                )
            };
            if page > 1 {
                view.prev_href = Some(link(page - 1));
            }
            if r.more_tickets && page < MAX_SEARCH_PAGE {
                view.next_href = Some(link(page + 1));
            }
        }
        Err(ServiceError::Invalid { message, .. }) => view.error = Some(message),
        Err(e) => return Err(e.into()),
    }
    Ok(render(&view).into_response())
}
