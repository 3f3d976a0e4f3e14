//! Queries for feedback and reports: each ticket's measures, the facts a KPI report adds up,
//! satisfaction surveys, the suggestion box and scheduled reports.

use steward_domain::kpi::{Facts, Filter, Measures, Span};
use steward_domain::{Named as _, OrgId, PersonId, Priority, TicketId, Timestamp};

use crate::conn::{CellKind, Cells};
use crate::query::{q, Query};
use crate::rows::{from_opt_ts, from_ts, name, rank, ts};
use crate::{Conn, Result};

/// A satisfaction survey: one resolution of a ticket, asked about once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub id: i64,
    pub ticket_id: TicketId,
    pub resolved_at: Timestamp,
    pub sent_at: Timestamp,
    pub rating: Option<u8>,
    pub comment: String,
    pub rated_at: Option<Timestamp>,
}

crate::record::record! {
    struct SurveyRow {
        id: i64,
        ticket_id: i64,
        resolved_at: i64,
        sent_at: i64,
        rating: Option<i64>,
        comment: String,
        rated_at: Option<i64>,
    }
}

const SURVEY_COLS: &str = "id, ticket_id, resolved_at, sent_at, rating, comment, rated_at";

impl SurveyRow {
    fn into_survey(self) -> Result<Survey> {
        Ok(Survey {
            id: self.id,
            ticket_id: TicketId(self.ticket_id),
            resolved_at: from_ts(self.resolved_at)?,
            sent_at: from_ts(self.sent_at)?,
            rating: self.rating.and_then(|r| u8::try_from(r).ok()),
            comment: self.comment,
            rated_at: from_opt_ts(self.rated_at)?,
        })
    }
}

/// Where a suggestion stands.
pub const SUGGESTION_STATUSES: [&str; 4] = ["new", "planned", "done", "declined"];

/// Feedback from the suggestion box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub id: i64,
    pub author_id: PersonId,
    pub author_name: String,
    pub organisation_id: Option<OrgId>,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub response: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

crate::record::record! {
    struct SuggestionRow {
        id: i64,
        author_id: i64,
        author_name: String,
        organisation_id: Option<i64>,
        subject: String,
        body: String,
        status: String,
        response: String,
        created_at: i64,
        updated_at: i64,
    }
}

const SUGGESTION_SELECT: &str =
    "SELECT s.id, s.author_id, p.name AS author_name, s.organisation_id, \
     s.subject, s.body, s.status, s.response, s.created_at, s.updated_at \
     FROM suggestions s JOIN people p ON p.id = s.author_id";

impl SuggestionRow {
    fn into_suggestion(self) -> Result<Suggestion> {
        Ok(Suggestion {
            id: self.id,
            author_id: PersonId(self.author_id),
            author_name: self.author_name,
            organisation_id: self.organisation_id.map(OrgId),
            subject: self.subject,
            body: self.body,
            status: self.status,
            response: self.response,
            created_at: from_ts(self.created_at)?,
            updated_at: from_ts(self.updated_at)?,
        })
    }
}

/// A report mailed on a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSchedule {
    pub id: i64,
    pub person_id: PersonId,
    /// `weekly` or `monthly`.
    pub frequency: String,
    pub filter: Filter,
    pub next_run_at: Timestamp,
    pub last_sent_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

crate::record::record! {
    struct ScheduleRow {
        id: i64,
        person_id: i64,
        frequency: String,
        filters: String,
        next_run_at: i64,
        last_sent_at: Option<i64>,
        created_at: i64,
    }
}

const SCHEDULE_COLS: &str =
    "id, person_id, frequency, filters, next_run_at, last_sent_at, created_at";

impl ScheduleRow {
    fn into_schedule(self) -> Result<ReportSchedule> {
        Ok(ReportSchedule {
            id: self.id,
            person_id: PersonId(self.person_id),
            frequency: self.frequency,
            filter: serde_json::from_str(&self.filters)
                .map_err(|e| crate::StoreError::Corrupt(format!("report filters: {e}")))?,
            next_run_at: from_ts(self.next_run_at)?,
            last_sent_at: from_opt_ts(self.last_sent_at)?,
            created_at: from_ts(self.created_at)?,
        })
    }
}

/// A target's outcome as two bits: 0 none, 1 met, 2 missed.
fn met_bits(column: &str) -> String {
    format!("(CASE WHEN {column} THEN 1 WHEN NOT {column} THEN 2 ELSE 0 END)")
}

/// The columns of a report's row per ticket (see [`facts`]). A million of them are read for a
/// year, so they are as few and as cheap as can be: names come as text (looked up here, which is
/// quicker than SQL comparing strings), and the small numbers are packed into one integer
/// ([`packed`]).
const FACTS_COLUMNS: &str = "t.status, t.channel, t.ticket_type, t.created_at, \
     t.first_responded_at, t.resolved_at, t.sla_due_at, t.category_id, t.organisation_id, \
     t.team_id, t.assignee_id, m.first_response_ms, m.first_response_bms, m.resolution_ms, \
     m.resolution_bms";

const FACTS_KINDS: [CellKind; 16] = {
    let mut k = [CellKind::Int; 16];
    k[1] = CellKind::Text;
    k[2] = CellKind::Text;
    k[3] = CellKind::Text;
    k
};

/// The small fields of a ticket packed into one integer, from the lowest bits: six for the
/// priority, one for "reopened", two for the staff replies (0, 1, 2 or more), and two for each
/// target's outcome (first response, next response, resolution).
fn packed() -> String {
    format!(
        "(t.priority + 64 * (CASE WHEN t.reopen_count > 0 THEN 1 ELSE 0 END) \
         + 128 * (CASE WHEN m.staff_replies >= 2 THEN 2 ELSE COALESCE(m.staff_replies, 0) END) \
         + 512 * {} + 2048 * {} + 8192 * {})",
        met_bits("m.first_response_met"),
        met_bits("m.next_response_met"),
        met_bits("m.resolution_met"),
    )
}

fn met(p: i64, shift: u32) -> Option<bool> {
    match (p >> shift) & 3 {
        1 => Some(true),
        2 => Some(false),
        _ => None,
    }
}

/// One ticket's [`Facts`] from its row: `packed`, then [`FACTS_COLUMNS`].
fn facts(r: &Cells) -> Result<Facts> {
    let p = r.need_int(0)?;
    let span = |calendar: usize, business: usize| {
        Some(Span {
            calendar: jiff::SignedDuration::from_millis(r.int(calendar)?),
            business: jiff::SignedDuration::from_millis(r.int(business)?),
        })
    };
    Ok(Facts {
        status: name(r.need_text(1)?)?,
        channel: name(r.need_text(2)?)?,
        ticket_type: name(r.need_text(3)?)?,
        created_at: from_ts(r.need_int(4)?)?,
        first_responded_at: from_opt_ts(r.int(5))?,
        resolved_at: from_opt_ts(r.int(6))?,
        sla_due_at: from_opt_ts(r.int(7))?,
        category: r.int(8),
        organisation: r.int(9),
        team: r.int(10),
        assignee: r.int(11),
        priority: rank(p & 63, Priority::from_rank, "priority")?,
        reopen_count: (p >> 6) & 1,
        measures: Measures {
            first_response: span(12, 13),
            resolution: span(14, 15),
            staff_replies: (p >> 7) & 3,
            first_response_met: met(p, 9),
            next_response_met: met(p, 11),
            resolution_met: met(p, 13),
        },
    })
}

/// `AND …` for a report's filter on tickets `t`.
fn push_filter(query: &mut Query, f: &Filter) {
    if let Some(o) = f.organisation {
        query.push(" AND t.organisation_id = ").param(o);
    }
    if let Some(x) = f.team {
        query.push(" AND t.team_id = ").param(x);
    }
    if let Some(x) = f.technician {
        query.push(" AND t.assignee_id = ").param(x);
    }
    if let Some(x) = f.ticket_type {
        query.push(" AND t.ticket_type = ").param(x.as_str());
    }
    if let Some(x) = f.priority {
        query.push(" AND t.priority = ").param(x.rank());
    }
}

/// What a report names by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameTable {
    Organisations,
    People,
    Teams,
    Categories,
}

impl Conn {
    /// The names of these ids (those that exist).
    pub async fn names_of(
        &mut self,
        what: NameTable,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let table = match what {
            NameTable::Organisations => "organisations",
            NameTable::People => "people",
            NameTable::Teams => "teams",
            NameTable::Categories => "categories",
        };
        let mut query = q(&format!("SELECT id, name FROM {table} WHERE 1 = 1"));
        crate::bulk::push_ids_in(&mut query, self.backend(), "id", ids);
        let rows: Vec<(i64, String)> = self.fetch_all(query).await?;
        Ok(rows.into_iter().collect())
    }

    /// Stores what was measured of a ticket.
    pub async fn set_ticket_metrics(&mut self, ticket: TicketId, m: &Measures) -> Result<()> {
        let ms = |d: jiff::SignedDuration| d.as_millis() as i64;
        self.execute(
            q(
                "INSERT INTO ticket_metrics (ticket_id, first_response_ms, first_response_bms,
                   resolution_ms, resolution_bms, staff_replies, first_response_met,
                   next_response_met, resolution_met)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (ticket_id) DO UPDATE SET
                   first_response_ms = excluded.first_response_ms,
                   first_response_bms = excluded.first_response_bms,
                   resolution_ms = excluded.resolution_ms,
                   resolution_bms = excluded.resolution_bms,
                   staff_replies = excluded.staff_replies,
                   first_response_met = excluded.first_response_met,
                   next_response_met = excluded.next_response_met,
                   resolution_met = excluded.resolution_met",
            )
            .bind(ticket.0)
            .bind(m.first_response.map(|s| ms(s.calendar)))
            .bind(m.first_response.map(|s| ms(s.business)))
            .bind(m.resolution.map(|s| ms(s.calendar)))
            .bind(m.resolution.map(|s| ms(s.business)))
            .bind(m.staff_replies)
            .bind(m.first_response_met)
            .bind(m.next_response_met)
            .bind(m.resolution_met),
        )
        .await?;
        Ok(())
    }

    /// The lowest and highest ticket id (to read a report's tickets in parts,
    /// [`Conn::report_facts`]); `None` without tickets.
    pub async fn ticket_id_bounds(&mut self) -> Result<Option<(i64, i64)>> {
        let row: (Option<i64>, Option<i64>) = self
            .fetch_one(q("SELECT MIN(id), MAX(id) FROM tickets"))
            .await?;
        Ok(row.0.zip(row.1))
    }

    /// Every ticket a report over `[from, to)` needs, one at a time: created, first answered or
    /// resolved in the period, and every ticket open now. With `ids` `(a, b)`, only the tickets
    /// with ids from `a` to `b` (both included).
    pub async fn report_facts(
        &mut self,
        filter: &Filter,
        from: Timestamp,
        to: Timestamp,
        ids: Option<(i64, i64)>,
        mut each: impl FnMut(Facts) -> Result<()> + Send,
    ) -> Result<()> {
        let mut query = q(&format!(
            "SELECT {} AS packed, {FACTS_COLUMNS}
           FROM tickets t LEFT JOIN ticket_metrics m ON m.ticket_id = t.id
           WHERE (",
            packed()
        ));
        let (from, to) = (ts(from), ts(to));
        for (i, col) in ["t.created_at", "t.first_responded_at", "t.resolved_at"]
            .iter()
            .enumerate()
        {
            if i > 0 {
                query.push(" OR ");
            }
            query.push("(").push(col).push(" >= ").param(from);
            query
                .push(" AND ")
                .push(col)
                .push(" < ")
                .param(to)
                .push(")");
        }
        query.push(" OR t.status IN ('new', 'open', 'pending_requester', 'pending_vendor'))");
        if let Some((a, b)) = ids {
            query.push(" AND t.id >= ").param(a);
            query.push(" AND t.id <= ").param(b);
        }
        push_filter(&mut query, filter);
        self.fetch_each_row(query, &FACTS_KINDS, |r| each(facts(r)?))
            .await
    }

    /// Ratings given in `[from, to)` on the filter's tickets, one at a time: `(rating, when)`
    /// (a year's at a million tickets are half a million: not kept).
    pub async fn report_ratings(
        &mut self,
        filter: &Filter,
        from: Timestamp,
        to: Timestamp,
        mut each: impl FnMut(u8, Timestamp) + Send,
    ) -> Result<()> {
        // The tickets only where the filter needs them (a year's ratings at a million tickets:
        // 0.35 s with them, 0.06 s without).
        let mut query = q(if filter == &Filter::default() {
            "SELECT s.rating, s.rated_at FROM surveys s
             WHERE s.rated_at >= $1 AND s.rated_at < $2"
        } else {
            "SELECT s.rating, s.rated_at FROM surveys s JOIN tickets t ON t.id = s.ticket_id
             WHERE s.rated_at >= $1 AND s.rated_at < $2"
        })
        .bind(ts(from))
        .bind(ts(to));
        push_filter(&mut query, filter);
        self.fetch_each_row(query, &[CellKind::Int; 2], |r| {
            let rating = u8::try_from(r.need_int(0)?).unwrap_or(0);
            each(rating, from_ts(r.need_int(1)?)?);
            Ok(())
        })
        .await
    }

    /// Rated surveys in `[from, to)` with a comment, newest first: `(survey, ticket number)`.
    pub async fn report_comments(
        &mut self,
        filter: &Filter,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<(Survey, i64)>> {
        let mut query = q("SELECT s.id, s.ticket_id, s.resolved_at, s.sent_at, s.rating, s.comment, s.rated_at, t.number
             FROM surveys s JOIN tickets t ON t.id = s.ticket_id
             WHERE s.rated_at >= $1 AND s.rated_at < $2 AND s.comment <> ''")
        .bind(ts(from))
        .bind(ts(to));
        push_filter(&mut query, filter);
        query.push(" ORDER BY s.rated_at DESC LIMIT ").param(limit);
        crate::record::record! {
            struct Row {
                survey: SurveyRow,
                number: i64,
            }
        }
        let rows: Vec<Row> = self.fetch_all(query).await?;
        rows.into_iter()
            .map(|r| Ok((r.survey.into_survey()?, r.number)))
            .collect()
    }

    // ---- surveys ----

    /// Starts a survey of a ticket's resolution; `None` when that resolution was asked about.
    pub async fn insert_survey(
        &mut self,
        ticket: TicketId,
        resolved_at: Timestamp,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Survey>> {
        let row: Option<SurveyRow> = self
            .fetch_optional(
                q(&format!(
                    "INSERT INTO surveys (ticket_id, resolved_at, token_hash, sent_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (ticket_id, resolved_at) DO NOTHING
                     RETURNING {SURVEY_COLS}"
                ))
                .bind(ticket.0)
                .bind(ts(resolved_at))
                .bind(token_hash)
                .bind(ts(now)),
            )
            .await?;
        row.map(SurveyRow::into_survey).transpose()
    }

    pub async fn survey_by_token(&mut self, token_hash: &str) -> Result<Survey> {
        let row: SurveyRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {SURVEY_COLS} FROM surveys WHERE token_hash = $1"
                ))
                .bind(token_hash),
            )
            .await?;
        row.into_survey()
    }

    pub async fn get_survey(&mut self, id: i64) -> Result<Survey> {
        let row: SurveyRow = self
            .fetch_one(q(&format!("SELECT {SURVEY_COLS} FROM surveys WHERE id = $1")).bind(id))
            .await?;
        row.into_survey()
    }

    /// A ticket's surveys, oldest first.
    pub async fn ticket_surveys(&mut self, ticket: TicketId) -> Result<Vec<Survey>> {
        let rows: Vec<SurveyRow> = self
            .fetch_all(
                q(&format!(
                    "SELECT {SURVEY_COLS} FROM surveys WHERE ticket_id = $1 ORDER BY id"
                ))
                .bind(ticket.0),
            )
            .await?;
        rows.into_iter().map(SurveyRow::into_survey).collect()
    }

    /// Records a rating, once: `false` when the survey was already rated.
    pub async fn rate_survey(&mut self, id: i64, rating: u8, now: Timestamp) -> Result<bool> {
        let n = self
            .execute(
                q("UPDATE surveys SET rating = $1, rated_at = $2 WHERE id = $3 AND rating IS NULL")
                    .bind(i64::from(rating))
                    .bind(ts(now))
                    .bind(id),
            )
            .await?;
        if n == 1 {
            self.execute(
                q("UPDATE tickets SET rating = $1 WHERE id = (SELECT ticket_id FROM surveys WHERE id = $2)")
                    .bind(i64::from(rating))
                    .bind(id),
            )
            .await?;
        }
        Ok(n == 1)
    }

    /// Records the comment of a rated survey, once: `false` when there is one already (or no
    /// rating yet).
    pub async fn comment_survey(&mut self, id: i64, comment: &str) -> Result<bool> {
        let n = self
            .execute(
                q("UPDATE surveys SET comment = $1 WHERE id = $2 AND rating IS NOT NULL AND comment = ''")
                    .bind(comment)
                    .bind(id),
            )
            .await?;
        Ok(n == 1)
    }

    // ---- suggestions ----

    pub async fn insert_suggestion(
        &mut self,
        author: PersonId,
        organisation: Option<OrgId>,
        subject: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<i64> {
        let (id,): (i64,) = self
            .fetch_one(
                q("INSERT INTO suggestions (author_id, organisation_id, subject, body, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $5) RETURNING id")
                .bind(author.0)
                .bind(organisation.map(|o| o.0))
                .bind(subject)
                .bind(body)
                .bind(ts(now)),
            )
            .await?;
        Ok(id)
    }

    pub async fn get_suggestion(&mut self, id: i64) -> Result<Suggestion> {
        let row: SuggestionRow = self
            .fetch_one(q(&format!("{SUGGESTION_SELECT} WHERE s.id = $1")).bind(id))
            .await?;
        row.into_suggestion()
    }

    /// Suggestions, newest first: of one author, or all; in one status, or any.
    pub async fn list_suggestions(
        &mut self,
        author: Option<PersonId>,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Suggestion>> {
        let mut query = q(SUGGESTION_SELECT);
        query.push(" WHERE 1 = 1");
        if let Some(a) = author {
            query.push(" AND s.author_id = ").param(a.0);
        }
        if let Some(s) = status {
            query.push(" AND s.status = ").param(s);
        }
        query.push(" ORDER BY s.id DESC LIMIT ").param(limit);
        let rows: Vec<SuggestionRow> = self.fetch_all(query).await?;
        rows.into_iter()
            .map(SuggestionRow::into_suggestion)
            .collect()
    }

    pub async fn update_suggestion(
        &mut self,
        id: i64,
        status: &str,
        response: &str,
        now: Timestamp,
    ) -> Result<()> {
        let n = self
            .execute(
                q("UPDATE suggestions SET status = $1, response = $2, updated_at = $3 WHERE id = $4")
                    .bind(status)
                    .bind(response)
                    .bind(ts(now))
                    .bind(id),
            )
            .await?;
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    // ---- scheduled reports ----

    pub async fn insert_report_schedule(
        &mut self,
        person: PersonId,
        frequency: &str,
        filter: &Filter,
        next_run_at: Timestamp,
        now: Timestamp,
    ) -> Result<ReportSchedule> {
        let filters = serde_json::to_string(filter)
            .map_err(|e| crate::StoreError::Corrupt(format!("report filters: {e}")))?;
        let row: ScheduleRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO report_schedules (person_id, frequency, filters, next_run_at, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING {SCHEDULE_COLS}"
                ))
                .bind(person.0)
                .bind(frequency)
                .bind(filters)
                .bind(ts(next_run_at))
                .bind(ts(now)),
            )
            .await?;
        row.into_schedule()
    }

    pub async fn get_report_schedule(&mut self, id: i64) -> Result<ReportSchedule> {
        let row: ScheduleRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {SCHEDULE_COLS} FROM report_schedules WHERE id = $1"
                ))
                .bind(id),
            )
            .await?;
        row.into_schedule()
    }

    /// Scheduled reports: one person's, or everyone's.
    pub async fn list_report_schedules(
        &mut self,
        person: Option<PersonId>,
    ) -> Result<Vec<ReportSchedule>> {
        let mut query = q(&format!("SELECT {SCHEDULE_COLS} FROM report_schedules"));
        if let Some(p) = person {
            query.push(" WHERE person_id = ").param(p.0);
        }
        query.push(" ORDER BY id");
        let rows: Vec<ScheduleRow> = self.fetch_all(query).await?;
        rows.into_iter().map(ScheduleRow::into_schedule).collect()
    }

    pub async fn delete_report_schedule(&mut self, id: i64) -> Result<()> {
        let n = self
            .execute(q("DELETE FROM report_schedules WHERE id = $1").bind(id))
            .await?;
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    /// After a report was sent: when the next one is due.
    pub async fn report_schedule_sent(
        &mut self,
        id: i64,
        sent_at: Timestamp,
        next_run_at: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("UPDATE report_schedules SET last_sent_at = $1, next_run_at = $2 WHERE id = $3")
                .bind(ts(sent_at))
                .bind(ts(next_run_at))
                .bind(id),
        )
        .await?;
        Ok(())
    }
}
