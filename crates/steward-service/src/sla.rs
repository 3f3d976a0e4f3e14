//! Service levels: business calendars and SLA policies (kept by managers and administrators), and
//! every ticket's clocks, recomputed in the transaction of each change that can move them, and for
//! all open tickets when a policy or calendar changes.

use steward_domain::calendar::{Calendar, CalendarDef};
use steward_domain::policy::{check, Action};
use steward_domain::sla::{self, Applies, Candidate, Clock, Escalation, PolicyRules, Targets};
use steward_domain::{validate, Actor, Named, Status, Ticket, TicketId};
use steward_store::sla::{PolicyFields, SlaPolicy, StoredCalendar};
use steward_store::{Conn, StoreError};

use crate::error::NotFoundAs;
use crate::{Result, Service, ServiceError};

/// A policy as an administrator writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInput {
    pub name: String,
    /// Lower wins among matching policies.
    pub position: i64,
    /// `None`: 24 hours a day, 7 days a week.
    pub calendar_id: Option<i64>,
    pub applies: Applies,
    /// Critical, high, medium, low.
    pub targets: [Targets; 4],
    /// Default: waiting for the requester.
    pub pause_in: Option<Vec<Status>>,
    /// Default 75.
    pub warn_percent: Option<u8>,
    /// What a breach sets off (default: tell the assignee and the team leads).
    pub escalation: Option<Escalation>,
    pub is_default: bool,
}

fn allowed(actor: &Actor, action: Action, what: &'static str) -> Result<()> {
    check(actor, action).map_err(|d| ServiceError::denied(d, what))
}

/// Escalation steps.
const WARNING: &str = "warning";
const BREACH: &str = "breach";

/// Recomputing all open tickets goes this many at a time (one transaction each).
const RECOMPUTE_BATCH: i64 = 1000;

/// The next instant an escalation step is due (one that has not fired yet), checked then by the
/// scheduler; none: nothing to check.
fn next_check(
    clocks: &[Clock],
    fired: &[(String, String, steward_domain::Timestamp)],
) -> Option<steward_domain::Timestamp> {
    let has_fired = |c: &Clock, step: &str| {
        fired
            .iter()
            .any(|(target, s, since)| target == c.target.as_str() && s == step && *since == c.since)
    };
    clocks
        .iter()
        .filter(|c| c.stopped_at.is_none())
        .flat_map(|c| {
            [
                (!has_fired(c, WARNING)).then_some(c.warn_at).flatten(),
                (!has_fired(c, BREACH)).then_some(c.due).flatten(),
            ]
        })
        .flatten()
        .min()
}

impl Service {
    pub async fn calendars(&self, actor: &Actor) -> Result<Vec<StoredCalendar>> {
        allowed(actor, Action::ViewServiceLevels, "calendar")?;
        Ok(self.store.read().await?.list_calendars().await?)
    }

    pub async fn create_calendar(
        &self,
        actor: &Actor,
        name: &str,
        def: CalendarDef,
    ) -> Result<StoredCalendar> {
        allowed(actor, Action::ManageServiceLevels, "calendar")?;
        let name = validate::name("name", name)?;
        def.to_calendar()?;
        let mut tx = self.store.write().await?;
        let c = tx.insert_calendar(&name, &def, self.now()).await?;
        self.audit_setting(&mut tx, actor, "calendar", c.id, "created", &name)
            .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Changes a calendar; every open ticket's clocks follow.
    pub async fn update_calendar(
        &self,
        actor: &Actor,
        id: i64,
        name: &str,
        def: CalendarDef,
    ) -> Result<StoredCalendar> {
        allowed(actor, Action::ManageServiceLevels, "calendar")?;
        let name = validate::name("name", name)?;
        def.to_calendar()?;
        let mut tx = self.store.write().await?;
        let c = tx
            .update_calendar(id, &name, &def, self.now())
            .await
            .not_found_as("calendar")?;
        self.audit_setting(&mut tx, actor, "calendar", id, "changed", &name)
            .await?;
        tx.commit().await?;
        self.recompute_all_sla().await?;
        Ok(c)
    }

    pub async fn delete_calendar(&self, actor: &Actor, id: i64) -> Result<()> {
        allowed(actor, Action::ManageServiceLevels, "calendar")?;
        let mut tx = self.store.write().await?;
        match tx.delete_calendar(id).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound("calendar")),
            Err(StoreError::Conflict(_)) => {
                return Err(ServiceError::Conflict(
                    "a policy uses this calendar: change the policy first".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        self.audit_setting(&mut tx, actor, "calendar", id, "deleted", "")
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn sla_policies(&self, actor: &Actor) -> Result<Vec<SlaPolicy>> {
        allowed(actor, Action::ViewServiceLevels, "policy")?;
        Ok(self.store.read().await?.list_policies().await?)
    }

    async fn policy_fields(&self, tx: &mut Conn, p: PolicyInput) -> Result<PolicyFields> {
        let name = validate::name("name", &p.name)?;
        if let Some(c) = p.calendar_id {
            match tx.get_calendar(c).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(ServiceError::invalid(
                        "calendar_id",
                        format!("there is no calendar {c}"),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        let warn_percent = p.warn_percent.unwrap_or(75);
        if !(1..=100).contains(&warn_percent) {
            return Err(ServiceError::invalid(
                "warn_percent",
                "a share of the target from 1 to 100",
            ));
        }
        let too_long = p.targets.iter().any(|t| {
            [
                t.first_response_minutes,
                t.next_response_minutes,
                t.resolution_minutes,
            ]
            .into_iter()
            .flatten()
            .any(|m| m == 0 || m > 365 * 24 * 60)
        });
        if too_long {
            return Err(ServiceError::invalid(
                "targets",
                "each target is from 1 minute to a year of business time",
            ));
        }
        let mut pause_in = p.pause_in.unwrap_or_else(|| vec![Status::PendingRequester]);
        pause_in.sort_by_key(|s| *s as u8);
        pause_in.dedup();
        if pause_in
            .iter()
            .any(|s| matches!(s, Status::Resolved | Status::Closed))
        {
            return Err(ServiceError::invalid(
                "pause_in",
                "resolved and closed tickets stop the clocks anyway",
            ));
        }
        let escalation = p.escalation.unwrap_or_default();
        if let Some(team) = escalation.reassign_to_team {
            match tx.get_team(team).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(ServiceError::invalid(
                        "escalation",
                        format!("there is no team {team}"),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(PolicyFields {
            escalation,
            name,
            position: p.position,
            calendar_id: p.calendar_id,
            applies: p.applies,
            rules: PolicyRules {
                targets: p.targets,
                pause_in,
                warn_percent,
            },
            is_default: p.is_default,
        })
    }

    /// Recomputes every open ticket's clocks (after tickets were written in bulk, as by
    /// `steward demo`); returns how many.
    pub async fn recompute_service_levels(&self, actor: &Actor) -> Result<usize> {
        allowed(actor, Action::ManageServiceLevels, "policy")?;
        self.recompute_all_sla().await
    }

    /// Adds a policy; every open ticket is matched again.
    pub async fn create_sla_policy(&self, actor: &Actor, p: PolicyInput) -> Result<SlaPolicy> {
        allowed(actor, Action::ManageServiceLevels, "policy")?;
        let mut tx = self.store.write().await?;
        let fields = self.policy_fields(&mut tx, p).await?;
        let created = tx.insert_policy(&fields, self.now()).await?;
        if created.is_default {
            tx.clear_default_policy(created.id).await?;
        }
        self.audit_setting(
            &mut tx,
            actor,
            "policy",
            created.id,
            "created",
            &created.name,
        )
        .await?;
        tx.commit().await?;
        self.recompute_all_sla().await?;
        Ok(created)
    }

    /// Changes a policy; every open ticket is matched again and its clocks follow.
    pub async fn update_sla_policy(
        &self,
        actor: &Actor,
        id: i64,
        p: PolicyInput,
    ) -> Result<SlaPolicy> {
        allowed(actor, Action::ManageServiceLevels, "policy")?;
        let mut tx = self.store.write().await?;
        let fields = self.policy_fields(&mut tx, p).await?;
        let updated = tx
            .update_policy(id, &fields, self.now())
            .await
            .not_found_as("policy")?;
        if updated.is_default {
            tx.clear_default_policy(updated.id).await?;
        }
        self.audit_setting(&mut tx, actor, "policy", id, "changed", &updated.name)
            .await?;
        tx.commit().await?;
        self.recompute_all_sla().await?;
        Ok(updated)
    }

    pub async fn delete_sla_policy(&self, actor: &Actor, id: i64) -> Result<()> {
        allowed(actor, Action::ManageServiceLevels, "policy")?;
        let mut tx = self.store.write().await?;
        tx.delete_policy(id).await.not_found_as("policy")?;
        self.audit_setting(&mut tx, actor, "policy", id, "deleted", "")
            .await?;
        tx.commit().await?;
        self.recompute_all_sla().await?;
        Ok(())
    }

    /// The calendar a policy counts in.
    async fn calendar_of(tx: &mut Conn, policy: &SlaPolicy) -> Result<Calendar> {
        Ok(match policy.calendar_id {
            Some(c) => tx.get_calendar(c).await?.def.to_calendar()?,
            None => Calendar::always(),
        })
    }

    /// The policy for a ticket, by the documented precedence.
    fn policy_for<'a>(policies: &'a [SlaPolicy], t: &Ticket) -> Option<&'a SlaPolicy> {
        let candidates: Vec<Candidate<'_>> = policies
            .iter()
            .map(|p| Candidate {
                id: p.id,
                position: p.position,
                applies: &p.applies,
                is_default: p.is_default,
            })
            .collect();
        let id = sla::choose(&candidates, t)?;
        policies.iter().find(|p| p.id == id)
    }

    /// Computes and stores a ticket's clocks, inside the transaction that changed it (after its
    /// history is written).
    pub(crate) async fn recompute_sla(&self, tx: &mut Conn, t: &mut Ticket) -> Result<Vec<Clock>> {
        let key = crate::jobs::sla_check_key(t.id);
        // Something to measure for the reports (a ticket nobody answered yet has nothing).
        let measured = t.first_responded_at.is_some() || t.resolved_at.is_some();
        let policies = tx.list_policies().await?;
        if policies.is_empty() {
            // Without policies there is nothing to keep: deleting a policy already cleared the
            // clocks of its tickets, and a check still scheduled finds nothing to do.
            t.sla_due_at = None;
            if measured {
                Self::measure_without_policy(tx, t).await?;
            }
            return Ok(Vec::new());
        }
        let Some(policy) = Self::policy_for(&policies, t) else {
            t.sla_due_at = tx.set_ticket_clocks(t.id, None, &[]).await?;
            tx.cancel_job(&key).await?;
            if measured {
                Self::measure_without_policy(tx, t).await?;
            }
            return Ok(Vec::new());
        };
        let cal = Self::calendar_of(tx, policy).await?;
        let timeline = tx.ticket_timeline(t.id).await?;
        let now = self.now();
        let clocks = sla::clocks(&policy.rules, t.priority, &cal, &timeline, now);
        t.sla_due_at = tx.set_ticket_clocks(t.id, Some(policy.id), &clocks).await?;
        if measured {
            let m = steward_domain::kpi::measure(
                &timeline,
                &cal,
                &policy.rules.pause_in,
                t.first_responded_at,
                t.status,
                t.resolved_at,
                &clocks,
            );
            tx.set_ticket_metrics(t.id, &m).await?;
        }
        let fired = tx.fired_escalations(t.id).await?;
        match next_check(&clocks, &fired) {
            Some(at) => {
                tx.schedule_job(crate::jobs::SLA_CHECK, Some(t.id), "", Some(&key), at, now)
                    .await?
            }
            None => tx.cancel_job(&key).await?,
        }
        Ok(clocks)
    }

    /// A ticket's measures for the reports when no policy applies: around the clock, not counting
    /// the time it waited on the requester.
    async fn measure_without_policy(tx: &mut Conn, t: &Ticket) -> Result<()> {
        let timeline = tx.ticket_timeline(t.id).await?;
        let m = steward_domain::kpi::measure(
            &timeline,
            &Calendar::always(),
            &[steward_domain::Status::PendingRequester],
            t.first_responded_at,
            t.status,
            t.resolved_at,
            &[],
        );
        tx.set_ticket_metrics(t.id, &m).await?;
        Ok(())
    }

    /// The scheduler's SLA check of one ticket: the clocks as of now, and each warning or breach
    /// that is due fires once — recorded in the history and told to the assignee (or the team).
    pub(crate) async fn sla_check(&self, ticket: TicketId) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let mut t = match tx.get_ticket_for_update(ticket).await {
            Ok(t) => t,
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let clocks = self.recompute_sla(&mut tx, &mut t).await?;
        let escalation = match tx.ticket_clocks(t.id).await?.0 {
            Some(p) => tx.get_policy(p).await?.escalation,
            None => Escalation::default(),
        };
        let mut fired_any = false;
        let mut breached = false;
        for c in clocks.iter().filter(|c| c.stopped_at.is_none()) {
            let steps = [
                (WARNING, c.warn_at, steward_domain::EventAction::SlaWarning),
                (BREACH, c.due, steward_domain::EventAction::SlaBreach),
            ];
            for (step, at, action) in steps {
                let Some(at) = at.filter(|at| *at <= now) else {
                    continue;
                };
                if !tx
                    .record_escalation(t.id, c.target.as_str(), step, c.since, now)
                    .await?
                {
                    continue;
                }
                fired_any = true;
                tx.record_history(
                    t.id,
                    None,
                    now,
                    action,
                    &[steward_domain::Change {
                        field: steward_domain::Field::ServiceLevel,
                        old: None,
                        new: Some(c.target.as_str().to_string()),
                    }],
                )
                .await?;
                let event = if step == WARNING {
                    crate::notify::StaffEvent::SlaWarning(c.target, at)
                } else {
                    breached = true;
                    crate::notify::StaffEvent::SlaBreach(
                        c.target,
                        at,
                        crate::notify::Audience {
                            assignee: escalation.notify_assignee,
                            team_leads: escalation.notify_team_leads,
                            managers: escalation.notify_managers,
                        },
                    )
                };
                self.notify_staff(&mut tx, &t, event, None, "", now).await?;
                let trigger = if step == WARNING {
                    steward_domain::rules::Trigger::SlaWarning
                } else {
                    steward_domain::rules::Trigger::SlaBreach
                };
                self.run_rules(&mut tx, &mut t, trigger).await?;
            }
        }
        // A breach can move the ticket to an escalation team and raise its priority (once: the
        // step is recorded); the history says so, as a change made by Steward.
        if breached && (escalation.reassign_to_team.is_some() || escalation.raise_priority) {
            let patch = steward_domain::TicketPatch {
                team_id: escalation.reassign_to_team.map(Some),
                assignee_id: escalation.reassign_to_team.map(|_| None),
                priority: escalation.raise_priority.then(|| sla::raised(t.priority)),
                ..Default::default()
            };
            let changes = t.apply(patch, now)?;
            if !changes.is_empty() {
                tx.update_ticket(&t, false).await?;
                tx.record_history(
                    t.id,
                    None,
                    now,
                    steward_domain::EventAction::Changed,
                    &changes,
                )
                .await?;
            }
        }
        // Firing (and escalating) may move the next check.
        if fired_any {
            self.recompute_sla(&mut tx, &mut t).await?;
        }
        self.commit_announcing(
            tx,
            crate::notices::Notice::new(crate::notices::NoticeKind::Changed, &t),
        )
        .await?;
        Ok(())
    }

    /// Recomputes the clocks of every ticket not resolved or closed (after a policy or calendar
    /// changed), in batches: each batch's tickets, timelines and fired steps are read in a few
    /// queries, the clocks computed in memory, and written back (clocks, due instants, next SLA
    /// checks) in a few multi-row statements, one transaction per batch. Returns how many.
    pub(crate) async fn recompute_all_sla(&self) -> Result<usize> {
        let mut c = self.store.read().await?;
        let policies = c.list_policies().await?;
        if policies.is_empty() {
            return Ok(0);
        }
        // Each calendar's working windows worked out once, for two years back and one ahead:
        // the clocks of tickets open for months each measure months of business time.
        let now = self.now();
        let (back, ahead) = (
            jiff::SignedDuration::from_hours(24 * 731),
            jiff::SignedDuration::from_hours(24 * 366),
        );
        let mut calendars = std::collections::HashMap::new();
        for p in &policies {
            let cal = Self::calendar_of(&mut c, p).await?;
            let cal = match (now.checked_sub(back), now.checked_add(ahead)) {
                (Ok(from), Ok(to)) => cal.with_table(from, to),
                _ => cal,
            };
            calendars.insert(p.id, cal);
        }
        drop(c);
        let mut after = 0;
        let mut done = 0;
        // Where the time goes, for the log: reading, computing, writing.
        let started = std::time::Instant::now();
        let mut spent = [std::time::Duration::ZERO; 3];
        loop {
            let now = self.now();
            let mut lap = std::time::Instant::now();
            let mut tx = self.store.write().await?;
            let tickets = tx.active_tickets_for_update(after, RECOMPUTE_BATCH).await?;
            let Some(last) = tickets.last() else {
                tracing::info!(
                    tickets = done,
                    seconds = started.elapsed().as_secs_f64(),
                    reading = spent[0].as_secs_f64(),
                    computing = spent[1].as_secs_f64(),
                    writing = spent[2].as_secs_f64(),
                    "service-level clocks recomputed"
                );
                return Ok(done);
            };
            after = last.id.0;
            let ids: Vec<TicketId> = tickets.iter().map(|t| t.id).collect();
            let created: Vec<(TicketId, steward_domain::Timestamp)> =
                tickets.iter().map(|t| (t.id, t.created_at)).collect();
            let timelines = tx.ticket_timelines(&created).await?;
            let fired = tx.fired_escalations_of(&ids).await?;
            let mut split = |i: usize| {
                spent[i] += lap.elapsed();
                lap = std::time::Instant::now();
            };
            split(0);
            let mut writes = Vec::with_capacity(tickets.len());
            let mut checks = Vec::new();
            let mut cancels = Vec::new();
            for t in &tickets {
                let key = crate::jobs::sla_check_key(t.id);
                let Some(policy) = Self::policy_for(&policies, t) else {
                    writes.push(steward_store::sla::ClocksWrite {
                        ticket: t.id,
                        policy: None,
                        clocks: Vec::new(),
                    });
                    cancels.push(key);
                    continue;
                };
                let (Some(cal), Some(timeline)) = (calendars.get(&policy.id), timelines.get(&t.id))
                else {
                    continue;
                };
                let clocks = sla::clocks(&policy.rules, t.priority, cal, timeline, now);
                let none = Vec::new();
                match next_check(&clocks, fired.get(&t.id).unwrap_or(&none)) {
                    Some(at) => checks.push((t.id, key, at)),
                    None => cancels.push(key),
                }
                writes.push(steward_store::sla::ClocksWrite {
                    ticket: t.id,
                    policy: Some(policy.id),
                    clocks,
                });
            }
            split(1);
            tx.store_clocks(&writes).await?;
            tx.schedule_jobs(crate::jobs::SLA_CHECK, &checks, now)
                .await?;
            tx.cancel_jobs(&cancels).await?;
            tx.commit().await?;
            split(2);
            done += tickets.len();
        }
    }

    /// A ticket's policy and its clocks as of now (for whoever may see the ticket's details).
    pub async fn ticket_clocks(
        &self,
        actor: &Actor,
        ticket: TicketId,
    ) -> Result<(Option<SlaPolicy>, Vec<Clock>)> {
        let t = self.get_ticket(actor, ticket).await?;
        let mut c = self.store.read().await?;
        let (policy, _) = c.ticket_clocks(t.id).await?;
        let Some(id) = policy else {
            return Ok((None, Vec::new()));
        };
        let policy = c.get_policy(id).await?;
        let cal = Self::calendar_of(&mut c, &policy).await?;
        let timeline = c.ticket_timeline(t.id).await?;
        let clocks = sla::clocks(&policy.rules, t.priority, &cal, &timeline, self.now());
        Ok((Some(policy), clocks))
    }
}
