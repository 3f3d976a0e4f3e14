//! Bulk loading: whole tickets with their messages, history and tags written many at a time, for
//! the demo and benchmark data generator (`steward demo`). Rows go in as one JSON argument per
//! statement ([`crate::bulk`]), so a batch of thousands of tickets costs a handful of statements.
//! The search indexes follow by themselves (triggers and generated columns), exactly as for tickets
//! written one by one; service-level clocks are computed afterwards by the service.

use steward_domain::kpi::Measures;
use steward_domain::{Channel, EventAction, Field, MessageKind, Named, PersonId, Timestamp};

use crate::bulk::{push_rows, Col};
use crate::query::q;
use crate::rows::ts;
use crate::tickets::NewTicket;
use crate::{Backend, Conn, Result};

/// A whole ticket as it stands after its life so far: what creating it would take, and what
/// happened to it since.
#[derive(Debug, Clone)]
pub struct LoadTicket {
    pub ticket: NewTicket,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_responded_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub reopen_count: i64,
    pub messages: Vec<LoadMessage>,
    pub events: Vec<LoadEvent>,
    /// What the reports read of it (see `steward_domain::kpi::measure`), once it has any.
    pub measures: Option<Measures>,
    /// The satisfaction survey of its resolution, if one was sent.
    pub survey: Option<LoadSurvey>,
}

/// The satisfaction survey of a [`LoadTicket`]'s resolution.
#[derive(Debug, Clone)]
pub struct LoadSurvey {
    pub resolved_at: Timestamp,
    pub sent_at: Timestamp,
    /// SHA-256 (hex) of the link's secret.
    pub token_hash: String,
    pub rating: Option<u8>,
    pub comment: String,
    pub rated_at: Option<Timestamp>,
}

/// One message of a [`LoadTicket`].
#[derive(Debug, Clone)]
pub struct LoadMessage {
    pub author_id: Option<PersonId>,
    pub kind: MessageKind,
    pub channel: Option<Channel>,
    pub body: String,
    pub created_at: Timestamp,
}

/// One history entry of a [`LoadTicket`].
#[derive(Debug, Clone)]
pub struct LoadEvent {
    pub actor_id: Option<PersonId>,
    pub at: Timestamp,
    pub action: EventAction,
    pub field: Option<Field>,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Rows per statement: large enough that statements are few, small enough that one JSON
/// argument stays a few megabytes.
const ROWS_PER_STATEMENT: usize = 5000;

impl Conn {
    /// Writes whole tickets (with their tags, messages and history) and returns their numbers.
    /// Ids and numbers are taken as one writer would take them: from the sequences on
    /// PostgreSQL (so a running Steward may write meanwhile), after the highest on SQLite (whose
    /// writer this transaction is).
    pub async fn load_tickets(&mut self, tickets: &[LoadTicket]) -> Result<Vec<i64>> {
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.backend();
        let keys: Vec<(i64, i64)> = match backend {
            Backend::Sqlite => {
                let (id, number): (i64, i64) = self
                    .fetch_one(q(
                        "SELECT COALESCE(MAX(id), 0), COALESCE(MAX(number), 0) FROM tickets",
                    ))
                    .await?;
                (1..=tickets.len() as i64)
                    .map(|i| (id + i, number + i))
                    .collect()
            }
            Backend::Postgres => {
                self.fetch_all(
                    q("SELECT nextval(pg_get_serial_sequence('tickets', 'id')),
                              nextval('ticket_number_seq')
                       FROM generate_series(1, $1)")
                    .bind(tickets.len() as i64),
                )
                .await?
            }
        };
        let opt = |t: Option<Timestamp>| t.map(ts);
        let rows: Vec<serde_json::Value> = tickets
            .iter()
            .zip(&keys)
            .map(|(l, (id, number))| {
                let t = &l.ticket;
                serde_json::json!([
                    id,
                    number,
                    t.ticket_type.as_str(),
                    t.subject,
                    t.status.as_str(),
                    t.impact.rank(),
                    t.urgency.rank(),
                    t.priority.rank(),
                    t.category_id.map(|c| c.0),
                    t.requester_id.0,
                    t.organisation_id.map(|o| o.0),
                    t.team_id.map(|x| x.0),
                    t.assignee_id.map(|x| x.0),
                    t.channel.as_str(),
                    ts(l.created_at),
                    ts(l.updated_at),
                    opt(l.first_responded_at),
                    opt(l.resolved_at),
                    opt(l.closed_at),
                    l.reopen_count,
                    l.survey.as_ref().and_then(|s| s.rating),
                ])
            })
            .collect();
        use Col::{Bool, Int, Text};
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut query = q(
                "INSERT INTO tickets (id, number, ticket_type, subject, status,
                impact, urgency, priority, category_id, requester_id, organisation_id, team_id,
                assignee_id, channel, created_at, updated_at, first_responded_at, resolved_at,
                closed_at, reopen_count, rating) SELECT c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10,
                c11, c12, c13, c14, c15, c16, c17, c18, c19, c20 FROM ",
            );
            push_rows(
                &mut query,
                backend,
                json(chunk),
                &[
                    Int, Int, Text, Text, Text, Int, Int, Int, Int, Int, Int, Int, Int, Text, Int,
                    Int, Int, Int, Int, Int, Int,
                ],
                "r",
            );
            self.execute(query).await?;
        }

        let mut tags = Vec::new();
        let mut messages = Vec::new();
        let mut events = Vec::new();
        let mut metrics = Vec::new();
        let mut surveys = Vec::new();
        let ms = |d: jiff::SignedDuration| d.as_millis() as i64;
        for (t, (id, _)) in tickets.iter().zip(&keys) {
            if let Some(m) = &t.measures {
                metrics.push(serde_json::json!([
                    id,
                    m.first_response.map(|s| ms(s.calendar)),
                    m.first_response.map(|s| ms(s.business)),
                    m.resolution.map(|s| ms(s.calendar)),
                    m.resolution.map(|s| ms(s.business)),
                    m.staff_replies,
                    m.first_response_met,
                    m.next_response_met,
                    m.resolution_met,
                ]));
            }
            if let Some(s) = &t.survey {
                surveys.push(serde_json::json!([
                    id,
                    ts(s.resolved_at),
                    s.token_hash,
                    ts(s.sent_at),
                    s.rating,
                    s.comment,
                    opt(s.rated_at),
                ]));
            }
            for tag in &t.ticket.tags {
                tags.push(serde_json::json!([id, tag]));
            }
            for m in &t.messages {
                messages.push(serde_json::json!([
                    id,
                    m.author_id.map(|a| a.0),
                    m.kind.as_str(),
                    m.channel.map(|c| c.as_str()),
                    m.body,
                    ts(m.created_at),
                ]));
            }
            for e in &t.events {
                events.push(serde_json::json!([
                    id,
                    e.actor_id.map(|a| a.0),
                    ts(e.at),
                    e.action.as_str(),
                    e.field.map(|f| f.as_str()),
                    e.old,
                    e.new,
                ]));
            }
        }
        for chunk in tags.chunks(ROWS_PER_STATEMENT) {
            let mut query = q("INSERT INTO ticket_tags (ticket_id, tag) SELECT c0, c1 FROM ");
            push_rows(&mut query, backend, json(chunk), &[Int, Text], "r");
            self.execute(query).await?;
        }
        for chunk in messages.chunks(ROWS_PER_STATEMENT) {
            let mut query = q(
                "INSERT INTO messages (ticket_id, author_id, kind, channel, body,
                created_at) SELECT c0, c1, c2, c3, c4, c5 FROM ",
            );
            push_rows(
                &mut query,
                backend,
                json(chunk),
                &[Int, Int, Text, Text, Text, Int],
                "r",
            );
            self.execute(query).await?;
        }
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            let mut query = q(
                "INSERT INTO ticket_events (ticket_id, actor_id, at, action, field,
                old_value, new_value) SELECT c0, c1, c2, c3, c4, c5, c6 FROM ",
            );
            push_rows(
                &mut query,
                backend,
                json(chunk),
                &[Int, Int, Int, Text, Text, Text, Text],
                "r",
            );
            self.execute(query).await?;
        }
        for chunk in metrics.chunks(ROWS_PER_STATEMENT) {
            let mut query = q(
                "INSERT INTO ticket_metrics (ticket_id, first_response_ms, first_response_bms,
                resolution_ms, resolution_bms, staff_replies, first_response_met,
                next_response_met, resolution_met) SELECT c0, c1, c2, c3, c4, c5, c6, c7, c8 FROM ",
            );
            push_rows(
                &mut query,
                backend,
                json(chunk),
                &[Int, Int, Int, Int, Int, Int, Bool, Bool, Bool],
                "r",
            );
            self.execute(query).await?;
        }
        for chunk in surveys.chunks(ROWS_PER_STATEMENT) {
            let mut query = q(
                "INSERT INTO surveys (ticket_id, resolved_at, token_hash, sent_at, rating,
                comment, rated_at) SELECT c0, c1, c2, c3, c4, c5, c6 FROM ",
            );
            push_rows(
                &mut query,
                backend,
                json(chunk),
                &[Int, Int, Text, Int, Int, Text, Int],
                "r",
            );
            self.execute(query).await?;
        }
        Ok(keys.into_iter().map(|(_, n)| n).collect())
    }

    /// How many organisations, people and tickets are stored.
    pub async fn load_counts(&mut self) -> Result<(i64, i64, i64)> {
        self.fetch_one(q("SELECT (SELECT COUNT(*) FROM organisations),
                                 (SELECT COUNT(*) FROM people),
                                 (SELECT COUNT(*) FROM tickets)"))
            .await
    }
}

fn json(rows: &[serde_json::Value]) -> String {
    serde_json::to_string(rows).unwrap_or_else(|_| "[]".into())
}
