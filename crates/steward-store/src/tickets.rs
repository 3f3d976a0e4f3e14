//! Queries for tickets, their messages and their history.

use steward_domain::policy::TicketScope;
use steward_domain::{
    CategoryId, Change, Channel, EventAction, HistoryEntry, Impact, Message, MessageKind, Named,
    OrgId, PersonId, Priority, Status, TeamId, Ticket, TicketId, TicketType, Timestamp, Urgency,
};

use crate::query::{q, Query};
use crate::rows::{ts, EventRow, MessageRow, TicketRow, EVENT_COLS, MESSAGE_COLS, TICKET_COLS};
use crate::{Backend, Conn, Result};

/// A ticket to create; the store allocates its id and number.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub ticket_type: TicketType,
    pub subject: String,
    pub status: Status,
    pub impact: Impact,
    pub urgency: Urgency,
    pub priority: Priority,
    pub category_id: Option<CategoryId>,
    pub requester_id: PersonId,
    pub organisation_id: Option<OrgId>,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<PersonId>,
    pub channel: Channel,
    pub tags: Vec<String>,
}

/// Which tickets to list. Empty lists and `None` mean "any".
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub statuses: Vec<Status>,
    pub priorities: Vec<Priority>,
    pub types: Vec<TicketType>,
    /// `Some(None)`: unassigned.
    pub assignee: Option<Option<PersonId>>,
    /// `Some(None)`: no team.
    pub team: Option<Option<TeamId>>,
    pub organisation: Option<OrgId>,
    pub requester: Option<PersonId>,
    pub tag: Option<String>,
    /// Updated at or after this instant.
    pub updated_since: Option<Timestamp>,
}

/// The order of a ticket list. Ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TicketSort {
    #[default]
    Updated,
    Created,
    /// By priority rank: ascending puts critical first.
    Priority,
    Number,
    /// By the soonest service-level due instant; tickets without one come last.
    Due,
}

/// The key of tickets without a due instant when sorting by it (after every real instant).
const NO_DUE: i64 = i64::MAX;

impl TicketSort {
    fn column(self) -> &'static str {
        match self {
            TicketSort::Updated => "updated_at",
            TicketSort::Created => "created_at",
            TicketSort::Priority => "priority",
            TicketSort::Number => "number",
            TicketSort::Due => "COALESCE(sla_due_at, 9223372036854775807)",
        }
    }

    /// The value of the sort key for a ticket (what a cursor remembers).
    pub fn key(self, t: &Ticket) -> i64 {
        match self {
            TicketSort::Updated => ts(t.updated_at),
            TicketSort::Created => ts(t.created_at),
            TicketSort::Priority => t.priority.rank(),
            TicketSort::Number => t.number,
            TicketSort::Due => t.sla_due_at.map_or(NO_DUE, ts),
        }
    }
}

/// One page of a ticket list.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub sort: TicketSort,
    pub descending: bool,
    /// Continue after the ticket with this (sort key, id).
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

/// A page of results and where the next one starts (`None` at the end).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<(i64, i64)>,
}

pub(crate) fn push_in<T: Copy>(
    query: &mut Query,
    column: &str,
    values: &[T],
    f: impl Fn(T) -> crate::query::Arg,
) {
    query.push(" AND ").push(column).push(" IN (");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            query.push(", ");
        }
        query.param(f(*v));
    }
    query.push(")");
}

/// Appends the `AND …` conditions for a scope and a filter.
fn push_conditions(query: &mut Query, scope: TicketScope, filter: &TicketFilter) {
    if let TicketScope::Requester {
        person,
        organisation,
    } = scope
    {
        query.push(" AND (requester_id = ").param(person.0);
        if let Some(org) = organisation {
            query.push(" OR organisation_id = ").param(org.0);
        }
        query.push(")");
    }
    if !filter.statuses.is_empty() {
        push_in(query, "status", &filter.statuses, |s| s.as_str().into());
    }
    if !filter.priorities.is_empty() {
        push_in(query, "priority", &filter.priorities, |p| p.rank().into());
    }
    if !filter.types.is_empty() {
        push_in(query, "ticket_type", &filter.types, |t| t.as_str().into());
    }
    match filter.assignee {
        Some(Some(a)) => {
            query.push(" AND assignee_id = ").param(a.0);
        }
        Some(None) => {
            query.push(" AND assignee_id IS NULL");
        }
        None => {}
    }
    match filter.team {
        Some(Some(t)) => {
            query.push(" AND team_id = ").param(t.0);
        }
        Some(None) => {
            query.push(" AND team_id IS NULL");
        }
        None => {}
    }
    if let Some(o) = filter.organisation {
        query.push(" AND organisation_id = ").param(o.0);
    }
    if let Some(r) = filter.requester {
        query.push(" AND requester_id = ").param(r.0);
    }
    if let Some(tag) = &filter.tag {
        query
            .push(" AND id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ")
            .param(tag.as_str())
            .push(")");
    }
    if let Some(since) = filter.updated_since {
        query.push(" AND updated_at >= ").param(ts(since));
    }
}

impl Conn {
    /// How many tickets in `scope` pass `filter`.
    pub async fn count_tickets(
        &mut self,
        scope: TicketScope,
        filter: &TicketFilter,
    ) -> Result<i64> {
        let mut query = q("SELECT COUNT(*) FROM tickets WHERE 1 = 1");
        push_conditions(&mut query, scope, filter);
        let (n,): (i64,) = self.fetch_one(query).await?;
        Ok(n)
    }

    pub async fn insert_ticket(&mut self, t: &NewTicket, now: Timestamp) -> Result<Ticket> {
        let number = match self.backend() {
            // SQLite has one writer at a time, so the next number cannot be taken twice.
            Backend::Sqlite => "(SELECT COALESCE(MAX(number), 0) + 1 FROM tickets)",
            Backend::Postgres => "nextval('ticket_number_seq')",
        };
        let row: TicketRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO tickets (number, ticket_type, subject, status, impact, urgency,
                        priority, category_id, requester_id, organisation_id, team_id, assignee_id,
                        channel, created_at, updated_at)
                     VALUES ({number}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
                     RETURNING {TICKET_COLS}"
                ))
                .bind(t.ticket_type.as_str())
                .bind(&t.subject)
                .bind(t.status.as_str())
                .bind(t.impact.rank())
                .bind(t.urgency.rank())
                .bind(t.priority.rank())
                .bind(t.category_id.map(|c| c.0))
                .bind(t.requester_id.0)
                .bind(t.organisation_id.map(|o| o.0))
                .bind(t.team_id.map(|x| x.0))
                .bind(t.assignee_id.map(|x| x.0))
                .bind(t.channel.as_str())
                .bind(ts(now)),
            )
            .await?;
        let id = row.id;
        self.insert_tags(id, &t.tags).await?;
        row.into_ticket(t.tags.clone())
    }

    async fn insert_tags(&mut self, ticket: i64, tags: &[String]) -> Result<()> {
        for tag in tags {
            self.execute(
                q("INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2)")
                    .bind(ticket)
                    .bind(tag),
            )
            .await?;
        }
        Ok(())
    }

    async fn tags_of(&mut self, ticket: i64) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = self
            .fetch_all(
                q("SELECT tag FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag").bind(ticket),
            )
            .await?;
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }

    pub async fn get_ticket(&mut self, id: TicketId) -> Result<Ticket> {
        let row: TicketRow = self
            .fetch_one(q(&format!("SELECT {TICKET_COLS} FROM tickets WHERE id = $1")).bind(id.0))
            .await?;
        let tags = self.tags_of(row.id).await?;
        row.into_ticket(tags)
    }

    /// A ticket, locked until the transaction ends, for read-modify-write. (PostgreSQL takes a row
    /// lock; SQLite's write transactions are already exclusive.)
    pub async fn get_ticket_for_update(&mut self, id: TicketId) -> Result<Ticket> {
        let lock = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        };
        let row: TicketRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {TICKET_COLS} FROM tickets WHERE id = $1{lock}"
                ))
                .bind(id.0),
            )
            .await?;
        let tags = self.tags_of(row.id).await?;
        row.into_ticket(tags)
    }

    /// Moves every ticket of a requester to their new organisation (a ticket's organisation is its
    /// requester's). Returns the tickets moved, with their old organisation, for history.
    pub async fn move_requester_tickets(
        &mut self,
        requester: PersonId,
        to: Option<OrgId>,
        now: Timestamp,
    ) -> Result<Vec<(TicketId, Option<OrgId>)>> {
        let moved: Vec<(i64, Option<i64>)> = self
            .fetch_all(
                q("SELECT id, organisation_id FROM tickets
                   WHERE requester_id = $1 AND organisation_id IS DISTINCT FROM $2")
                .bind(requester.0)
                .bind(to.map(|o| o.0)),
            )
            .await?;
        if !moved.is_empty() {
            self.execute(
                q("UPDATE tickets SET organisation_id = $1, updated_at = $2
                   WHERE requester_id = $3 AND organisation_id IS DISTINCT FROM $1")
                .bind(to.map(|o| o.0))
                .bind(ts(now))
                .bind(requester.0),
            )
            .await?;
        }
        Ok(moved
            .into_iter()
            .map(|(id, org)| (TicketId(id), org.map(OrgId)))
            .collect())
    }

    pub async fn get_ticket_by_number(&mut self, number: i64) -> Result<Ticket> {
        let row: TicketRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {TICKET_COLS} FROM tickets WHERE number = $1"
                ))
                .bind(number),
            )
            .await?;
        let tags = self.tags_of(row.id).await?;
        row.into_ticket(tags)
    }

    /// Writes every field of a ticket; rewrites its tags when `tags_changed`.
    pub async fn update_ticket(&mut self, t: &Ticket, tags_changed: bool) -> Result<()> {
        let n = self
            .execute(
                q("UPDATE tickets SET ticket_type = $1, subject = $2, status = $3, impact = $4,
                     urgency = $5, priority = $6, category_id = $7, requester_id = $8,
                     organisation_id = $9, team_id = $10, assignee_id = $11, updated_at = $12,
                     first_responded_at = $13, resolved_at = $14, closed_at = $15, reopen_count = $16
                   WHERE id = $17")
                .bind(t.ticket_type.as_str())
                .bind(&t.subject)
                .bind(t.status.as_str())
                .bind(t.impact.rank())
                .bind(t.urgency.rank())
                .bind(t.priority.rank())
                .bind(t.category_id.map(|c| c.0))
                .bind(t.requester_id.0)
                .bind(t.organisation_id.map(|o| o.0))
                .bind(t.team_id.map(|x| x.0))
                .bind(t.assignee_id.map(|x| x.0))
                .bind(ts(t.updated_at))
                .bind(t.first_responded_at.map(ts))
                .bind(t.resolved_at.map(ts))
                .bind(t.closed_at.map(ts))
                .bind(t.reopen_count)
                .bind(t.id.0),
            )
            .await?;
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        if tags_changed {
            self.execute(q("DELETE FROM ticket_tags WHERE ticket_id = $1").bind(t.id.0))
                .await?;
            self.insert_tags(t.id.0, &t.tags).await?;
        }
        Ok(())
    }

    /// Tickets in `scope` that pass `filter`, one page at a time (keyset pagination, so every page
    /// costs the same however deep it is).
    pub async fn list_tickets(
        &mut self,
        scope: TicketScope,
        filter: &TicketFilter,
        page: PageRequest,
    ) -> Result<Page<Ticket>> {
        let mut query = Query::default();
        query.push(&format!("SELECT {TICKET_COLS} FROM tickets WHERE 1 = 1"));
        push_conditions(&mut query, scope, filter);
        let col = page.sort.column();
        let (cmp, dir) = if page.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((key, id)) = page.after {
            query.push(&format!(" AND ({col}, id) {cmp} ("));
            query.param(key).push(", ").param(id).push(")");
        }
        query.push(&format!(" ORDER BY {col} {dir}, id {dir} LIMIT "));
        query.param(page.limit + 1);

        let mut rows: Vec<TicketRow> = self.fetch_all(query).await?;
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit.max(0) as usize);
        let mut tags = self.tags_for(rows.iter().map(|r| r.id)).await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows {
            let t = tags.remove(&r.id).unwrap_or_default();
            items.push(r.into_ticket(t)?);
        }
        let next = match items.last() {
            Some(last) if more => Some((page.sort.key(last), last.id.0)),
            _ => None,
        };
        Ok(Page { items, next })
    }

    /// Tickets not resolved or closed, after id `after`, a page at a time in id order, with their
    /// tags (for sweeps over the open work: time rules, test mode, recomputing).
    pub async fn active_tickets(&mut self, after: i64, limit: i64) -> Result<Vec<Ticket>> {
        self.active_tickets_page(after, limit, "").await
    }

    /// [`Conn::active_tickets`], locked until the transaction ends (for rewriting them in bulk).
    pub async fn active_tickets_for_update(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Ticket>> {
        let lock = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        };
        self.active_tickets_page(after, limit, lock).await
    }

    async fn active_tickets_page(
        &mut self,
        after: i64,
        limit: i64,
        lock: &str,
    ) -> Result<Vec<Ticket>> {
        // Up to a thousand at a time, for sweeps over every open ticket: the quickest way.
        let mut rows = Vec::new();
        self.fetch_each_row(
            q(&format!(
                "SELECT {TICKET_COLS} FROM tickets WHERE status NOT IN ('resolved', 'closed') AND id > $1 ORDER BY id LIMIT $2{lock}"
            ))
            .bind(after)
            .bind(limit),
            &crate::rows::TICKET_KINDS,
            |r| {
                rows.push(TicketRow::from_cells(r)?);
                Ok(())
            },
        )
        .await?;
        let mut tags = self.tags_for(rows.iter().map(|r| r.id)).await?;
        rows.into_iter()
            .map(|r| {
                let t = tags.remove(&r.id).unwrap_or_default();
                r.into_ticket(t)
            })
            .collect()
    }

    pub(crate) async fn tags_for(
        &mut self,
        ids: impl Iterator<Item = i64>,
    ) -> Result<std::collections::HashMap<i64, Vec<String>>> {
        let ids: Vec<i64> = ids.collect();
        let mut out: std::collections::HashMap<i64, Vec<String>> = Default::default();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut query = q("SELECT ticket_id, tag FROM ticket_tags WHERE 1 = 1");
        crate::bulk::push_ids_in(&mut query, self.backend(), "ticket_id", &ids);
        query.push(" ORDER BY ticket_id, tag");
        let rows: Vec<(i64, String)> = self.fetch_all(query).await?;
        for (id, tag) in rows {
            out.entry(id).or_default().push(tag);
        }
        Ok(out)
    }

    // ---- messages ----

    pub async fn insert_message(
        &mut self,
        ticket: TicketId,
        author: Option<PersonId>,
        kind: MessageKind,
        body: &str,
        now: Timestamp,
    ) -> Result<Message> {
        let row: MessageRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO messages (ticket_id, author_id, kind, body, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING {MESSAGE_COLS}"
                ))
                .bind(ticket.0)
                .bind(author.map(|a| a.0))
                .bind(kind.as_str())
                .bind(body)
                .bind(ts(now)),
            )
            .await?;
        row.try_into()
    }

    /// A ticket's messages, oldest first; internal notes only if asked for.
    pub async fn list_messages(
        &mut self,
        ticket: TicketId,
        with_internal: bool,
    ) -> Result<Vec<Message>> {
        let filter = if with_internal {
            ""
        } else {
            " AND kind = 'public'"
        };
        let rows: Vec<MessageRow> = self
            .fetch_all(
                q(&format!(
                    "SELECT {MESSAGE_COLS} FROM messages WHERE ticket_id = $1{filter} ORDER BY id"
                ))
                .bind(ticket.0),
            )
            .await?;
        rows.into_iter().map(Message::try_from).collect()
    }

    // ---- history ----

    /// Appends one history entry per change (or one without a change, for `Created`, `Replied`
    /// and `Noted`).
    pub async fn record_history(
        &mut self,
        ticket: TicketId,
        actor: Option<PersonId>,
        at: Timestamp,
        action: EventAction,
        changes: &[Change],
    ) -> Result<()> {
        let insert = "INSERT INTO ticket_events (ticket_id, actor_id, at, action, field, old_value, new_value)
                      VALUES ($1, $2, $3, $4, $5, $6, $7)";
        if changes.is_empty() {
            self.execute(
                q(insert)
                    .bind(ticket.0)
                    .bind(actor.map(|a| a.0))
                    .bind(ts(at))
                    .bind(action.as_str())
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<String>),
            )
            .await?;
        }
        for c in changes {
            self.execute(
                q(insert)
                    .bind(ticket.0)
                    .bind(actor.map(|a| a.0))
                    .bind(ts(at))
                    .bind(action.as_str())
                    .bind(c.field.as_str())
                    .bind(c.old.clone())
                    .bind(c.new.clone()),
            )
            .await?;
        }
        Ok(())
    }

    /// A ticket's history, oldest first.
    pub async fn history(&mut self, ticket: TicketId) -> Result<Vec<HistoryEntry>> {
        let rows: Vec<EventRow> = self
            .fetch_all(
                q(&format!(
                    "SELECT {EVENT_COLS} FROM ticket_events WHERE ticket_id = $1 ORDER BY id"
                ))
                .bind(ticket.0),
            )
            .await?;
        rows.into_iter().map(HistoryEntry::try_from).collect()
    }
}
