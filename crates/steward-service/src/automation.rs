//! Work that time sets off, and what staff are told: in-app notifications (read and marked read
//! by their owner), personal reminders on a ticket, time rules (checked every few minutes over the
//! open tickets, firing once per ticket and state) and recurring tickets (opened on an iCalendar
//! RRULE schedule). All of it runs on the durable scheduler (`jobs.rs`), so that with several
//! Steward processes each occurrence happens once.

use serde::{Deserialize, Serialize};
use steward_domain::policy::{check, Action as Can};
use steward_domain::recur::Recurrence;
use steward_domain::rules::{self, Trigger};
use steward_domain::{
    validate, Actor, CategoryId, Channel, PersonId, Priority, TeamId, TicketId, TicketType,
    Timestamp,
};
use steward_store::automation::{Notification, Recurring};

use crate::error::NotFoundAs;
use crate::notices::{Notice, NoticeKind};
use crate::notify::StaffEvent;
use crate::tickets::CreateTicket;
use crate::{Result, Service, ServiceError};

/// A ticket's reminder for one person.
pub(crate) const REMINDER: &str = "reminder";
/// The sweep over open tickets for time rules.
pub(crate) const TIME_RULES: &str = "time_rules";
/// A recurring ticket's next occurrence.
pub(crate) const RECURRING: &str = "recurring";

/// How often time rules are checked.
pub const TIME_RULES_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);
const TIME_RULES_KEY: &str = "rules:time";
/// Open tickets read at a time by the sweep.
const SWEEP_PAGE: i64 = 500;

fn reminder_key(t: TicketId, p: PersonId) -> String {
    format!("remind:{}:{}", t.0, p.0)
}

fn recurring_key(id: i64) -> String {
    format!("recur:{id}")
}

/// A reminder a member of staff set on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub at: Timestamp,
    pub note: String,
}

#[derive(Serialize, Deserialize)]
struct ReminderPayload {
    person: i64,
    note: String,
}

/// The ticket a schedule opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecurringTemplate {
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(rename = "type", default)]
    pub ticket_type: Option<TicketType>,
    pub requester_id: PersonId,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub team_id: Option<TeamId>,
    #[serde(default)]
    pub assignee_id: Option<PersonId>,
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A schedule as an administrator writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringInput {
    pub name: String,
    /// `FREQ=MONTHLY;BYDAY=1MO`.
    pub rrule: String,
    /// The first occurrence, local: `2026-01-05T09:00`.
    pub starts: String,
    pub time_zone: String,
    pub enabled: bool,
    pub template: RecurringTemplate,
}

/// A schedule as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringTicket {
    pub stored: Recurring,
    pub template: RecurringTemplate,
    /// "monthly on the 1st Monday at 09:00 (Europe/Vienna)".
    pub description: String,
    /// The next few occurrences (empty when disabled or ended).
    pub upcoming: Vec<Timestamp>,
}

fn recurrence(rrule: &str, starts: &str, zone: &str) -> Result<Recurrence> {
    let start: jiff::civil::DateTime = starts.trim().parse().map_err(|_| {
        ServiceError::invalid(
            "starts",
            format!("{starts:?} is not a local date and time like 2026-01-05T09:00"),
        )
    })?;
    Ok(Recurrence::parse(rrule, start, zone)?)
}

impl Service {
    // ---- notifications ----

    /// The actor's own notifications, newest first (a page of up to 100 before id `before`).
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let me = self.notified(actor)?;
        let mut c = self.store.read().await?;
        Ok(
            c.notifications(me, unread_only, before, limit.clamp(1, 100))
                .await?,
        )
    }

    /// How many of the actor's notifications are unread (0 for those who get none).
    pub async fn unread_notifications(&self, actor: &Actor) -> Result<i64> {
        match (actor.person_id, actor.is_staff()) {
            (Some(me), true) => Ok(self.store.read().await?.unread_notifications(me).await?),
            _ => Ok(0),
        }
    }

    /// Marks one of the actor's notifications read, or all (`None`); how many changed.
    pub async fn mark_notifications_read(&self, actor: &Actor, id: Option<i64>) -> Result<u64> {
        let me = self.notified(actor)?;
        let mut tx = self.store.write().await?;
        let n = tx
            .mark_notifications_read(me, id, self.now())
            .await
            .not_found_as("notification")?;
        tx.commit().await?;
        Ok(n)
    }

    /// Opens one of the actor's notifications: marks it read and gives the number of its ticket.
    pub async fn open_notification(&self, actor: &Actor, id: i64) -> Result<Option<i64>> {
        let me = self.notified(actor)?;
        let mut tx = self.store.write().await?;
        let number = tx
            .notification_ticket(me, id)
            .await
            .not_found_as("notification")?;
        tx.mark_notifications_read(me, Some(id), self.now()).await?;
        tx.commit().await?;
        Ok(number)
    }

    /// Notifications belong to staff who signed in as themselves.
    fn notified(&self, actor: &Actor) -> Result<PersonId> {
        match actor.person_id {
            Some(me) if actor.is_staff() => Ok(me),
            _ => Err(ServiceError::forbidden(
                "notifications are for members of staff",
            )),
        }
    }

    // ---- reminders ----

    /// Sets (or moves) the actor's reminder on a ticket they may work on: at `at` they are told
    /// in the app (and by mail when staff mail is on), with `note`.
    pub async fn set_reminder(
        &self,
        actor: &Actor,
        id: TicketId,
        at: Timestamp,
        note: &str,
    ) -> Result<Reminder> {
        let me = self.notified(actor)?;
        let t = self.get_ticket(actor, id).await?;
        let note = note.trim();
        if note.chars().count() > 1000 {
            return Err(ServiceError::invalid("note", "at most 1,000 characters"));
        }
        let now = self.now();
        if at <= now {
            return Err(ServiceError::invalid(
                "at",
                "a reminder must be in the future",
            ));
        }
        let payload = serde_json::to_string(&ReminderPayload {
            person: me.0,
            note: note.to_string(),
        })
        .map_err(|e| ServiceError::invalid("note", e.to_string()))?;
        let mut tx = self.store.write().await?;
        tx.schedule_job(
            REMINDER,
            Some(t.id),
            &payload,
            Some(&reminder_key(t.id, me)),
            at,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Reminder {
            at,
            note: note.to_string(),
        })
    }

    /// The actor's pending reminder on a ticket, if any.
    pub async fn reminder(&self, actor: &Actor, id: TicketId) -> Result<Option<Reminder>> {
        let me = self.notified(actor)?;
        let t = self.get_ticket(actor, id).await?;
        let job = self
            .store
            .read()
            .await?
            .pending_job(&reminder_key(t.id, me))
            .await?;
        Ok(job.and_then(|j| {
            let p: ReminderPayload = serde_json::from_str(&j.payload).ok()?;
            Some(Reminder {
                at: j.run_at,
                note: p.note,
            })
        }))
    }

    pub async fn cancel_reminder(&self, actor: &Actor, id: TicketId) -> Result<()> {
        let me = self.notified(actor)?;
        let t = self.get_ticket(actor, id).await?;
        let mut tx = self.store.write().await?;
        tx.cancel_job(&reminder_key(t.id, me)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A reminder is due: tell its owner (if they still work here and the ticket still exists).
    pub(crate) async fn remind(&self, ticket: TicketId, payload: &str) -> Result<()> {
        let p: ReminderPayload = serde_json::from_str(payload)
            .map_err(|e| ServiceError::invalid("reminder", format!("unreadable: {e}")))?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let t = match tx.get_ticket(ticket).await {
            Ok(t) => t,
            Err(steward_store::StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let note = if p.note.is_empty() {
            "You asked to be reminded of this request."
        } else {
            &p.note
        };
        self.notify_staff(
            &mut tx,
            &t,
            StaffEvent::Reminder(PersonId(p.person)),
            None,
            note,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- time rules ----

    /// Keeps the sweep for time rules scheduled while an enabled time rule exists (after any
    /// change to the rules).
    pub(crate) async fn schedule_time_rules(&self, tx: &mut steward_store::Conn) -> Result<()> {
        let wanted = tx
            .list_rules()
            .await?
            .iter()
            .any(|r| r.enabled && r.def.triggers.contains(&Trigger::Time));
        if !wanted {
            tx.cancel_job(TIME_RULES_KEY).await?;
        } else if tx.pending_job(TIME_RULES_KEY).await?.is_none() {
            let now = self.now();
            tx.schedule_job(TIME_RULES, None, "", Some(TIME_RULES_KEY), now, now)
                .await?;
        }
        Ok(())
    }

    /// Runs the time rules over every open ticket: each rule fires once per ticket and state (the
    /// ticket's `updated_at` when it fired), each ticket in its own transaction. Then the next
    /// sweep is scheduled. Returns how many tickets had rules fire.
    pub async fn sweep_time_rules(&self) -> Result<usize> {
        let rules: Vec<rules::Rule> = self
            .store
            .read()
            .await?
            .list_rules()
            .await?
            .into_iter()
            .filter(|r| r.enabled && r.def.triggers.contains(&Trigger::Time))
            .collect();
        if rules.is_empty() {
            return Ok(0);
        }
        let mut fired_on = 0;
        let mut after = 0;
        loop {
            let page = self
                .store
                .read()
                .await?
                .active_tickets(after, SWEEP_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id.0;
            for t in page {
                if rules::matching(&rules, Trigger::Time, &t, self.now()).is_empty() {
                    continue;
                }
                if self.fire_time_rules(&rules, t.id).await? {
                    fired_on += 1;
                }
            }
        }
        let now = self.now();
        let mut tx = self.store.write().await?;
        let next = now.checked_add(TIME_RULES_EVERY).unwrap_or(now);
        tx.schedule_job(TIME_RULES, None, "", Some(TIME_RULES_KEY), next, now)
            .await?;
        tx.commit().await?;
        Ok(fired_on)
    }

    async fn fire_time_rules(&self, rules: &[rules::Rule], id: TicketId) -> Result<bool> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut t = match tx.get_ticket_for_update(id).await {
            Ok(t) => t,
            Err(steward_store::StoreError::NotFound) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let mut fired = false;
        for rule in rules::matching(rules, Trigger::Time, &t.clone(), now) {
            let state = t.updated_at;
            if tx.time_rule_state(rule.id, t.id).await? == Some(state) {
                continue;
            }
            for action in &rule.def.actions {
                self.run_action(&mut tx, &mut t, rule, Trigger::Time, action, now)
                    .await?;
            }
            tx.record_time_rule(rule.id, t.id, t.updated_at, now)
                .await?;
            fired = true;
        }
        if !fired {
            return Ok(false);
        }
        self.ticket_changed(&mut tx, &mut t).await?;
        self.commit_announcing(tx, Notice::new(NoticeKind::Changed, &t))
            .await?;
        Ok(true)
    }

    // ---- recurring tickets ----

    pub async fn recurring_tickets(&self, actor: &Actor) -> Result<Vec<RecurringTicket>> {
        check(actor, Can::ViewServiceLevels).map_err(|d| ServiceError::denied(d, "schedule"))?;
        let stored = self.store.read().await?.list_recurring().await?;
        let now = self.now();
        Ok(stored.into_iter().map(|r| shown(r, now)).collect())
    }

    pub async fn recurring_ticket(&self, actor: &Actor, id: i64) -> Result<RecurringTicket> {
        check(actor, Can::ViewServiceLevels).map_err(|d| ServiceError::denied(d, "schedule"))?;
        let r = self
            .store
            .read()
            .await?
            .get_recurring(id)
            .await
            .not_found_as("schedule")?;
        Ok(shown(r, self.now()))
    }

    /// Creates (`id` `None`) or changes a schedule, and (re)schedules its next occurrence.
    pub async fn save_recurring(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: RecurringInput,
    ) -> Result<RecurringTicket> {
        check(actor, Can::ManageServiceLevels).map_err(|d| ServiceError::denied(d, "schedule"))?;
        let name = validate::name("name", &input.name)?;
        let rec = recurrence(&input.rrule, &input.starts, &input.time_zone)?;
        let tpl = &input.template;
        validate::subject(&tpl.subject)?;
        if !tpl.body.is_empty() {
            validate::body(&tpl.body)?;
        }
        for tag in &tpl.tags {
            validate::tag(tag)?;
        }
        let template = serde_json::to_string(tpl)
            .map_err(|e| ServiceError::invalid("template", e.to_string()))?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        // The template must make a ticket that can be opened: check it now, not at 3 a.m.
        match tx.get_person(tpl.requester_id).await {
            Ok(p) if p.active => {}
            Ok(_) => return Err(ServiceError::invalid("requester_id", "is deactivated")),
            Err(steward_store::StoreError::NotFound) => {
                return Err(ServiceError::invalid("requester_id", "no such person"))
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(team) = tpl.team_id {
            tx.get_team(team).await.map_err(|e| match e {
                steward_store::StoreError::NotFound => {
                    ServiceError::invalid("team_id", "no such team")
                }
                e => e.into(),
            })?;
        }
        if let Some(a) = tpl.assignee_id {
            match tx.get_person(a).await {
                Ok(p) if p.active && p.role.is_staff() => {}
                Err(e) if !matches!(e, steward_store::StoreError::NotFound) => return Err(e.into()),
                _ => {
                    return Err(ServiceError::invalid(
                        "assignee_id",
                        "the assignee must be an active member of staff",
                    ))
                }
            }
        }
        let next_run_at = if input.enabled {
            rec.next_after(now)
        } else {
            None
        };
        let saved = tx
            .save_recurring(
                &Recurring {
                    id: id.unwrap_or(0),
                    name,
                    rrule: input.rrule.trim().to_string(),
                    starts_local: input.starts.trim().to_string(),
                    time_zone: input.time_zone.trim().to_string(),
                    template,
                    enabled: input.enabled,
                    next_run_at,
                    last_run_at: None,
                    last_ticket: None,
                },
                now,
            )
            .await
            .not_found_as("schedule")?;
        let key = recurring_key(saved.id);
        match next_run_at {
            Some(at) => {
                tx.schedule_job(RECURRING, None, &saved.id.to_string(), Some(&key), at, now)
                    .await?
            }
            None => tx.cancel_job(&key).await?,
        }
        let change = if id.is_some() { "changed" } else { "created" };
        self.audit_setting(&mut tx, actor, "recurring", saved.id, change, &saved.name)
            .await?;
        tx.commit().await?;
        Ok(shown(saved, now))
    }

    pub async fn delete_recurring(&self, actor: &Actor, id: i64) -> Result<()> {
        check(actor, Can::ManageServiceLevels).map_err(|d| ServiceError::denied(d, "schedule"))?;
        let mut tx = self.store.write().await?;
        tx.delete_recurring(id).await.not_found_as("schedule")?;
        tx.cancel_job(&recurring_key(id)).await?;
        self.audit_setting(&mut tx, actor, "recurring", id, "deleted", "")
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An occurrence is due: open its ticket and schedule the next, in one transaction (so a
    /// crash or a second worker never opens it twice). Occurrences missed while Steward was
    /// stopped are not made up: one ticket is opened for the latest, then the schedule goes on.
    pub(crate) async fn run_recurring(&self, payload: &str, occurrence: Timestamp) -> Result<()> {
        let id: i64 = payload
            .trim()
            .parse()
            .map_err(|_| ServiceError::invalid("schedule", "unreadable job"))?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let r = match tx.get_recurring(id).await {
            Ok(r) => r,
            Err(steward_store::StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if !r.enabled || r.last_run_at.is_some_and(|l| l >= occurrence) {
            return Ok(());
        }
        let rec = recurrence(&r.rrule, &r.starts_local, &r.time_zone)?;
        let tpl: RecurringTemplate = serde_json::from_str(&r.template)
            .map_err(|e| ServiceError::invalid("template", format!("unreadable: {e}")))?;
        let ticket = self
            .create_ticket_in(
                &mut tx,
                &Actor::system(),
                CreateTicket {
                    ticket_type: tpl.ticket_type,
                    subject: tpl.subject,
                    body: (!tpl.body.trim().is_empty()).then_some(tpl.body),
                    requester_id: Some(tpl.requester_id),
                    priority: tpl.priority,
                    category_id: tpl.category_id,
                    team_id: tpl.team_id,
                    assignee_id: tpl.assignee_id,
                    channel: Some(Channel::Agent),
                    tags: tpl.tags,
                    ..Default::default()
                },
            )
            .await?;
        let next = rec.next_after(occurrence.max(now));
        tx.recurring_ran(id, occurrence, Some(ticket.id), next)
            .await?;
        if let Some(at) = next {
            tx.schedule_job(
                RECURRING,
                None,
                &id.to_string(),
                Some(&recurring_key(id)),
                at,
                now,
            )
            .await?;
        }
        self.commit_announcing(tx, Notice::new(NoticeKind::Created, &ticket))
            .await?;
        Ok(())
    }
}

fn shown(stored: Recurring, now: Timestamp) -> RecurringTicket {
    let template = serde_json::from_str(&stored.template).unwrap_or(RecurringTemplate {
        subject: String::new(),
        body: String::new(),
        ticket_type: None,
        requester_id: PersonId(0),
        priority: None,
        team_id: None,
        assignee_id: None,
        category_id: None,
        tags: Vec::new(),
    });
    let rec = recurrence(&stored.rrule, &stored.starts_local, &stored.time_zone).ok();
    RecurringTicket {
        description: rec
            .as_ref()
            .map_or_else(|| stored.rrule.clone(), Recurrence::describe),
        upcoming: match (&rec, stored.enabled) {
            (Some(r), true) => r.upcoming(now, 5),
            _ => Vec::new(),
        },
        stored,
        template,
    }
}
