//! Queries for service levels: calendars, SLA policies, each ticket's clocks, and the timeline the
//! clocks are computed from.

use steward_domain::calendar::CalendarDef;
use steward_domain::sla::{
    Applies, Clock, ClockState, Escalation, PolicyRules, Target, Targets, Timeline,
};
use steward_domain::{Named, Status, TicketId, Timestamp};

use crate::conn::CellKind;
use crate::query::q;
use crate::rows::{from_ts, ts};
use crate::{Conn, Result, StoreError};

/// A stored business calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCalendar {
    pub id: i64,
    pub name: String,
    pub def: CalendarDef,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A stored SLA policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicy {
    pub id: i64,
    pub name: String,
    pub position: i64,
    /// `None`: 24 hours a day, 7 days a week (UTC).
    pub calendar_id: Option<i64>,
    pub applies: Applies,
    pub rules: PolicyRules,
    pub escalation: Escalation,
    pub is_default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A policy to store (new or changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFields {
    pub name: String,
    pub position: i64,
    pub calendar_id: Option<i64>,
    pub applies: Applies,
    pub rules: PolicyRules,
    pub escalation: Escalation,
    pub is_default: bool,
}

/// A ticket's clock as last computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClock {
    pub target: Target,
    pub state: ClockState,
    pub due_at: Option<Timestamp>,
    pub warn_at: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    pub remaining_ms: i64,
    pub allowed_ms: i64,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| corrupt("encoding", e))
}

fn state_str(s: ClockState) -> &'static str {
    match s {
        ClockState::Running => "running",
        ClockState::Paused => "paused",
        ClockState::Met => "met",
        ClockState::Breached => "breached",
    }
}

fn state_parse(s: &str) -> Result<ClockState> {
    Ok(match s {
        "running" => ClockState::Running,
        "paused" => ClockState::Paused,
        "met" => ClockState::Met,
        "breached" => ClockState::Breached,
        other => return Err(corrupt("clock state", other)),
    })
}

crate::record::record! {
    struct CalendarRow {
        id: i64,
        name: String,
        definition: String,
        created_at: i64,
        updated_at: i64,
    }
}

impl TryFrom<CalendarRow> for StoredCalendar {
    type Error = StoreError;
    fn try_from(r: CalendarRow) -> Result<Self> {
        Ok(StoredCalendar {
            id: r.id,
            name: r.name,
            def: serde_json::from_str(&r.definition).map_err(|e| corrupt("calendar", e))?,
            created_at: from_ts(r.created_at)?,
            updated_at: from_ts(r.updated_at)?,
        })
    }
}

crate::record::record! {
    struct PolicyRow {
        id: i64,
        name: String,
        position: i64,
        calendar_id: Option<i64>,
        applies: String,
        targets: String,
        pause_in: String,
        escalation: String,
        warn_percent: i64,
        is_default: bool,
        created_at: i64,
        updated_at: i64,
    }
}

const POLICY_COLS: &str = "id, name, position, calendar_id, applies, targets, pause_in, \
     escalation, warn_percent, is_default, created_at, updated_at";

impl TryFrom<PolicyRow> for SlaPolicy {
    type Error = StoreError;
    fn try_from(r: PolicyRow) -> Result<Self> {
        let targets: [Targets; 4] =
            serde_json::from_str(&r.targets).map_err(|e| corrupt("policy targets", e))?;
        let pause_in = r
            .pause_in
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Status::parse(s).map_err(|e| corrupt("pause status", e)))
            .collect::<Result<Vec<_>>>()?;
        Ok(SlaPolicy {
            id: r.id,
            name: r.name,
            position: r.position,
            calendar_id: r.calendar_id,
            applies: serde_json::from_str(&r.applies).map_err(|e| corrupt("policy applies", e))?,
            rules: PolicyRules {
                targets,
                pause_in,
                warn_percent: u8::try_from(r.warn_percent).unwrap_or(75),
            },
            escalation: serde_json::from_str(&r.escalation)
                .map_err(|e| corrupt("policy escalation", e))?,
            is_default: r.is_default,
            created_at: from_ts(r.created_at)?,
            updated_at: from_ts(r.updated_at)?,
        })
    }
}

fn pause_text(p: &PolicyFields) -> String {
    p.rules
        .pause_in
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl Conn {
    pub async fn insert_calendar(
        &mut self,
        name: &str,
        def: &CalendarDef,
        now: Timestamp,
    ) -> Result<StoredCalendar> {
        let row: CalendarRow = self
            .fetch_one(
                q("INSERT INTO calendars (name, definition, created_at, updated_at) VALUES ($1, $2, $3, $3)
                   RETURNING id, name, definition, created_at, updated_at")
                .bind(name)
                .bind(json(def)?)
                .bind(ts(now)),
            )
            .await?;
        row.try_into()
    }

    pub async fn update_calendar(
        &mut self,
        id: i64,
        name: &str,
        def: &CalendarDef,
        now: Timestamp,
    ) -> Result<StoredCalendar> {
        let row: CalendarRow = self
            .fetch_one(
                q(
                    "UPDATE calendars SET name = $1, definition = $2, updated_at = $3 WHERE id = $4
                   RETURNING id, name, definition, created_at, updated_at",
                )
                .bind(name)
                .bind(json(def)?)
                .bind(ts(now))
                .bind(id),
            )
            .await?;
        row.try_into()
    }

    pub async fn get_calendar(&mut self, id: i64) -> Result<StoredCalendar> {
        let row: CalendarRow = self
            .fetch_one(
                q("SELECT id, name, definition, created_at, updated_at FROM calendars WHERE id = $1")
                    .bind(id),
            )
            .await?;
        row.try_into()
    }

    pub async fn list_calendars(&mut self) -> Result<Vec<StoredCalendar>> {
        let rows: Vec<CalendarRow> = self
            .fetch_all(q(
                "SELECT id, name, definition, created_at, updated_at FROM calendars ORDER BY name, id",
            ))
            .await?;
        rows.into_iter().map(StoredCalendar::try_from).collect()
    }

    /// Deletes a calendar no policy uses (`Conflict` otherwise).
    pub async fn delete_calendar(&mut self, id: i64) -> Result<()> {
        let used: Option<(i64,)> = self
            .fetch_optional(
                q("SELECT id FROM sla_policies WHERE calendar_id = $1 LIMIT 1").bind(id),
            )
            .await?;
        if used.is_some() {
            return Err(StoreError::Conflict("calendar in use by a policy".into()));
        }
        let n = self
            .execute(q("DELETE FROM calendars WHERE id = $1").bind(id))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn insert_policy(&mut self, p: &PolicyFields, now: Timestamp) -> Result<SlaPolicy> {
        let row: PolicyRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO sla_policies (name, position, calendar_id, applies, targets, pause_in,
                       warn_percent, is_default, created_at, updated_at, escalation)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING {POLICY_COLS}"
                ))
                .bind(p.name.as_str())
                .bind(p.position)
                .bind(p.calendar_id)
                .bind(json(&p.applies)?)
                .bind(json(&p.rules.targets)?)
                .bind(pause_text(p))
                .bind(i64::from(p.rules.warn_percent))
                .bind(p.is_default)
                .bind(ts(now))
                .bind(json(&p.escalation)?),
            )
            .await?;
        row.try_into()
    }

    pub async fn update_policy(
        &mut self,
        id: i64,
        p: &PolicyFields,
        now: Timestamp,
    ) -> Result<SlaPolicy> {
        let row: PolicyRow = self
            .fetch_one(
                q(&format!(
                    "UPDATE sla_policies SET name = $1, position = $2, calendar_id = $3, applies = $4,
                       targets = $5, pause_in = $6, warn_percent = $7, is_default = $8, updated_at = $9,
                       escalation = $11
                     WHERE id = $10 RETURNING {POLICY_COLS}"
                ))
                .bind(p.name.as_str())
                .bind(p.position)
                .bind(p.calendar_id)
                .bind(json(&p.applies)?)
                .bind(json(&p.rules.targets)?)
                .bind(pause_text(p))
                .bind(i64::from(p.rules.warn_percent))
                .bind(p.is_default)
                .bind(ts(now))
                .bind(id)
                .bind(json(&p.escalation)?),
            )
            .await?;
        row.try_into()
    }

    /// Makes every other policy not the default.
    pub async fn clear_default_policy(&mut self, except: i64) -> Result<()> {
        self.execute(q("UPDATE sla_policies SET is_default = FALSE WHERE id <> $1").bind(except))
            .await?;
        Ok(())
    }

    pub async fn get_policy(&mut self, id: i64) -> Result<SlaPolicy> {
        let row: PolicyRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {POLICY_COLS} FROM sla_policies WHERE id = $1"
                ))
                .bind(id),
            )
            .await?;
        row.try_into()
    }

    /// Every policy, in order of precedence.
    pub async fn list_policies(&mut self) -> Result<Vec<SlaPolicy>> {
        let rows: Vec<PolicyRow> = self
            .fetch_all(q(&format!(
                "SELECT {POLICY_COLS} FROM sla_policies ORDER BY position, id"
            )))
            .await?;
        rows.into_iter().map(SlaPolicy::try_from).collect()
    }

    /// Deletes a policy; its tickets lose their clocks (until recomputed under another).
    pub async fn delete_policy(&mut self, id: i64) -> Result<()> {
        self.execute(
            q("DELETE FROM ticket_clocks WHERE ticket_id IN (SELECT id FROM tickets WHERE sla_policy_id = $1)")
                .bind(id),
        )
        .await?;
        self.execute(
            q("UPDATE tickets SET sla_policy_id = NULL, sla_due_at = NULL WHERE sla_policy_id = $1")
                .bind(id),
        )
        .await?;
        let n = self
            .execute(q("DELETE FROM sla_policies WHERE id = $1").bind(id))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// What happened to a ticket, for its clocks: its status changes and its public messages
    /// (a staff reply counts only when written in Steward, not by mail).
    pub async fn ticket_timeline(&mut self, ticket: TicketId) -> Result<Timeline> {
        let (created,): (i64,) = self
            .fetch_one(q("SELECT created_at FROM tickets WHERE id = $1").bind(ticket.0))
            .await?;
        let created_at = from_ts(created)?;
        let changes: Vec<(i64, Option<String>)> = self
            .fetch_all(
                q("SELECT at, new_value FROM ticket_events WHERE ticket_id = $1 AND field = 'status' ORDER BY id")
                    .bind(ticket.0),
            )
            .await?;
        let mut statuses = vec![(created_at, Status::New)];
        for (at, new) in changes {
            let s = Status::parse(new.as_deref().unwrap_or_default())
                .map_err(|e| corrupt("status in history", e))?;
            statuses.push((from_ts(at)?, s));
        }
        let messages: Vec<(i64, bool)> = self
            .fetch_all(
                q("SELECT m.created_at,
                          (p.role IN ('technician', 'manager', 'admin') AND COALESCE(m.channel, '') <> 'email')
                   FROM messages m LEFT JOIN people p ON p.id = m.author_id
                   WHERE m.ticket_id = $1 AND m.kind = 'public' AND m.automatic IS NULL
                   ORDER BY m.id")
                .bind(ticket.0),
            )
            .await?;
        Ok(Timeline {
            created_at,
            statuses,
            messages: messages
                .into_iter()
                .map(|(at, staff)| Ok((from_ts(at)?, staff)))
                .collect::<Result<Vec<_>>>()?,
        })
    }

    /// Stores a ticket's clocks under its policy (none: no service level), and the soonest due
    /// instant of those running for the queue.
    pub async fn set_ticket_clocks(
        &mut self,
        ticket: TicketId,
        policy: Option<i64>,
        clocks: &[Clock],
    ) -> Result<Option<Timestamp>> {
        self.execute(q("DELETE FROM ticket_clocks WHERE ticket_id = $1").bind(ticket.0))
            .await?;
        for c in clocks {
            self.execute(
                q("INSERT INTO ticket_clocks (ticket_id, target, state, due_at, warn_at, stopped_at, remaining_ms, allowed_ms)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(ticket.0)
                .bind(c.target.as_str())
                .bind(state_str(c.state))
                .bind(c.due.map(ts))
                .bind(c.warn_at.map(ts))
                .bind(c.stopped_at.map(ts))
                .bind(c.remaining.as_millis() as i64)
                .bind(c.allowed.as_millis() as i64),
            )
            .await?;
        }
        let soonest = clocks
            .iter()
            .filter(|c| {
                matches!(c.state, ClockState::Running | ClockState::Breached)
                    && c.stopped_at.is_none()
            })
            .filter_map(|c| c.due)
            .min();
        self.execute(
            q("UPDATE tickets SET sla_policy_id = $1, sla_due_at = $2 WHERE id = $3")
                .bind(policy)
                .bind(soonest.map(ts))
                .bind(ticket.0),
        )
        .await?;
        Ok(soonest)
    }

    /// A ticket's policy and stored clocks.
    pub async fn ticket_clocks(
        &mut self,
        ticket: TicketId,
    ) -> Result<(Option<i64>, Vec<StoredClock>)> {
        let (policy,): (Option<i64>,) = self
            .fetch_one(q("SELECT sla_policy_id FROM tickets WHERE id = $1").bind(ticket.0))
            .await?;
        type Row = (
            String,
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
        );
        let rows: Vec<Row> = self
            .fetch_all(
                q(
                    "SELECT target, state, due_at, warn_at, stopped_at, remaining_ms, allowed_ms
                   FROM ticket_clocks WHERE ticket_id = $1 ORDER BY target",
                )
                .bind(ticket.0),
            )
            .await?;
        let clocks = rows
            .into_iter()
            .map(
                |(target, state, due, warn, stopped, remaining_ms, allowed_ms)| {
                    Ok(StoredClock {
                        target: Target::parse(&target).map_err(|e| corrupt("clock target", e))?,
                        state: state_parse(&state)?,
                        due_at: due.map(from_ts).transpose()?,
                        warn_at: warn.map(from_ts).transpose()?,
                        stopped_at: stopped.map(from_ts).transpose()?,
                        remaining_ms,
                        allowed_ms,
                    })
                },
            )
            .collect::<Result<Vec<_>>>()?;
        Ok((policy, clocks))
    }
}

/// One ticket's clocks to store in bulk ([`Conn::store_clocks`]).
#[derive(Debug, Clone)]
pub struct ClocksWrite {
    pub ticket: TicketId,
    pub policy: Option<i64>,
    pub clocks: Vec<Clock>,
}

impl Conn {
    /// The timelines of many tickets (given with their opening instants) in two queries.
    pub async fn ticket_timelines(
        &mut self,
        tickets: &[(TicketId, Timestamp)],
    ) -> Result<std::collections::HashMap<TicketId, Timeline>> {
        let mut out: std::collections::HashMap<TicketId, Timeline> = tickets
            .iter()
            .map(|(id, created_at)| {
                (
                    *id,
                    Timeline {
                        created_at: *created_at,
                        statuses: vec![(*created_at, Status::New)],
                        messages: Vec::new(),
                    },
                )
            })
            .collect();
        let backend = self.backend();
        {
            let ids: Vec<i64> = tickets.iter().map(|(id, _)| id.0).collect();
            // About ten status changes and four messages a ticket: read the quickest way
            // ([`Conn::fetch_each_row`]).
            let mut query =
                q("SELECT ticket_id, at, new_value FROM ticket_events WHERE field = 'status'");
            crate::bulk::push_ids_in(&mut query, backend, "ticket_id", &ids);
            query.push(" ORDER BY ticket_id, id");
            let kinds = [CellKind::Int, CellKind::Int, CellKind::Text];
            self.fetch_each_row(query, &kinds, |r| {
                let s =
                    Status::parse(r.need_text(2)?).map_err(|e| corrupt("status in history", e))?;
                if let Some(t) = out.get_mut(&TicketId(r.need_int(0)?)) {
                    t.statuses.push((from_ts(r.need_int(1)?)?, s));
                }
                Ok(())
            })
            .await?;
            let mut query = q("SELECT m.ticket_id, m.created_at,
                      CASE WHEN p.role IN ('technician', 'manager', 'admin')
                            AND COALESCE(m.channel, '') <> 'email' THEN 1 ELSE 0 END
               FROM messages m LEFT JOIN people p ON p.id = m.author_id
               WHERE m.kind = 'public' AND m.automatic IS NULL");
            crate::bulk::push_ids_in(&mut query, backend, "m.ticket_id", &ids);
            query.push(" ORDER BY m.ticket_id, m.id");
            self.fetch_each_row(query, &[CellKind::Int; 3], |r| {
                if let Some(t) = out.get_mut(&TicketId(r.need_int(0)?)) {
                    t.messages
                        .push((from_ts(r.need_int(1)?)?, r.need_int(2)? != 0));
                }
                Ok(())
            })
            .await?;
        }
        Ok(out)
    }

    /// The escalation steps fired for many tickets.
    pub async fn fired_escalations_of(
        &mut self,
        tickets: &[TicketId],
    ) -> Result<std::collections::HashMap<TicketId, Vec<(String, String, Timestamp)>>> {
        let mut out: std::collections::HashMap<TicketId, Vec<(String, String, Timestamp)>> =
            Default::default();
        {
            let ids: Vec<i64> = tickets.iter().map(|t| t.0).collect();
            let mut query =
                q("SELECT ticket_id, target, step, since FROM sla_escalations WHERE 1 = 1");
            crate::bulk::push_ids_in(&mut query, self.backend(), "ticket_id", &ids);
            let kinds = [CellKind::Int, CellKind::Text, CellKind::Text, CellKind::Int];
            self.fetch_each_row(query, &kinds, |r| {
                out.entry(TicketId(r.need_int(0)?)).or_default().push((
                    r.need_text(1)?.to_string(),
                    r.need_text(2)?.to_string(),
                    from_ts(r.need_int(3)?)?,
                ));
                Ok(())
            })
            .await?;
        }
        Ok(out)
    }

    /// Stores the clocks of many tickets, as [`Conn::set_ticket_clocks`] does for one, in a few
    /// bulk statements. Returns each ticket's soonest due instant, in order.
    pub async fn store_clocks(&mut self, writes: &[ClocksWrite]) -> Result<Vec<Option<Timestamp>>> {
        use crate::bulk::{push_ids_in, push_rows, Col};
        let backend = self.backend();
        // First the clocks of targets a ticket no longer has, by the set of targets it has (few
        // differ); before the writes below, which leave old row versions for this scan to step over.
        let mut by_targets: std::collections::BTreeMap<Vec<&str>, Vec<i64>> = Default::default();
        for w in writes {
            let mut targets: Vec<&str> = w.clocks.iter().map(|c| c.target.as_str()).collect();
            targets.sort_unstable();
            by_targets.entry(targets).or_default().push(w.ticket.0);
        }
        for (targets, ids) in by_targets {
            let mut query = q("DELETE FROM ticket_clocks WHERE 1 = 1");
            push_ids_in(&mut query, backend, "ticket_id", &ids);
            for t in targets {
                query.push(" AND target <> ").param(t);
            }
            self.execute(query).await?;
        }
        // Every clock, written over the ticket's clock of the same target (an update in place:
        // no index changes, where deleting and inserting would change the primary key's index).
        // On SQLite a statement per clock on its own thread; on PostgreSQL all in one statement.
        const UPSERT: &str = " ON CONFLICT (ticket_id, target) DO UPDATE SET state = excluded.state,
              due_at = excluded.due_at, warn_at = excluded.warn_at, stopped_at = excluded.stopped_at,
              remaining_ms = excluded.remaining_ms, allowed_ms = excluded.allowed_ms";
        let clocks: Vec<[crate::query::Arg; 8]> = writes
            .iter()
            .flat_map(|w| {
                w.clocks.iter().map(move |c| {
                    use crate::query::Arg;
                    [
                        Arg::from(w.ticket.0),
                        Arg::from(c.target.as_str()),
                        Arg::from(state_str(c.state)),
                        Arg::from(c.due.map(ts)),
                        Arg::from(c.warn_at.map(ts)),
                        Arg::from(c.stopped_at.map(ts)),
                        Arg::from(c.remaining.as_millis() as i64),
                        Arg::from(c.allowed.as_millis() as i64),
                    ]
                })
            })
            .collect();
        if backend == crate::Backend::Sqlite {
            self.execute_each(
                &format!(
                    "INSERT INTO ticket_clocks (ticket_id, target, state, due_at, warn_at, stopped_at, remaining_ms, allowed_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8){UPSERT}"
                ),
                clocks.into_iter().map(Vec::from).collect(),
            )
            .await?;
        } else if !clocks.is_empty() {
            let rows: Vec<serde_json::Value> =
                clocks.iter().map(|c| crate::bulk::json_row(c)).collect();
            let mut query = q("INSERT INTO ticket_clocks (ticket_id, target, state, due_at, warn_at, stopped_at, remaining_ms, allowed_ms) SELECT c0, c1, c2, c3, c4, c5, c6, c7 FROM ");
            use Col::{Int, Text};
            push_rows(
                &mut query,
                backend,
                serde_json::Value::Array(rows).to_string(),
                &[Int, Text, Text, Int, Int, Int, Int, Int],
                "v",
            );
            query.push(" WHERE true").push(UPSERT);
            self.execute(query).await?;
        }
        let soonest: Vec<Option<Timestamp>> = writes
            .iter()
            .map(|w| {
                w.clocks
                    .iter()
                    .filter(|c| {
                        matches!(c.state, ClockState::Running | ClockState::Breached)
                            && c.stopped_at.is_none()
                    })
                    .filter_map(|c| c.due)
                    .min()
            })
            .collect();
        // The tickets whose policy or soonest due instant changed.
        let rows: Vec<serde_json::Value> = writes
            .iter()
            .zip(&soonest)
            .map(|(w, due)| serde_json::json!([w.ticket.0, w.policy, due.map(ts)]))
            .collect();
        if !rows.is_empty() {
            let mut query = q("UPDATE tickets SET sla_policy_id = v.c1, sla_due_at = v.c2 FROM ");
            push_rows(
                &mut query,
                backend,
                serde_json::Value::Array(rows).to_string(),
                &[Col::Int, Col::Int, Col::Int],
                "v",
            );
            query.push(match backend {
                crate::Backend::Sqlite => " WHERE tickets.id = v.c0 AND (tickets.sla_policy_id IS NOT v.c1 OR tickets.sla_due_at IS NOT v.c2)",
                crate::Backend::Postgres => " WHERE tickets.id = v.c0 AND (tickets.sla_policy_id IS DISTINCT FROM v.c1 OR tickets.sla_due_at IS DISTINCT FROM v.c2)",
            });
            self.execute(query).await?;
        }
        Ok(soonest)
    }
}
