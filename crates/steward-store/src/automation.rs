//! Queries for in-app notifications, the once-per-state record of time rules, and recurring
//! tickets.

use steward_domain::{PersonId, TicketId, Timestamp};

use crate::query::q;
use crate::rows::{from_ts, ts};
use crate::{Conn, Result, StoreError};

/// Something a member of staff was told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub person_id: PersonId,
    pub ticket_id: Option<TicketId>,
    /// The ticket's number, for links.
    pub ticket_number: Option<i64>,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

type NotificationRow = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    String,
    String,
    String,
    i64,
    Option<i64>,
);

fn notification(r: NotificationRow) -> Result<Notification> {
    Ok(Notification {
        id: r.0,
        person_id: PersonId(r.1),
        ticket_id: r.2.map(TicketId),
        ticket_number: r.3,
        kind: r.4,
        title: r.5,
        body: r.6,
        created_at: from_ts(r.7)?,
        read_at: r.8.map(from_ts).transpose()?,
    })
}

/// A ticket opened on a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurring {
    pub id: i64,
    pub name: String,
    /// The iCalendar RRULE (`FREQ=MONTHLY;BYDAY=1MO`).
    pub rrule: String,
    /// The first local date-time (`2026-01-05T09:00`), in `time_zone`.
    pub starts_local: String,
    pub time_zone: String,
    /// The ticket to open, as JSON (the service's template).
    pub template: String,
    pub enabled: bool,
    pub next_run_at: Option<Timestamp>,
    pub last_run_at: Option<Timestamp>,
    pub last_ticket: Option<TicketId>,
}

type RecurringRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    bool,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

const RECURRING_COLS: &str = "id, name, rrule, starts_local, time_zone, template, enabled, next_run_at, last_run_at, last_ticket";

fn recurring(r: RecurringRow) -> Result<Recurring> {
    Ok(Recurring {
        id: r.0,
        name: r.1,
        rrule: r.2,
        starts_local: r.3,
        time_zone: r.4,
        template: r.5,
        enabled: r.6,
        next_run_at: r.7.map(from_ts).transpose()?,
        last_run_at: r.8.map(from_ts).transpose()?,
        last_ticket: r.9.map(TicketId),
    })
}

impl Conn {
    // ---- notifications ----

    pub async fn insert_notification(
        &mut self,
        person: PersonId,
        ticket: Option<TicketId>,
        kind: &str,
        title: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            q(
                "INSERT INTO notifications (person_id, ticket_id, kind, title, body, created_at)
               VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(person.0)
            .bind(ticket.map(|t| t.0))
            .bind(kind)
            .bind(title)
            .bind(body)
            .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    /// A person's notifications, newest first, before id `before` (a page at a time).
    pub async fn notifications(
        &mut self,
        person: PersonId,
        unread_only: bool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let unread = if unread_only {
            " AND n.read_at IS NULL"
        } else {
            ""
        };
        let rows: Vec<NotificationRow> = self
            .fetch_all(
                q(&format!(
                    "SELECT n.id, n.person_id, n.ticket_id, t.number, n.kind, n.title, n.body, n.created_at, n.read_at
                     FROM notifications n LEFT JOIN tickets t ON t.id = n.ticket_id
                     WHERE n.person_id = $1 AND n.id < $2{unread} ORDER BY n.id DESC LIMIT $3"
                ))
                .bind(person.0)
                .bind(before.unwrap_or(i64::MAX))
                .bind(limit),
            )
            .await?;
        rows.into_iter().map(notification).collect()
    }

    pub async fn unread_notifications(&mut self, person: PersonId) -> Result<i64> {
        let (n,): (i64,) = self
            .fetch_one(
                q("SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND read_at IS NULL")
                    .bind(person.0),
            )
            .await?;
        Ok(n)
    }

    /// Marks one (`Some(id)`) or all of a person's notifications read; how many changed. Only
    /// the person's own: another's id is not found.
    pub async fn mark_notifications_read(
        &mut self,
        person: PersonId,
        id: Option<i64>,
        now: Timestamp,
    ) -> Result<u64> {
        let n = match id {
            Some(id) => {
                let n = self
                    .execute(
                        q("UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE person_id = $2 AND id = $3")
                            .bind(ts(now))
                            .bind(person.0)
                            .bind(id),
                    )
                    .await?;
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                n
            }
            None => {
                self.execute(
                    q("UPDATE notifications SET read_at = $1 WHERE person_id = $2 AND read_at IS NULL")
                        .bind(ts(now))
                        .bind(person.0),
                )
                .await?
            }
        };
        Ok(n)
    }

    /// The number of the ticket a person's notification is about (`None`: about no ticket, or
    /// the ticket is gone). Another person's notification is not found.
    pub async fn notification_ticket(&mut self, person: PersonId, id: i64) -> Result<Option<i64>> {
        let (number,): (Option<i64>,) = self
            .fetch_one(
                q(
                    "SELECT t.number FROM notifications n LEFT JOIN tickets t ON t.id = n.ticket_id
                   WHERE n.person_id = $1 AND n.id = $2",
                )
                .bind(person.0)
                .bind(id),
            )
            .await?;
        Ok(number)
    }

    // ---- time rules ----

    /// The ticket state (its `updated_at`) a time rule last fired on, if it has.
    pub async fn time_rule_state(
        &mut self,
        rule: i64,
        ticket: TicketId,
    ) -> Result<Option<Timestamp>> {
        let row: Option<(i64,)> = self
            .fetch_optional(
                q("SELECT state_at FROM rule_time_runs WHERE rule_id = $1 AND ticket_id = $2")
                    .bind(rule)
                    .bind(ticket.0),
            )
            .await?;
        row.map(|(s,)| from_ts(s)).transpose()
    }

    pub async fn record_time_rule(
        &mut self,
        rule: i64,
        ticket: TicketId,
        state_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO rule_time_runs (rule_id, ticket_id, state_at, fired_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (rule_id, ticket_id) DO UPDATE SET state_at = excluded.state_at, fired_at = excluded.fired_at")
            .bind(rule)
            .bind(ticket.0)
            .bind(ts(state_at))
            .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    // ---- recurring tickets ----

    pub async fn list_recurring(&mut self) -> Result<Vec<Recurring>> {
        let rows: Vec<RecurringRow> = self
            .fetch_all(q(&format!(
                "SELECT {RECURRING_COLS} FROM recurring_tickets ORDER BY name"
            )))
            .await?;
        rows.into_iter().map(recurring).collect()
    }

    pub async fn get_recurring(&mut self, id: i64) -> Result<Recurring> {
        let row: RecurringRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {RECURRING_COLS} FROM recurring_tickets WHERE id = $1"
                ))
                .bind(id),
            )
            .await?;
        recurring(row)
    }

    /// Stores a new (`r.id == 0`) or changed schedule.
    pub async fn save_recurring(&mut self, r: &Recurring, now: Timestamp) -> Result<Recurring> {
        let row: Option<RecurringRow> = if r.id == 0 {
            self.fetch_optional(
                q(&format!(
                    "INSERT INTO recurring_tickets (name, rrule, starts_local, time_zone, template, enabled, next_run_at, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {RECURRING_COLS}"
                ))
                .bind(r.name.as_str())
                .bind(r.rrule.as_str())
                .bind(r.starts_local.as_str())
                .bind(r.time_zone.as_str())
                .bind(r.template.as_str())
                .bind(r.enabled)
                .bind(r.next_run_at.map(ts))
                .bind(ts(now)),
            )
            .await?
        } else {
            self.fetch_optional(
                q(&format!(
                    "UPDATE recurring_tickets SET name = $1, rrule = $2, starts_local = $3, time_zone = $4, template = $5,
                     enabled = $6, next_run_at = $7, updated_at = $8 WHERE id = $9 RETURNING {RECURRING_COLS}"
                ))
                .bind(r.name.as_str())
                .bind(r.rrule.as_str())
                .bind(r.starts_local.as_str())
                .bind(r.time_zone.as_str())
                .bind(r.template.as_str())
                .bind(r.enabled)
                .bind(r.next_run_at.map(ts))
                .bind(ts(now))
                .bind(r.id),
            )
            .await?
        };
        recurring(row.ok_or(StoreError::NotFound)?)
    }

    /// Records that the occurrence `at` opened `ticket`, and when the next one is due.
    pub async fn recurring_ran(
        &mut self,
        id: i64,
        at: Timestamp,
        ticket: Option<TicketId>,
        next: Option<Timestamp>,
    ) -> Result<()> {
        self.execute(
            q("UPDATE recurring_tickets SET last_run_at = $1, last_ticket = COALESCE($2, last_ticket), next_run_at = $3 WHERE id = $4")
                .bind(ts(at))
                .bind(ticket.map(|t| t.0))
                .bind(next.map(ts))
                .bind(id),
        )
        .await?;
        Ok(())
    }

    pub async fn delete_recurring(&mut self, id: i64) -> Result<()> {
        let n = self
            .execute(q("DELETE FROM recurring_tickets WHERE id = $1").bind(id))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
