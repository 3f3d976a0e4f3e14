//! Full-text search over the database's own indexes (FTS5 on SQLite, tsvector and GIN on
//! PostgreSQL; see migration 0011), with the query's filters as plain SQL beside it. The query
//! language is parsed in `steward_domain::search`; the caller resolves names (teams,
//! organisations, people) to ids and decides what the asker may see ([`TicketSearch::scope`],
//! [`TicketSearch::public_only`]). Words reach the indexes as letters and digits only, quoted, so
//! no input can change the meaning of the index's own syntax.

use steward_domain::policy::TicketScope;
use steward_domain::search::{Span, Term};
use steward_domain::{
    Named, OrgId, Organisation, Person, PersonId, Priority, Status, TeamId, Ticket, TicketId,
    TicketType,
};

use crate::query::{q, Query};
use crate::rows::ts;
use crate::{Backend, Conn, Result};

/// A filter with its names resolved to ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketCondition {
    Statuses(Vec<Status>),
    Type(TicketType),
    Priority(Priority),
    /// `None`: unassigned.
    Assignee(Option<Vec<PersonId>>),
    Requester(Vec<PersonId>),
    Team(Vec<TeamId>),
    Org(Vec<OrgId>),
    Tag(String),
    Created(Span),
    Updated(Span),
}

impl TicketCondition {
    /// Conditions on the same field, not negated, are alternatives (`status:new status:open`);
    /// tags and dates always all apply.
    fn group(&self) -> Option<&'static str> {
        match self {
            TicketCondition::Statuses(_) => Some("status"),
            TicketCondition::Type(_) => Some("type"),
            TicketCondition::Priority(_) => Some("priority"),
            TicketCondition::Assignee(_) => Some("assignee"),
            TicketCondition::Requester(_) => Some("requester"),
            TicketCondition::Team(_) => Some("team"),
            TicketCondition::Org(_) => Some("org"),
            TicketCondition::Tag(_) | TicketCondition::Created(_) | TicketCondition::Updated(_) => {
                None
            }
        }
    }
}

/// Matches ranked per search branch: the newest this many that the asker may see (see
/// `docs/search.md`, "Ranking").
pub const CANDIDATES: i64 = 2_000;

/// A ticket search.
#[derive(Debug, Clone)]
pub struct TicketSearch<'a> {
    pub terms: &'a [Term],
    pub excluded: &'a [Term],
    /// `(condition, negated)`.
    pub conditions: &'a [(TicketCondition, bool)],
    /// The tickets the asker may see.
    pub scope: TicketScope,
    /// Only public messages are searched (requesters never find words of internal notes).
    pub public_only: bool,
    pub offset: i64,
    pub limit: i64,
}

impl TicketSearch<'_> {
    /// Whether the search is limited to few tickets: a requester's, or a filter on one person,
    /// team or organisation.
    fn narrow(&self) -> bool {
        matches!(self.scope, TicketScope::Requester { .. })
            || self.conditions.iter().any(|(c, negated)| {
                !negated
                    && matches!(
                        c,
                        TicketCondition::Requester(_)
                            | TicketCondition::Org(_)
                            | TicketCondition::Team(_)
                            | TicketCondition::Assignee(Some(_))
                    )
            })
    }
}

/// A ticket found: its id, the message whose words matched best (none when only the subject did,
/// or when there were no words), and its score (higher is better).
#[derive(Debug, Clone, PartialEq)]
pub struct TicketMatch {
    pub ticket: TicketId,
    pub message: Option<i64>,
    pub score: f64,
}

/// The FTS5 query for some terms: each word quoted, `"w"*` for a prefix, `"a b"` for a phrase;
/// all must match, none of `excluded`.
pub(crate) fn fts5_query(terms: &[Term], excluded: &[Term], all_prefix: bool) -> String {
    let one = |t: &Term| match t {
        Term::Word(w) if all_prefix => format!("\"{w}\"*"),
        Term::Word(w) => format!("\"{w}\""),
        Term::Prefix(w) => format!("\"{w}\"*"),
        Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
    };
    let mut out = format!(
        "({})",
        terms.iter().map(one).collect::<Vec<_>>().join(" AND ")
    );
    for t in excluded {
        out = format!("({out} NOT {})", one(t));
    }
    out
}

/// The PostgreSQL tsquery text for some terms (parsed by `to_tsquery`, which stems each word).
pub(crate) fn tsquery(terms: &[Term], excluded: &[Term], all_prefix: bool) -> String {
    let one = |t: &Term| match t {
        Term::Word(w) if all_prefix => format!("{w}:*"),
        Term::Word(w) => w.clone(),
        Term::Prefix(w) => format!("{w}:*"),
        Term::Phrase(ws) => format!("({})", ws.join(" <-> ")),
    };
    terms
        .iter()
        .map(one)
        .chain(excluded.iter().map(|t| format!("!{}", one(t))))
        .collect::<Vec<_>>()
        .join(" & ")
}

fn push_span(query: &mut Query, column: &str, span: &Span) {
    query.push("(1 = 1");
    if let Some(from) = span.from {
        query
            .push(" AND ")
            .push(column)
            .push(" >= ")
            .param(ts(from));
    }
    if let Some(to) = span.to {
        query.push(" AND ").push(column).push(" < ").param(ts(to));
    }
    query.push(")");
}

fn push_ids(query: &mut Query, column: &str, ids: &[i64]) {
    if ids.is_empty() {
        query.push("1 = 0");
        return;
    }
    query.push(column).push(" IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            query.push(", ");
        }
        query.param(*id);
    }
    query.push(")");
}

/// One condition as a boolean SQL expression over the `tickets` row `t`.
fn push_condition(query: &mut Query, c: &TicketCondition) {
    match c {
        TicketCondition::Statuses(s) => {
            if s.is_empty() {
                query.push("1 = 0");
                return;
            }
            query.push("t.status IN (");
            for (i, s) in s.iter().enumerate() {
                if i > 0 {
                    query.push(", ");
                }
                query.param(s.as_str());
            }
            query.push(")");
        }
        TicketCondition::Type(ty) => {
            query.push("t.ticket_type = ").param(ty.as_str());
        }
        TicketCondition::Priority(p) => {
            query.push("t.priority = ").param(p.rank());
        }
        TicketCondition::Assignee(None) => {
            query.push("t.assignee_id IS NULL");
        }
        TicketCondition::Assignee(Some(ids)) => {
            let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
            push_ids(query, "t.assignee_id", &ids);
        }
        TicketCondition::Requester(ids) => {
            let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
            push_ids(query, "t.requester_id", &ids);
        }
        TicketCondition::Team(ids) => {
            let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
            push_ids(query, "t.team_id", &ids);
        }
        TicketCondition::Org(ids) => {
            let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
            push_ids(query, "t.organisation_id", &ids);
        }
        TicketCondition::Tag(tag) => {
            query
                .push("EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = ")
                .param(tag.as_str())
                .push(")");
        }
        TicketCondition::Created(span) => push_span(query, "t.created_at", span),
        TicketCondition::Updated(span) => push_span(query, "t.updated_at", span),
    }
}

/// `AND …` for the asker's scope and every condition.
fn push_ticket_conditions(query: &mut Query, s: &TicketSearch<'_>) {
    if let TicketScope::Requester {
        person,
        organisation,
    } = s.scope
    {
        query.push(" AND (t.requester_id = ").param(person.0);
        if let Some(org) = organisation {
            query.push(" OR t.organisation_id = ").param(org.0);
        }
        query.push(")");
    }
    let mut groups: std::collections::BTreeMap<&str, Vec<&TicketCondition>> = Default::default();
    for (c, negated) in s.conditions {
        match (c.group(), negated) {
            (Some(g), false) => groups.entry(g).or_default().push(c),
            (_, negated) => {
                query.push(if *negated { " AND NOT " } else { " AND " });
                query.push("(");
                push_condition(query, c);
                query.push(")");
            }
        }
    }
    for alternatives in groups.values() {
        query.push(" AND (");
        for (i, c) in alternatives.iter().enumerate() {
            if i > 0 {
                query.push(" OR ");
            }
            query.push("(");
            push_condition(query, c);
            query.push(")");
        }
        query.push(")");
    }
}

impl Conn {
    /// Tickets matching a search, best first (by relevance; without words, the most recently
    /// updated first). Asks for one more than `limit` so the caller knows whether more follow.
    pub async fn search_tickets(&mut self, s: &TicketSearch<'_>) -> Result<Vec<TicketMatch>> {
        let backend = self.backend();
        let mut query;
        if s.terms.is_empty() {
            query = q("SELECT t.id, CAST(NULL AS BIGINT), CAST(0 AS DOUBLE PRECISION) FROM tickets t WHERE 1 = 1");
            push_ticket_conditions(&mut query, s);
            query.push(" ORDER BY t.updated_at DESC, t.id DESC");
        } else {
            let kind = if s.public_only {
                " AND m.kind = 'public'"
            } else {
                ""
            };
            // Each branch takes the newest CANDIDATES matches that the asker may see and the
            // filters allow, newest first (the index yields them in that order, so a word in
            // millions of messages costs no more than a rare one); they are then ranked. A
            // search narrowed to a few tickets (a requester's, or one person's, team's or
            // organisation's) ranks all its matches on PostgreSQL, reached through those tickets.
            let narrow = s.narrow();
            match backend {
                Backend::Sqlite => {
                    let text = fts5_query(s.terms, s.excluded, false);
                    // The subject counts three times a message's words. bm25 is lower for
                    // better matches: negated so that higher is better on both databases. Per
                    // ticket, its best message (for the snippet; SQLite takes the bare columns
                    // from the row of the MAX), or the subject alone when no message matched.
                    // The index's newest matches are read and their tickets checked. (Reading a
                    // requester's few messages and looking each up in FTS5 by rowid was tried:
                    // FTS5 then scans the whole match per message, far slower.)
                    query = q("SELECT h.tid, h.mid, h.score FROM (
                        SELECT tid, mid, score, MAX((mid IS NOT NULL) * 1.0e9 + score) AS pick FROM (
                            SELECT * FROM (
                                SELECT m.ticket_id AS tid, m.id AS mid, -bm25(message_search, 3.0, 1.0) AS score
                                FROM message_search JOIN messages m ON m.id = message_search.rowid
                                JOIN tickets t ON t.id = m.ticket_id
                                WHERE message_search MATCH ");
                    query.param(text.as_str()).push(kind);
                    push_ticket_conditions(&mut query, s);
                    query
                        .push(" ORDER BY message_search.rowid DESC LIMIT ")
                        .param(CANDIDATES);
                    query.push(
                        ") UNION ALL SELECT * FROM (
                                SELECT t.id AS tid, NULL AS mid, -3.0 * bm25(ticket_search) AS score
                                FROM ticket_search JOIN tickets t ON t.id = ticket_search.rowid
                                WHERE ticket_search MATCH ",
                    );
                    query.param(text.as_str());
                    push_ticket_conditions(&mut query, s);
                    query
                        .push(" ORDER BY ticket_search.rowid DESC LIMIT ")
                        .param(CANDIDATES);
                    query.push(") ) AS u GROUP BY tid ) AS h WHERE 1 = 1");
                }
                Backend::Postgres => {
                    let text = tsquery(s.terms, s.excluded, false);
                    // Subject words are weighted A, message words B (ts_rank_cd's default
                    // weights: 1.0 and 0.4).
                    query = q("SELECT h.tid, h.mid, h.score FROM (
                        SELECT DISTINCT ON (tid) tid, mid, score FROM (
                            SELECT c.tid, c.mid, ts_rank_cd(c.search, c.q)::float8 AS score FROM (
                                SELECT m.ticket_id AS tid, m.id AS mid, m.search, x.q
                                FROM messages m JOIN tickets t ON t.id = m.ticket_id, to_tsquery('english', ");
                    query.param(text.as_str());
                    query.push(") AS x(q) WHERE m.search @@ x.q").push(kind);
                    push_ticket_conditions(&mut query, s);
                    // A few tickets: all their matching messages (reached through the tickets);
                    // otherwise the newest matches.
                    if narrow {
                        query.push(" OFFSET 0");
                    } else {
                        query.push(" ORDER BY m.id DESC LIMIT ").param(CANDIDATES);
                    }
                    query.push(
                        ") AS c
                            UNION ALL
                            SELECT c.tid, NULL, ts_rank_cd(c.search, c.q)::float8 FROM (
                                SELECT t.id AS tid, t.search, x.q FROM tickets t, to_tsquery('english', ",
                    );
                    query.param(text.as_str());
                    query.push(") AS x(q) WHERE t.search @@ x.q");
                    push_ticket_conditions(&mut query, s);
                    query.push(" ORDER BY t.id DESC LIMIT ").param(CANDIDATES);
                    query.push(
                        ") AS c
                        ) AS u ORDER BY tid, mid IS NULL, score DESC, mid
                    ) AS h WHERE 1 = 1",
                    );
                }
            }
            query.push(" ORDER BY h.score DESC, h.tid DESC");
        }
        query.push(" LIMIT ").param(s.limit + 1);
        query.push(" OFFSET ").param(s.offset);
        let rows: Vec<(i64, Option<i64>, f64)> = self.fetch_all(query).await?;
        Ok(rows
            .into_iter()
            .map(|(t, m, score)| TicketMatch {
                ticket: TicketId(t),
                message: m,
                score,
            })
            .collect())
    }

    /// Tickets by id, with their tags, in the order asked (ids that no longer exist are left out).
    pub async fn tickets_by_ids(&mut self, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<i64> = ids.iter().map(|t| t.0).collect();
        let mut query = q(&format!(
            "SELECT {} FROM tickets WHERE 1 = 1",
            crate::rows::TICKET_COLS
        ));
        crate::bulk::push_ids_in(&mut query, self.backend(), "id", &raw);
        let rows: Vec<crate::rows::TicketRow> = self.fetch_all(query).await?;
        let mut tags = self.tags_for(rows.iter().map(|r| r.id)).await?;
        let mut by_id: std::collections::HashMap<i64, Ticket> = rows
            .into_iter()
            .map(|r| {
                let id = r.id;
                let t = tags.remove(&id).unwrap_or_default();
                r.into_ticket(t).map(|t| (id, t))
            })
            .collect::<Result<_>>()?;
        Ok(raw.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// The bodies of some messages (for snippets): `(message id, body)`.
    pub async fn message_bodies(&mut self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = q("SELECT id, body FROM messages WHERE 1 = 1");
        crate::bulk::push_ids_in(&mut query, self.backend(), "id", ids);
        self.fetch_all(query).await
    }

    /// People whose name or address has every word (each as a prefix: search as you type),
    /// best first.
    pub async fn search_people(&mut self, terms: &[Term], limit: i64) -> Result<Vec<Person>> {
        let ids = self
            .search_names(terms, limit, "person_search", "people")
            .await?;
        let ids: Vec<PersonId> = ids.into_iter().map(PersonId).collect();
        let people = self.people_by_ids(&ids).await?;
        let mut by_id: std::collections::HashMap<PersonId, Person> =
            people.into_iter().map(|p| (p.id, p)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Organisations whose name has every word (as prefixes), best first.
    pub async fn search_organisations(
        &mut self,
        terms: &[Term],
        limit: i64,
    ) -> Result<Vec<Organisation>> {
        let ids = self
            .search_names(terms, limit, "organisation_search", "organisations")
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.get_org(OrgId(id)).await {
                Ok(o) => out.push(o),
                Err(crate::StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn search_names(
        &mut self,
        terms: &[Term],
        limit: i64,
        fts: &str,
        table: &str,
    ) -> Result<Vec<i64>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut query;
        match self.backend() {
            Backend::Sqlite => {
                query = q(&format!("SELECT rowid FROM {fts} WHERE {fts} MATCH "));
                query.param(fts5_query(terms, &[], true));
                query.push(" ORDER BY rank, rowid");
            }
            Backend::Postgres => {
                query = q(&format!("SELECT id FROM {table}, to_tsquery('simple', "));
                query.param(tsquery(terms, &[], true));
                query.push(
                    ") AS x(q) WHERE search @@ x.q ORDER BY ts_rank_cd(search, x.q) DESC, id",
                );
            }
        }
        query.push(" LIMIT ").param(limit);
        let rows: Vec<(i64,)> = self.fetch_all(query).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// People a search filter names: by address, or by name (whole or the start of it), at most
    /// 50.
    pub async fn people_named(&mut self, text: &str) -> Result<Vec<PersonId>> {
        let lower = text.trim().to_lowercase();
        let escaped = lower
            .replace('!', "!!")
            .replace('%', "!%")
            .replace('_', "!_");
        let rows: Vec<(i64,)> = self
            .fetch_all(
                q("SELECT id FROM people WHERE email = $1 OR LOWER(name) = $1
                     OR LOWER(name) LIKE $2 ESCAPE '!' ORDER BY id LIMIT 50")
                .bind(lower.as_str())
                .bind(format!("{escaped}%")),
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| PersonId(id)).collect())
    }

    /// Organisations a search filter names: by name, short name (slug) or mail domain.
    pub async fn organisations_named(&mut self, text: &str) -> Result<Vec<OrgId>> {
        let lower = text.trim().to_lowercase();
        let rows: Vec<(i64,)> = self
            .fetch_all(
                q(
                    "SELECT id FROM organisations WHERE LOWER(name) = $1 OR slug = $1
                   UNION SELECT organisation_id FROM organisation_domains WHERE domain = $1",
                )
                .bind(lower.as_str()),
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| OrgId(id)).collect())
    }

    /// Teams a search filter names (by name, ignoring case).
    pub async fn teams_named(&mut self, text: &str) -> Result<Vec<TeamId>> {
        let rows: Vec<(i64,)> = self
            .fetch_all(
                q("SELECT id FROM teams WHERE LOWER(name) = $1").bind(text.trim().to_lowercase()),
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| TeamId(id)).collect())
    }
}

/// How far a rebuild of the search indexes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReindexStep {
    /// Messages indexed so far.
    pub done: i64,
    /// The id to continue after; `None` when finished.
    pub after: Option<i64>,
}

impl Conn {
    /// Messages to index in a rebuild.
    pub async fn count_messages(&mut self) -> Result<i64> {
        let (n,): (i64,) = self.fetch_one(q("SELECT COUNT(*) FROM messages")).await?;
        Ok(n)
    }

    /// Starts a rebuild: empties the indexes and indexes tickets' subjects, people and
    /// organisations afresh (on PostgreSQL those are generated columns, always right).
    pub async fn reindex_start(&mut self) -> Result<()> {
        if self.backend() == Backend::Sqlite {
            for (fts, fill) in [
                ("message_search", None),
                ("ticket_search", Some("INSERT INTO ticket_search (rowid, subject) SELECT id, subject FROM tickets")),
                ("person_search", Some("INSERT INTO person_search (rowid, name, email) SELECT id, name, email FROM people")),
                ("organisation_search", Some("INSERT INTO organisation_search (rowid, name) SELECT id, name FROM organisations")),
            ] {
                self.execute(q(&format!("INSERT INTO {fts} ({fts}) VALUES ('delete-all')")))
                    .await?;
                if let Some(fill) = fill {
                    self.execute(q(fill)).await?;
                }
            }
        }
        Ok(())
    }

    /// Indexes the next `batch` messages after id `after` (in their own transaction, so that a
    /// rebuild of millions of messages never holds the database for long).
    pub async fn reindex_messages(&mut self, after: i64, batch: i64) -> Result<ReindexStep> {
        let (last, n): (Option<i64>, i64) = self
            .fetch_one(
                q("SELECT MAX(id), COUNT(*) FROM (SELECT id FROM messages WHERE id > $1 ORDER BY id LIMIT $2) AS b")
                    .bind(after)
                    .bind(batch),
            )
            .await?;
        let Some(last) = last else {
            return Ok(ReindexStep {
                done: 0,
                after: None,
            });
        };
        match self.backend() {
            Backend::Sqlite => {
                self.execute(
                    q("INSERT INTO message_search (rowid, subject, body)
                       SELECT m.id, t.subject, substr(m.body, 1, 100000)
                       FROM messages m JOIN tickets t ON t.id = m.ticket_id
                       WHERE m.id > $1 AND m.id <= $2")
                    .bind(after)
                    .bind(last),
                )
                .await?;
            }
            Backend::Postgres => {
                self.execute(
                    q(
                        "UPDATE messages m SET search = steward_message_vector(t.subject, m.body)
                       FROM tickets t WHERE t.id = m.ticket_id AND m.id > $1 AND m.id <= $2",
                    )
                    .bind(after)
                    .bind(last),
                )
                .await?;
            }
        }
        Ok(ReindexStep {
            done: n,
            after: Some(last),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_queries_quote_every_word() {
        let terms = [
            Term::Word("printer".into()),
            Term::Prefix("offl".into()),
            Term::Phrase(vec!["paper".into(), "jam".into()]),
        ];
        let excluded = [Term::Word("toner".into())];
        assert_eq!(
            fts5_query(&terms, &excluded, false),
            r#"(("printer" AND "offl"* AND "paper jam") NOT "toner")"#
        );
        assert_eq!(fts5_query(&terms[..1], &[], true), r#"("printer"*)"#);
        assert_eq!(
            tsquery(&terms, &excluded, false),
            "printer & offl:* & (paper <-> jam) & !toner"
        );
        assert_eq!(tsquery(&terms[..1], &[], true), "printer:*");
    }
}
