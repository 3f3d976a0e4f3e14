//! One search box over tickets, people, organisations and knowledge-base articles.
//! The query language is `steward_domain::search`; this resolves its names, applies who may see
//! what, and cuts snippets. Requesters find only tickets they may see, by their subjects and public
//! messages (never internal notes), and no people or organisations.

use steward_domain::policy::{check, ticket_scope, Action};
use steward_domain::search::{Filter, Piece, SearchQuery, Who};
use steward_domain::{Actor, Organisation, Person, Ticket, TicketId};
use steward_store::search::{TicketCondition, TicketSearch};

use crate::{Result, Service, ServiceError};

/// Tickets per page of results.
pub const SEARCH_PAGE: i64 = 20;
/// The furthest page of results (relevance beyond it is noise; narrow the query instead).
pub const MAX_SEARCH_PAGE: i64 = 50;
/// Characters of a snippet.
const SNIPPET_WIDTH: usize = 180;

/// What to look in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchScope {
    #[default]
    All,
    Tickets,
    People,
    Organisations,
    Articles,
}

impl SearchScope {
    pub fn parse(s: &str) -> Result<SearchScope> {
        Ok(match s {
            "" | "all" => SearchScope::All,
            "tickets" => SearchScope::Tickets,
            "people" => SearchScope::People,
            "organisations" | "orgs" => SearchScope::Organisations,
            "articles" | "kb" => SearchScope::Articles,
            other => {
                return Err(ServiceError::invalid(
                    "in",
                    format!(
                        "cannot search in {other:?}; use all, tickets, people, organisations or articles"
                    ),
                ))
            }
        })
    }
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    pub scope: SearchScope,
    /// From 1.
    pub page: i64,
    /// The IANA time zone dates in the query are read in (default UTC).
    pub time_zone: Option<String>,
}

/// A ticket found, with the part of its best-matching message that matched.
#[derive(Debug, Clone)]
pub struct TicketFound {
    pub ticket: Ticket,
    pub snippet: Vec<Piece>,
}

/// A knowledge-base article found, with the part of its text that matched.
#[derive(Debug, Clone)]
pub struct ArticleFound {
    pub article: steward_domain::knowledge::Article,
    pub snippet: Vec<Piece>,
}

/// What a search found.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// `#1234` named a ticket the asker may see: go there.
    pub jump: Option<TicketId>,
    pub tickets: Vec<TicketFound>,
    /// More tickets on the next page.
    pub more_tickets: bool,
    pub people: Vec<Person>,
    pub organisations: Vec<Organisation>,
    /// Knowledge-base articles the asker may read (on page 1).
    pub articles: Vec<ArticleFound>,
    pub page: i64,
}

impl Service {
    /// Runs a search for `actor`: only what they may see is ever found.
    pub async fn search(&self, actor: &Actor, req: &SearchRequest) -> Result<SearchResults> {
        let zone = match req.time_zone.as_deref().map(str::trim) {
            None | Some("") => jiff::tz::TimeZone::UTC,
            Some(name) => jiff::tz::TimeZone::get(name).map_err(|_| {
                ServiceError::invalid("tz", format!("{name:?} is not an IANA time zone"))
            })?,
        };
        let page = req.page.max(1);
        if page > MAX_SEARCH_PAGE {
            return Err(ServiceError::invalid(
                "page",
                format!("results go to page {MAX_SEARCH_PAGE}; narrow the search instead"),
            ));
        }
        let query = SearchQuery::parse(&req.q, self.now(), &zone)?;
        let mut out = SearchResults {
            page,
            ..Default::default()
        };
        if let Some(number) = query.jump {
            // A number the asker may not see is as good as one that does not exist.
            if let Ok(t) = self.get_ticket_by_number(actor, number).await {
                out.jump = Some(t.id);
            }
            return Ok(out);
        }
        if query.is_empty() {
            return Ok(out);
        }
        if matches!(req.scope, SearchScope::All | SearchScope::Tickets) {
            let conditions = self.conditions(actor, &query).await?;
            let mut c = self.store.read().await?;
            let mut matches = c
                .search_tickets(&TicketSearch {
                    terms: &query.terms,
                    excluded: &query.excluded,
                    conditions: &conditions,
                    scope: ticket_scope(actor),
                    public_only: !actor.is_staff(),
                    offset: (page - 1) * SEARCH_PAGE,
                    limit: SEARCH_PAGE,
                })
                .await?;
            out.more_tickets = matches.len() as i64 > SEARCH_PAGE;
            matches.truncate(SEARCH_PAGE as usize);
            let ids: Vec<TicketId> = matches.iter().map(|m| m.ticket).collect();
            let tickets = c.tickets_by_ids(&ids).await?;
            let message_ids: Vec<i64> = matches.iter().filter_map(|m| m.message).collect();
            let bodies: std::collections::HashMap<i64, String> =
                c.message_bodies(&message_ids).await?.into_iter().collect();
            let mut tickets: std::collections::HashMap<TicketId, Ticket> =
                tickets.into_iter().map(|t| (t.id, t)).collect();
            for m in matches {
                let Some(ticket) = tickets.remove(&m.ticket) else {
                    continue;
                };
                let snippet = m
                    .message
                    .and_then(|id| bodies.get(&id))
                    .map(|body| steward_domain::search::snippet(body, &query.terms, SNIPPET_WIDTH))
                    .unwrap_or_default();
                out.tickets.push(TicketFound { ticket, snippet });
            }
        }
        // People, organisations and articles: by words alone (a ticket filter means tickets).
        let names = !query.terms.is_empty() && !query.tickets_only() && page == 1;
        let limit = match req.scope {
            SearchScope::All => 5,
            SearchScope::Articles => SEARCH_PAGE,
            _ => 0,
        };
        if names && limit > 0 {
            let mut c = self.store.read().await?;
            out.articles = c
                .search_articles(
                    &query.terms,
                    &query.excluded,
                    steward_domain::knowledge::article_scope(actor),
                    limit,
                )
                .await?
                .into_iter()
                .map(|article| ArticleFound {
                    snippet: steward_domain::search::snippet(
                        &steward_domain::knowledge::plain_text(&article.body),
                        &query.terms,
                        SNIPPET_WIDTH,
                    ),
                    article,
                })
                .collect();
        }
        if names && check(actor, Action::ListPeople).is_ok() {
            let limit = match req.scope {
                SearchScope::All => 5,
                SearchScope::People => SEARCH_PAGE,
                _ => 0,
            };
            if limit > 0 {
                let mut c = self.store.read().await?;
                out.people = c.search_people(&query.terms, limit).await?;
            }
        }
        if names && check(actor, Action::ListOrganisations).is_ok() && actor.is_staff() {
            let limit = match req.scope {
                SearchScope::All => 5,
                SearchScope::Organisations => SEARCH_PAGE,
                _ => 0,
            };
            if limit > 0 {
                let mut c = self.store.read().await?;
                out.organisations = c.search_organisations(&query.terms, limit).await?;
            }
        }
        Ok(out)
    }

    /// The query's filters with names resolved to ids.
    async fn conditions(
        &self,
        actor: &Actor,
        query: &SearchQuery,
    ) -> Result<Vec<(TicketCondition, bool)>> {
        let mut out = Vec::with_capacity(query.clauses.len());
        if query.clauses.is_empty() {
            return Ok(out);
        }
        let mut c = self.store.read().await?;
        for clause in &query.clauses {
            let condition = match &clause.filter {
                Filter::Status(s) => TicketCondition::Statuses(s.clone()),
                Filter::Type(t) => TicketCondition::Type(*t),
                Filter::Priority(p) => TicketCondition::Priority(*p),
                Filter::Assignee(Who::Me) => {
                    TicketCondition::Assignee(Some(actor.person_id.into_iter().collect()))
                }
                Filter::Assignee(Who::Nobody) => TicketCondition::Assignee(None),
                Filter::Assignee(Who::Named(n)) => {
                    TicketCondition::Assignee(Some(c.people_named(n).await?))
                }
                Filter::Requester(Who::Me) => {
                    TicketCondition::Requester(actor.person_id.into_iter().collect())
                }
                Filter::Requester(Who::Nobody) => TicketCondition::Requester(Vec::new()),
                Filter::Requester(Who::Named(n)) => {
                    TicketCondition::Requester(c.people_named(n).await?)
                }
                Filter::Team(name) => {
                    let ids = c.teams_named(name).await?;
                    // Only staff learn that a name is unknown: to a requester, whether a team
                    // or organisation of that name exists is not theirs to find out.
                    if ids.is_empty() && actor.is_staff() {
                        return Err(ServiceError::invalid(
                            "q",
                            format!("team:{name} names no team"),
                        ));
                    }
                    TicketCondition::Team(ids)
                }
                Filter::Org(name) => {
                    let ids = c.organisations_named(name).await?;
                    if ids.is_empty() && actor.is_staff() {
                        return Err(ServiceError::invalid(
                            "q",
                            format!("org:{name} names no organisation (by name, short name or mail domain)"),
                        ));
                    }
                    TicketCondition::Org(ids)
                }
                Filter::Tag(t) => TicketCondition::Tag(t.clone()),
                Filter::Created(s) => TicketCondition::Created(*s),
                Filter::Updated(s) => TicketCondition::Updated(*s),
            };
            out.push((condition, clause.negated));
        }
        Ok(out)
    }

    /// Rebuilds the search indexes (administrators, or the command line as the system): tickets'
    /// subjects, people and organisations at once, then messages in batches, each its own
    /// transaction; `progress(done, total)` after each. Searches meanwhile may miss messages not
    /// yet indexed again.
    pub async fn reindex_search(
        &self,
        actor: &Actor,
        mut progress: impl FnMut(i64, i64),
    ) -> Result<i64> {
        check(actor, Action::ManagePeople).map_err(|d| ServiceError::denied(d, "search index"))?;
        const BATCH: i64 = 5_000;
        let total = self.store.read().await?.count_messages().await?;
        let mut tx = self.store.write().await?;
        tx.reindex_start().await?;
        tx.commit().await?;
        let (mut after, mut done) = (0, 0);
        progress(0, total);
        loop {
            let mut tx = self.store.write().await?;
            let step = tx.reindex_messages(after, BATCH).await?;
            tx.commit().await?;
            let Some(last) = step.after else {
                return Ok(done);
            };
            after = last;
            done += step.done;
            progress(done, total.max(done));
        }
    }
}
