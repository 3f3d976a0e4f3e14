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
    /// Whether the search is limited to the tickets of one team or person, which the index's
    /// scope words do not name (see [`ScopeWord`]).
    fn narrow(&self) -> bool {
        self.conditions.iter().any(|(c, negated)| {
            !negated
                && matches!(
                    c,
                    TicketCondition::Team(_) | TicketCondition::Assignee(Some(_))
                )
        })
    }

    /// Whether the search is limited to a requester's tickets, or filtered by requester or
    /// organisation.
    fn names_people(&self) -> bool {
        matches!(self.scope, TicketScope::Requester { .. })
            || self.conditions.iter().any(|(c, negated)| {
                !negated && matches!(c, TicketCondition::Requester(_) | TicketCondition::Org(_))
            })
    }

    /// The scope words every match must have: all of the groups, one word of each (see
    /// migration 0016). Built from the asker's scope and the conditions on status,
    /// organisation and requester that are not negated; a superset of what the SQL conditions
    /// allow, which still apply.
    ///
    /// Only words of few rows help: the index intersects quickly either way, but ranking
    /// (bm25 on SQLite, the GIN lookup on PostgreSQL) reads every row of each word, which for
    /// a word of most rows costs more than checking the newest matches' tickets. So a group
    /// with a word of many rows is left out: resolved and closed (most tickets of any desk
    /// that has run a while) and the organisations in `large`.
    fn scope_words(&self, large: &[OrgId]) -> Vec<Vec<ScopeWord>> {
        let mut groups: Vec<Vec<ScopeWord>> = Vec::new();
        if let TicketScope::Requester {
            person,
            organisation,
        } = self.scope
        {
            let mut words = vec![ScopeWord::Requester(person.0)];
            words.extend(organisation.map(|o| ScopeWord::Org(o.0)));
            groups.push(words);
        }
        let mut by_field: std::collections::BTreeMap<&str, Vec<ScopeWord>> = Default::default();
        for (c, negated) in self.conditions {
            if *negated {
                continue;
            }
            let (field, words): (&str, Vec<ScopeWord>) = match c {
                TicketCondition::Statuses(s) => {
                    ("status", s.iter().map(|s| ScopeWord::Status(*s)).collect())
                }
                TicketCondition::Org(ids) => {
                    ("org", ids.iter().map(|o| ScopeWord::Org(o.0)).collect())
                }
                TicketCondition::Requester(ids) => (
                    "requester",
                    ids.iter().map(|p| ScopeWord::Requester(p.0)).collect(),
                ),
                _ => continue,
            };
            // Conditions on the same field are alternatives (as in `push_ticket_conditions`).
            by_field.entry(field).or_default().extend(words);
        }
        // A group without words allows nothing: the SQL conditions say so; no words needed.
        groups.extend(by_field.into_values().filter(|w| !w.is_empty()));
        groups.retain(|group| {
            group.iter().all(|w| match w {
                ScopeWord::Status(s) => !matches!(s, Status::Resolved | Status::Closed),
                ScopeWord::Org(o) => !large.contains(&OrgId(*o)),
                ScopeWord::Requester(_) => true,
            })
        });
        groups
    }

    /// The organisations whose scope words this search would use.
    fn scope_orgs(&self) -> Vec<OrgId> {
        let mut out: Vec<OrgId> = self
            .scope_words(&[])
            .into_iter()
            .flatten()
            .filter_map(|w| match w {
                ScopeWord::Org(o) => Some(OrgId(o)),
                _ => None,
            })
            .collect();
        out.sort_unstable_by_key(|o| o.0);
        out.dedup();
        out
    }
}

/// A word the indexes hold beside a ticket's and each message's text, naming the ticket's
/// status, organisation or requester (migration 0016). On SQLite they sit in a column of their
/// own (`xsopen`, `xo12`, `xr345`) that the asker's words never search; on PostgreSQL they are
/// lexemes with a hyphen (`s-open`, `o-12`, `r-345`), which no word of a query can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScopeWord {
    Status(Status),
    Org(i64),
    Requester(i64),
}

impl ScopeWord {
    fn fts5(self) -> String {
        match self {
            ScopeWord::Status(s) => format!("xs{}", s.as_str().replace('_', "")),
            ScopeWord::Org(id) => format!("xo{id}"),
            ScopeWord::Requester(id) => format!("xr{id}"),
        }
    }

    fn lexeme(self) -> String {
        match self {
            ScopeWord::Status(s) => format!("s-{}", s.as_str()),
            ScopeWord::Org(id) => format!("o-{id}"),
            ScopeWord::Requester(id) => format!("r-{id}"),
        }
    }
}

/// The FTS5 query of a ticket search: the asker's words in the text columns (`text`, from
/// [`fts5_query`]), and one word of each scope group in the scope column.
fn fts5_scoped(text: &str, text_columns: &str, scope: &[Vec<ScopeWord>]) -> String {
    let mut out = format!("{{{text_columns}}} : {text}");
    for group in scope {
        let words: Vec<String> = group.iter().map(|w| format!("\"{}\"", w.fts5())).collect();
        out.push_str(&format!(" AND scope : ({})", words.join(" OR ")));
    }
    out
}

/// The PostgreSQL tsquery text of the scope groups (cast with `::tsquery`, which takes quoted
/// lexemes as they are); `None` without groups.
fn tsquery_scope(scope: &[Vec<ScopeWord>]) -> Option<String> {
    if scope.is_empty() {
        return None;
    }
    Some(
        scope
            .iter()
            .map(|group| {
                let words: Vec<String> =
                    group.iter().map(|w| format!("'{}'", w.lexeme())).collect();
                format!("({})", words.join(" | "))
            })
            .collect::<Vec<_>>()
            .join(" & "),
    )
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

/// How much of a message is read to rank it (its first characters; the index holds 100,000).
const SCORED_CHARS: i64 = 20_000;

/// Ranks candidate matches `(ticket, message or none for the subject alone, subject, body)`:
/// per ticket its best message (for the snippet), or the subject alone when no message matched;
/// best first, then the newest ticket; the page asked for and one more.
fn rank(
    s: &TicketSearch<'_>,
    rows: Vec<(i64, Option<i64>, String, Option<String>)>,
) -> Vec<TicketMatch> {
    let scorer = steward_domain::search::Scorer::new(s.terms);
    let mut best: std::collections::HashMap<i64, TicketMatch> = Default::default();
    let mut subjects: std::collections::HashMap<i64, f64> = Default::default();
    for (tid, mid, subject, body) in rows {
        let subject = *subjects
            .entry(tid)
            .or_insert_with(|| scorer.subject(&subject));
        let score = subject + body.as_deref().map_or(0.0, |b| scorer.body(b));
        let better =
            |old: &TicketMatch| (mid.is_some(), score) > (old.message.is_some(), old.score);
        if best.get(&tid).is_none_or(better) {
            best.insert(
                tid,
                TicketMatch {
                    ticket: TicketId(tid),
                    message: mid,
                    score,
                },
            );
        }
    }
    let mut out: Vec<TicketMatch> = best.into_values().collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.ticket.0.cmp(&a.ticket.0))
    });
    out.into_iter()
        .skip(s.offset.max(0) as usize)
        .take(s.limit.max(0) as usize + 1)
        .collect()
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
            // millions of messages costs no more than a rare one); they are then ranked. Scope
            // words (see `ScopeWord`) let the index itself narrow by status, organisation and
            // requester. A search narrowed to one team's or person's tickets ranks all its
            // matches on PostgreSQL, reached through those tickets.
            let mut large = Vec::new();
            for org in s.scope_orgs() {
                if self.organisation_is_large(org).await? {
                    large.push(org);
                }
            }
            let scope = s.scope_words(&large);
            // Limited to people's or organisations' tickets that the scope words leave out (a
            // large organisation): reached through those tickets on PostgreSQL, as before them.
            let covered = scope
                .iter()
                .flatten()
                .any(|w| matches!(w, ScopeWord::Org(_) | ScopeWord::Requester(_)));
            let narrow = s.narrow() || (!covered && s.names_people());
            match backend {
                Backend::Sqlite => {
                    let words = fts5_query(s.terms, s.excluded, false);
                    let text = fts5_scoped(&words, "subject body", &scope);
                    let subject = fts5_scoped(&words, "subject", &scope);
                    // The index's newest matches are read and their tickets checked, then
                    // ranked here by `Scorer` (BM25 from the matched texts: SQLite's own bm25()
                    // first counts every row of each word over the whole index, which for a
                    // common word cost more than all the rest). (Reading a requester's few
                    // messages and looking each up in FTS5 by rowid was tried: FTS5 then scans
                    // the whole match per message, far slower.)
                    // The candidates come back as one JSON array: handing thousands of rows
                    // over one by one from sqlx's SQLite thread cost more than the search.
                    let mut query = q("SELECT json_group_array(json_array(tid, mid, subject, body)) FROM (SELECT * FROM (
                                SELECT m.ticket_id AS tid, m.id AS mid, t.subject AS subject, substr(m.body, 1, ");
                    query.param(SCORED_CHARS).push(
                        ") AS body
                                FROM message_search JOIN messages m ON m.id = message_search.rowid
                                JOIN tickets t ON t.id = m.ticket_id
                                WHERE message_search MATCH ",
                    );
                    query.param(text.as_str()).push(kind);
                    push_ticket_conditions(&mut query, s);
                    query
                        .push(" ORDER BY message_search.rowid DESC LIMIT ")
                        .param(CANDIDATES);
                    query.push(
                        ") UNION ALL SELECT * FROM (
                                SELECT t.id AS tid, NULL AS mid, t.subject AS subject, NULL AS body
                                FROM ticket_search JOIN tickets t ON t.id = ticket_search.rowid
                                WHERE ticket_search MATCH ",
                    );
                    query.param(subject.as_str());
                    push_ticket_conditions(&mut query, s);
                    query
                        .push(" ORDER BY ticket_search.rowid DESC LIMIT ")
                        .param(CANDIDATES);
                    query.push(") ) AS u");
                    let (rows,): (String,) = self.fetch_one(query).await?;
                    let rows: Vec<(i64, Option<i64>, String, Option<String>)> =
                        serde_json::from_str(&rows).map_err(|e| {
                            crate::StoreError::Corrupt(format!("search candidates: {e}"))
                        })?;
                    return Ok(rank(s, rows));
                }
                Backend::Postgres => {
                    let text = tsquery(s.terms, s.excluded, false);
                    // Matches need the asker's words and the scope lexemes (`x.m`); they are
                    // ranked by the words alone (`x.q`).
                    let matches = |query: &mut Query| {
                        query
                            .push("to_tsquery('english', ")
                            .param(text.as_str())
                            .push(")");
                        if let Some(scope) = tsquery_scope(&scope) {
                            query.push(" && CAST(").param(scope).push(" AS tsquery)");
                        }
                    };
                    // Subject words are weighted A, message words B (ts_rank_cd's default
                    // weights: 1.0 and 0.4).
                    query = q("SELECT h.tid, h.mid, h.score FROM (
                        SELECT DISTINCT ON (tid) tid, mid, score FROM (
                            SELECT c.tid, c.mid, ts_rank_cd(c.search, c.q)::float8 AS score FROM (
                                SELECT m.ticket_id AS tid, m.id AS mid, m.search, x.q
                                FROM messages m JOIN tickets t ON t.id = m.ticket_id, (SELECT to_tsquery('english', ");
                    query.param(text.as_str());
                    query.push(") AS q, ");
                    matches(&mut query);
                    query.push(" AS m) AS x WHERE m.search @@ x.m").push(kind);
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
                                SELECT t.id AS tid, t.search, x.q FROM tickets t, (SELECT to_tsquery('english', ",
                    );
                    query.param(text.as_str());
                    query.push(") AS q, ");
                    matches(&mut query);
                    query.push(" AS m) AS x WHERE t.search @@ x.m");
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

    /// Whether an organisation has more than a tenth of all tickets, and more than a thousand
    /// (counted up to that many through its index, so the answer costs little either way): its
    /// scope word would cost a search more than it saves (see [`TicketSearch::scope_words`]).
    async fn organisation_is_large(&mut self, org: OrgId) -> Result<bool> {
        let (all,): (Option<i64>,) = self.fetch_one(q("SELECT MAX(id) FROM tickets")).await?;
        let limit = (all.unwrap_or(0) / 10).max(1_000);
        let (n,): (i64,) = self
            .fetch_one(
                q("SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE organisation_id = $1 LIMIT $2) AS o")
                    .bind(org.0)
                    .bind(limit + 1),
            )
            .await?;
        Ok(n > limit)
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
                ("ticket_search", Some("INSERT INTO ticket_search (rowid, subject, scope) SELECT t.id, t.subject, s.scope FROM tickets t JOIN ticket_search_scope s ON s.id = t.id")),
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
                    q("INSERT INTO message_search (rowid, subject, body, scope)
                       SELECT m.id, t.subject, substr(m.body, 1, 100000), s.scope
                       FROM messages m JOIN tickets t ON t.id = m.ticket_id
                       JOIN ticket_search_scope s ON s.id = t.id
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
                           || steward_search_scope(t.status, t.organisation_id, t.requester_id)
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

    #[test]
    fn scope_words_come_from_the_askers_scope_and_positive_filters() {
        let terms = [Term::Word("printer".into())];
        let conditions = [
            (
                TicketCondition::Statuses(vec![Status::New, Status::PendingRequester]),
                false,
            ),
            (TicketCondition::Statuses(vec![Status::Open]), false),
            (TicketCondition::Org(vec![OrgId(7)]), false),
            (TicketCondition::Requester(vec![PersonId(9)]), true),
            (TicketCondition::Requester(vec![]), false),
            (TicketCondition::Team(vec![TeamId(1)]), false),
        ];
        let s = TicketSearch {
            terms: &terms,
            excluded: &[],
            conditions: &conditions,
            scope: TicketScope::Requester {
                person: PersonId(3),
                organisation: Some(OrgId(7)),
            },
            public_only: true,
            offset: 0,
            limit: 20,
        };
        let scope = s.scope_words(&[]);
        assert_eq!(
            scope,
            [
                vec![ScopeWord::Requester(3), ScopeWord::Org(7)],
                vec![ScopeWord::Org(7)],
                vec![
                    ScopeWord::Status(Status::New),
                    ScopeWord::Status(Status::PendingRequester),
                    ScopeWord::Status(Status::Open)
                ],
            ]
        );
        let words = fts5_query(&terms, &[], false);
        assert_eq!(
            fts5_scoped(&words, "subject body", &scope),
            r#"{subject body} : ("printer") AND scope : ("xr3" OR "xo7") AND scope : ("xo7") AND scope : ("xsnew" OR "xspendingrequester" OR "xsopen")"#
        );
        assert_eq!(
            tsquery_scope(&scope).unwrap(),
            "('r-3' | 'o-7') & ('o-7') & ('s-new' | 's-pending_requester' | 's-open')"
        );
        assert!(s.narrow(), "a team filter is not in the index");
        let staff = TicketSearch {
            scope: TicketScope::All,
            conditions: &[],
            ..s
        };
        assert!(staff.scope_words(&[]).is_empty());
        // Words of many rows are left out with their group.
        assert_eq!(
            s.scope_words(&[OrgId(7)]),
            [vec![
                ScopeWord::Status(Status::New),
                ScopeWord::Status(Status::PendingRequester),
                ScopeWord::Status(Status::Open)
            ]]
        );
        assert_eq!(s.scope_orgs(), [OrgId(7)]);
        let closed = [(
            TicketCondition::Statuses(vec![Status::Open, Status::Closed]),
            false,
        )];
        let closed = TicketSearch {
            conditions: &closed,
            ..staff.clone()
        };
        assert!(closed.scope_words(&[]).is_empty());
        assert_eq!(tsquery_scope(&[]), None);
        assert!(!staff.narrow());
        assert!(s.names_people() && !staff.names_people());
    }
}
