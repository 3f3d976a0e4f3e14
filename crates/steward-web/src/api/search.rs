//! `/search`: one search box over tickets, people and organisations, in the query language of
//! `docs/search.md`. Only what the caller may see is ever found.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_domain::search::Piece;
use steward_service::{SearchRequest, SearchScope};
use utoipa::{IntoParams, ToSchema};

use crate::api::organisations::OrganisationOut;
use crate::api::people::PersonOut;
use crate::api::tickets::TicketOut;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Caller};
use crate::AppState;

/// A search.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQueryIn {
    /// The query: words, `"phrases"`, `prefix*`, `-left_out`, filters such as `status:open`,
    /// `assignee:me`, `created:>2026-01-01`, `updated:<7d`, or `#1234`.
    pub q: String,
    /// Where to look: `all` (default), `tickets`, `people`, `organisations` or `articles`.
    #[serde(rename = "in")]
    #[param(rename = "in")]
    pub scope: Option<String>,
    /// Page of ticket results, from 1 (20 a page, up to page 50).
    pub page: Option<i64>,
    /// The IANA time zone dates in the query are read in (default UTC).
    pub tz: Option<String>,
}

/// A ticket found.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketHitOut {
    pub ticket: TicketOut,
    /// Where its best-matching message matched, HTML-escaped, matching words in `<mark>`.
    pub snippet_html: String,
}

/// An article found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleHitOut {
    pub id: i64,
    pub title: String,
    pub status: steward_domain::knowledge::ArticleStatus,
    pub visibility: steward_domain::knowledge::Visibility,
    /// Where its text matched, HTML-escaped, matching words in `<mark>`.
    pub snippet_html: String,
}

/// What a search found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    /// `#1234` named a ticket you may see: its id.
    pub jump_to_ticket: Option<i64>,
    pub tickets: Vec<TicketHitOut>,
    /// More tickets on the next page.
    pub more_tickets: bool,
    pub page: i64,
    /// Staff only: people by name or address (on page 1).
    pub people: Vec<PersonOut>,
    /// Staff only: organisations by name (on page 1).
    pub organisations: Vec<OrganisationOut>,
    /// Knowledge-base articles you may read (on page 1).
    pub articles: Vec<ArticleHitOut>,
}

/// A snippet as HTML: every piece escaped, matches marked.
pub fn snippet_html(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        let text = escape(&p.text);
        if p.hit {
            out.push_str("<mark>");
            out.push_str(&text);
            out.push_str("</mark>");
        } else {
            out.push_str(&text);
        }
    }
    out
}

use crate::html::escape;

/// Searches tickets (subjects and messages; requesters: their own tickets' public messages),
/// people and organisations (staff). A malformed query is a 422 that says what is wrong.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchQueryIn),
    responses((status = 200, body = SearchOut), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SearchQueryIn>,
) -> ApiResult<Json<SearchOut>> {
    let req = SearchRequest {
        q: q.q,
        scope: SearchScope::parse(q.scope.as_deref().unwrap_or(""))?,
        page: q.page.unwrap_or(1),
        time_zone: q.tz,
    };
    let r = s.service.search(caller.actor(), &req).await?;
    Ok(Json(SearchOut {
        jump_to_ticket: r.jump.map(|t| t.0),
        tickets: r
            .tickets
            .into_iter()
            .map(|f| TicketHitOut {
                snippet_html: snippet_html(&f.snippet),
                ticket: f.ticket.into(),
            })
            .collect(),
        more_tickets: r.more_tickets,
        page: r.page,
        people: r.people.into_iter().map(Into::into).collect(),
        organisations: r.organisations.into_iter().map(Into::into).collect(),
        articles: r
            .articles
            .into_iter()
            .map(|f| ArticleHitOut {
                id: f.article.id.0,
                title: f.article.title,
                status: f.article.status,
                visibility: f.article.visibility,
                snippet_html: snippet_html(&f.snippet),
            })
            .collect(),
    }))
}
