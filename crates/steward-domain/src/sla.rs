//! Service levels: which policy applies to a ticket, and where each of its clocks stands. Pure: a
//! ticket's timeline and a calendar in, due instants and states out.
//!
//! **What the clocks measure** (documented for users in `docs/sla.md`):
//! - *first response* runs from the ticket's creation until the first public reply by staff
//!   written in Steward (an automatic acknowledgement, an internal note or a mail from a staff
//!   address do not count); a ticket resolved before anyone answered stops it there;
//! - *next response* runs from a requester's public message that follows a staff reply, until the
//!   next public reply by staff (the latest such cycle is shown);
//! - *resolution* runs from creation until the ticket is resolved; it stands still while the ticket
//!   is resolved and runs on if it is reopened.
//!
//! All three count business time of the policy's calendar only, and stand still while the ticket is
//! in one of the policy's pause statuses (by default "waiting for requester").

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::{CategoryId, OrgId, Priority, Status, Ticket, TicketType};

/// The promises a policy makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Target {
    FirstResponse,
    NextResponse,
    Resolution,
}

impl crate::Named for Target {
    const ALL: &'static [Self] = &[
        Target::FirstResponse,
        Target::NextResponse,
        Target::Resolution,
    ];
    const WHAT: &'static str = "target";
    fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::NextResponse => "next_response",
            Target::Resolution => "resolution",
        }
    }
}

/// Business minutes allowed per target, for one priority (`None`: no promise).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub first_response_minutes: Option<u32>,
    pub next_response_minutes: Option<u32>,
    pub resolution_minutes: Option<u32>,
}

impl Targets {
    pub fn get(&self, t: Target) -> Option<SignedDuration> {
        let m = match t {
            Target::FirstResponse => self.first_response_minutes,
            Target::NextResponse => self.next_response_minutes,
            Target::Resolution => self.resolution_minutes,
        }?;
        Some(SignedDuration::from_mins(i64::from(m)))
    }
}

/// Which tickets a policy is for. An empty list matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Applies {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<i64>))]
    pub organisations: Vec<OrgId>,
    pub types: Vec<TicketType>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<i64>))]
    pub categories: Vec<CategoryId>,
    pub priorities: Vec<Priority>,
}

impl Applies {
    pub fn matches(&self, t: &Ticket) -> bool {
        let any = |list_empty: bool, hit: bool| list_empty || hit;
        any(
            self.organisations.is_empty(),
            t.organisation_id
                .is_some_and(|o| self.organisations.contains(&o)),
        ) && any(self.types.is_empty(), self.types.contains(&t.ticket_type))
            && any(
                self.categories.is_empty(),
                t.category_id.is_some_and(|c| self.categories.contains(&c)),
            )
            && any(
                self.priorities.is_empty(),
                self.priorities.contains(&t.priority),
            )
    }

    /// How many kinds of condition it sets (more is more specific).
    pub fn specificity(&self) -> usize {
        [
            !self.organisations.is_empty(),
            !self.types.is_empty(),
            !self.categories.is_empty(),
            !self.priorities.is_empty(),
        ]
        .into_iter()
        .filter(|x| *x)
        .count()
    }
}

/// What happens when a clock runs out (each step once per ticket, target and run of the clock).
/// The warning always tells the assignee (or, unassigned, the team).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Escalation {
    /// Tell the assignee (or, unassigned, the team's staff).
    pub notify_assignee: bool,
    /// Tell the leads of the ticket's team.
    pub notify_team_leads: bool,
    /// Tell every service manager (people with the manager role).
    pub notify_managers: bool,
    /// Move the ticket to this team's queue, unassigned.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub reassign_to_team: Option<crate::TeamId>,
    /// Raise the priority one step (low → medium → high → critical).
    pub raise_priority: bool,
}

impl Default for Escalation {
    fn default() -> Self {
        Escalation {
            notify_assignee: true,
            notify_team_leads: true,
            notify_managers: false,
            reassign_to_team: None,
            raise_priority: false,
        }
    }
}

/// One priority step up (critical stays critical).
pub fn raised(p: Priority) -> Priority {
    match p {
        Priority::Low => Priority::Medium,
        Priority::Medium => Priority::High,
        Priority::High | Priority::Critical => Priority::Critical,
    }
}

/// The part of a policy the clocks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRules {
    /// Targets per priority: critical, high, medium, low.
    pub targets: [Targets; 4],
    /// The clocks stand still in these statuses.
    pub pause_in: Vec<Status>,
    /// A warning when this share (percent) of a target is used.
    pub warn_percent: u8,
}

impl PolicyRules {
    pub fn targets_for(&self, p: Priority) -> &Targets {
        let i = match p {
            Priority::Critical => 0,
            Priority::High => 1,
            Priority::Medium => 2,
            Priority::Low => 3,
        };
        &self.targets[i]
    }
}

/// A candidate policy for [`choose`]: its id, order, conditions, and whether it is the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub id: i64,
    /// Lower first.
    pub position: i64,
    pub applies: &'a Applies,
    pub is_default: bool,
}

/// The policy for a ticket. **Order of precedence:** among the policies whose conditions all hold,
/// the one with the lowest position wins (administrators order them); on equal positions the more
/// specific (more kinds of condition set), then the older (lower id). If none matches, the default
/// policy applies; without a default, the ticket has no service level.
pub fn choose(candidates: &[Candidate<'_>], t: &Ticket) -> Option<i64> {
    candidates
        .iter()
        .filter(|c| !c.is_default && c.applies.matches(t))
        .min_by_key(|c| (c.position, std::cmp::Reverse(c.applies.specificity()), c.id))
        .or_else(|| candidates.iter().find(|c| c.is_default))
        .map(|c| c.id)
}

/// What happened to a ticket, as far as the clocks care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub created_at: Timestamp,
    /// The status from creation on: `(since, status)`, in order; the first is at creation.
    pub statuses: Vec<(Timestamp, Status)>,
    /// Public messages in order: `(at, by staff in Steward)`. A requester's message is `false`.
    pub messages: Vec<(Timestamp, bool)>,
}

/// Where one clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Counting down.
    Running,
    /// Standing still (a pause status, or a resolved ticket for the resolution clock).
    Paused,
    /// Stopped in time.
    Met,
    /// Past its due instant (still running, or stopped late).
    Breached,
}

/// One clock of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub target: Target,
    pub state: ClockState,
    /// When it runs out; `None` while it stands still and has time left.
    pub due: Option<Timestamp>,
    /// When the warning share is reached (same rule as `due`).
    pub warn_at: Option<Timestamp>,
    /// Business time left (negative: overdue), as of `now` or when it stopped.
    pub remaining: SignedDuration,
    /// When it stopped (met or breached), if it did.
    pub stopped_at: Option<Timestamp>,
    /// The business time allowed.
    pub allowed: SignedDuration,
    /// When this run of the clock started (creation, or the requester's message for the next
    /// response): escalations fire once per run.
    pub since: Timestamp,
}

/// Stretches of time a clock may count: from `start`, until `stop` (or open), without the times the
/// ticket spent in `still` statuses.
fn stretches(
    tl: &Timeline,
    start: Timestamp,
    stop: Option<Timestamp>,
    still: &dyn Fn(Status) -> bool,
) -> Vec<(Timestamp, Option<Timestamp>)> {
    let mut out: Vec<(Timestamp, Option<Timestamp>)> = Vec::new();
    for (i, (since, status)) in tl.statuses.iter().enumerate() {
        let until = tl.statuses.get(i + 1).map(|(t, _)| *t);
        let a = (*since).max(start);
        let b = match (until, stop) {
            (Some(u), Some(s)) => Some(u.min(s)),
            (Some(u), None) => Some(u),
            (None, s) => s,
        };
        if b.is_some_and(|b| b <= a) || still(*status) {
            continue;
        }
        out.push((a, b));
    }
    out
}

/// When `amount` of business time is used up over the stretches (`Ok`), or how much of it they
/// used (`Err`) when they end first.
fn exhaust(
    cal: &Calendar,
    amount: SignedDuration,
    stretches: &[(Timestamp, Option<Timestamp>)],
) -> Result<Timestamp, SignedDuration> {
    let mut used = SignedDuration::ZERO;
    for (a, b) in stretches {
        let left = amount - used;
        match b {
            None => return cal.add(*a, left).ok_or(used),
            Some(b) => {
                let here = cal.between(*a, *b);
                if here >= left {
                    return cal.add(*a, left).ok_or(used);
                }
                used += here;
            }
        }
    }
    Err(used)
}

/// What every clock of one ticket is computed against.
struct Ctx<'a> {
    cal: &'a Calendar,
    tl: &'a Timeline,
    warn_percent: u8,
    now: Timestamp,
}

/// The clock for one target run from `start` (stopped at `stop`, if it stopped).
fn clock(
    ctx: &Ctx<'_>,
    target: Target,
    allowed: SignedDuration,
    start: Timestamp,
    stop: Option<Timestamp>,
    still: &dyn Fn(Status) -> bool,
) -> Clock {
    let Ctx {
        cal,
        tl,
        warn_percent,
        now,
    } = *ctx;
    let s = stretches(tl, start, stop, still);
    let running_now = stop.is_none() && s.last().is_some_and(|(_, b)| b.is_none());
    // A clock that stopped keeps the due instant it would have had, had it run on.
    let run_on = |r: Result<Timestamp, SignedDuration>, amount: SignedDuration| match (r, stop) {
        (Err(used), Some(at)) => cal.add(at, amount - used).ok_or(used),
        (r, _) => r,
    };
    let due = run_on(exhaust(cal, allowed, &s), allowed);
    let warn_amount = allowed * i32::from(warn_percent) / 100;
    let warn = run_on(exhaust(cal, warn_amount, &s), warn_amount);
    let end = stop.unwrap_or(now);
    let (state, remaining) = match due {
        Ok(d) if d < end || (stop.is_none() && d <= now) => {
            (ClockState::Breached, -cal.between(d, end))
        }
        Ok(d) => {
            let state = match (stop, running_now) {
                (Some(_), _) => ClockState::Met,
                (None, true) => ClockState::Running,
                // Stands still, but the time left runs out at `d` once it resumes: cannot
                // happen (a still clock has no open stretch), kept for completeness.
                (None, false) => ClockState::Paused,
            };
            (state, cal.between(end, d))
        }
        Err(used) => match stop {
            Some(_) => (ClockState::Met, allowed - used),
            None => (ClockState::Paused, allowed - used),
        },
    };
    Clock {
        target,
        state,
        due: due.ok(),
        warn_at: warn.ok(),
        remaining,
        stopped_at: stop,
        allowed,
        since: start,
    }
}

/// Every clock a policy sets for a ticket with this priority and timeline, as of `now`.
pub fn clocks(
    rules: &PolicyRules,
    priority: Priority,
    cal: &Calendar,
    tl: &Timeline,
    now: Timestamp,
) -> Vec<Clock> {
    let targets = rules.targets_for(priority);
    let ctx = Ctx {
        cal,
        tl,
        warn_percent: rules.warn_percent,
        now,
    };
    let paused = |s: Status| rules.pause_in.contains(&s);
    let done = |s: Status| matches!(s, Status::Resolved | Status::Closed);
    let first_resolved = tl.statuses.iter().find(|(_, s)| done(*s)).map(|(t, _)| *t);
    let mut out = Vec::new();

    if let Some(allowed) = targets.get(Target::FirstResponse) {
        let replied = tl
            .messages
            .iter()
            .find(|(_, staff)| *staff)
            .map(|(t, _)| *t);
        let stop = match (replied, first_resolved) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let still = |s: Status| paused(s) || done(s);
        out.push(clock(
            &ctx,
            Target::FirstResponse,
            allowed,
            tl.created_at,
            stop,
            &still,
        ));
    }

    if let Some(allowed) = targets.get(Target::NextResponse) {
        // The latest requester message after a staff reply, and the staff reply that answered it.
        let mut cycle: Option<(Timestamp, Option<Timestamp>)> = None;
        let mut staff_has_replied = false;
        for (at, staff) in &tl.messages {
            match (*staff, cycle) {
                (true, Some((start, None))) => cycle = Some((start, Some(*at))),
                (true, _) => {}
                (false, Some((_, None))) => {}
                (false, _) if staff_has_replied => cycle = Some((*at, None)),
                (false, _) => {}
            }
            staff_has_replied |= *staff;
        }
        if let Some((start, answered)) = cycle {
            // Resolving the ticket also ends the wait for an answer.
            let resolved_after = tl
                .statuses
                .iter()
                .find(|(t, s)| *t >= start && done(*s))
                .map(|(t, _)| *t);
            let stop = match (answered, resolved_after) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let still = |s: Status| paused(s) || done(s);
            out.push(clock(
                &ctx,
                Target::NextResponse,
                allowed,
                start,
                stop,
                &still,
            ));
        }
    }

    if let Some(allowed) = targets.get(Target::Resolution) {
        let current = tl.statuses.last().map(|(_, s)| *s);
        let stop = match current {
            Some(s) if done(s) => tl.statuses.last().map(|(t, _)| *t),
            _ => None,
        };
        let still = |s: Status| paused(s) || done(s);
        out.push(clock(
            &ctx,
            Target::Resolution,
            allowed,
            tl.created_at,
            stop,
            &still,
        ));
    }
    out
}

#[cfg(test)]
mod tests;
