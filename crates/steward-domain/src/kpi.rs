//! The figures a service manager runs the desk by, and exactly what each one means. Pure: the
//! service feeds each ticket's [`Facts`] and each rating into a [`Tally`], which
//! [`Tally::finish`]es into [`Kpis`]. The definitions below are the ones `docs/reports.md` writes out
//! and the dashboard shows beside each figure.
//!
//! A report covers a period `[from, to)`:
//!
//! - **Volume** (and every breakdown, the busiest hours and the daily series): tickets *created* in
//!   the period.
//! - **First-response time**: tickets whose first public staff reply was in the period; from
//!   creation to that reply.
//! - **Resolution time**: tickets *resolved* in the period (their latest resolution, still resolved
//!   or closed); from creation to that resolution.
//! - Both in calendar time and in business time: the business hours of the calendar of the
//!   ticket's SLA policy (24 × 7 without one), not counting the time the ticket spent in the
//!   policy's pause statuses (waiting on the requester), nor, for resolution, the time it spent
//!   resolved before it was reopened. Median and 90th percentile by nearest rank: the smallest
//!   value at least half (nine tenths) of the values do not exceed.
//! - **First-contact resolution rate**: of the tickets resolved in the period, the share never
//!   reopened and resolved with at most one public reply from staff.
//! - **Reopen rate**: of the tickets resolved in the period, the share reopened at least once.
//! - **CSAT**: ratings (1–5) given in the period: the share of 4 and 5 ("satisfied"), and the
//!   average.
//! - **SLA compliance** per target: of the targets decided in the period, the share met. A first
//!   response target is decided by the first response; resolution and next-response targets by
//!   the resolution (as they stood then). A target breached but not yet decided counts in the
//!   backlog's "overdue", not here.
//! - **Backlog**: tickets open *now* (not resolved or closed), by age, and how many are overdue.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::sla::{Clock, ClockState, Target, Timeline};
use crate::{Channel, Named, Priority, Status, TicketType};

/// A stretch of a ticket's life, measured twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub calendar: SignedDuration,
    pub business: SignedDuration,
}

/// What is measured of one ticket when it changes (kept with its clocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measures {
    /// From creation to the first public staff reply.
    pub first_response: Option<Span>,
    /// From creation to the latest resolution, while resolved or closed.
    pub resolution: Option<Span>,
    /// Public replies by staff.
    pub staff_replies: i64,
    /// How each target ended, once decided (`None`: no target, or still running).
    pub first_response_met: Option<bool>,
    pub next_response_met: Option<bool>,
    pub resolution_met: Option<bool>,
}

fn done(s: Status) -> bool {
    matches!(s, Status::Resolved | Status::Closed)
}

/// Business time of `cal` between `from` and `to`, leaving out the stretches the ticket spent in
/// a status `still` names.
fn business(
    tl: &Timeline,
    cal: &Calendar,
    from: Timestamp,
    to: Timestamp,
    still: &dyn Fn(Status) -> bool,
) -> SignedDuration {
    let mut total = SignedDuration::ZERO;
    for (i, (since, status)) in tl.statuses.iter().enumerate() {
        if still(*status) {
            continue;
        }
        let until = tl.statuses.get(i + 1).map_or(to, |(t, _)| *t);
        let a = (*since).max(from);
        let b = until.min(to);
        if b > a {
            total += cal.between(a, b);
        }
    }
    total
}

/// A ticket's measures from its timeline, in the calendar of its policy (pausing in `pause_in`),
/// with the clocks just computed for it.
pub fn measure(
    tl: &Timeline,
    cal: &Calendar,
    pause_in: &[Status],
    first_responded_at: Option<Timestamp>,
    status: Status,
    resolved_at: Option<Timestamp>,
    clocks: &[Clock],
) -> Measures {
    let paused = |s: Status| pause_in.contains(&s);
    let span = |to: Timestamp, still: &dyn Fn(Status) -> bool| Span {
        calendar: to.duration_since(tl.created_at).max(SignedDuration::ZERO),
        business: business(tl, cal, tl.created_at, to, still),
    };
    let first_response = first_responded_at.map(|at| span(at, &paused));
    let resolution = resolved_at
        .filter(|_| done(status))
        .map(|at| span(at, &|s| paused(s) || done(s)));
    let decided = |target: Target| {
        clocks
            .iter()
            .find(|c| c.target == target)
            .and_then(|c| match (c.state, c.stopped_at) {
                (ClockState::Met, Some(_)) => Some(true),
                (ClockState::Breached, Some(_)) => Some(false),
                _ => None,
            })
    };
    Measures {
        first_response,
        resolution,
        staff_replies: tl.messages.iter().filter(|(_, staff)| *staff).count() as i64,
        first_response_met: decided(Target::FirstResponse),
        next_response_met: decided(Target::NextResponse),
        resolution_met: decided(Target::Resolution),
    }
}

/// One ticket as the reports see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub status: Status,
    pub created_at: Timestamp,
    pub first_responded_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub channel: Channel,
    pub ticket_type: TicketType,
    pub priority: Priority,
    pub category: Option<i64>,
    pub organisation: Option<i64>,
    pub team: Option<i64>,
    pub assignee: Option<i64>,
    pub reopen_count: i64,
    /// The soonest due instant of its running clocks.
    pub sla_due_at: Option<Timestamp>,
    pub measures: Measures,
}

/// Which tickets a report looks at: all, or those of one organisation, team, technician (the
/// assignee), type or priority, combined.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Filter {
    pub organisation: Option<i64>,
    pub team: Option<i64>,
    pub technician: Option<i64>,
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketType>,
    pub priority: Option<Priority>,
}

/// The period a report covers, and the zone its days and hours are read in.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
    pub zone: TimeZone,
}

impl Period {
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Period {
        let len = self.to.duration_since(self.from);
        Period {
            from: self.from.checked_sub(len).unwrap_or(self.from),
            to: self.from,
            zone: self.zone.clone(),
        }
    }
}

/// Median and 90th percentile of some durations, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Spread {
    pub count: u64,
    pub median_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

/// The nearest-rank percentile `p` (1–100) of sorted values.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as u64;
    let rank = (u64::from(p.clamp(1, 100)) * n).div_ceil(100).max(1);
    sorted.get(rank as usize - 1).copied()
}

fn spread(mut values: Vec<i64>) -> Spread {
    values.sort_unstable();
    Spread {
        count: values.len() as u64,
        median_ms: percentile(&values, 50),
        p90_ms: percentile(&values, 90),
    }
}

/// A time measured in calendar and in business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Times {
    pub calendar: Spread,
    pub business: Spread,
}

/// A share: `part` of `of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rate {
    pub part: u64,
    pub of: u64,
}

impl Rate {
    /// The share in percent (`None` of nothing).
    pub fn percent(&self) -> Option<f64> {
        (self.of > 0).then(|| self.part as f64 * 100.0 / self.of as f64)
    }

    fn count(&mut self, yes: bool) {
        self.of += 1;
        self.part += u64::from(yes);
    }
}

/// Satisfaction ratings.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Csat {
    /// Ratings of 4 or 5, of all ratings.
    pub satisfied: Rate,
    /// The average rating (1–5).
    pub average: Option<f64>,
    /// How many ratings of 1, 2, 3, 4 and 5.
    pub distribution: [u64; 5],
}

/// A rating counts as satisfied from this value up.
pub const SATISFIED_FROM: u8 = 4;

/// Service-level compliance per target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaCompliance {
    pub first_response: Rate,
    pub next_response: Rate,
    pub resolution: Rate,
}

/// Ages the backlog is counted in.
pub const AGE_BUCKETS: [(&str, i64); 5] = [
    ("under 1 day", 24),
    ("1–3 days", 72),
    ("3–7 days", 168),
    ("1–4 weeks", 672),
    ("over 4 weeks", i64::MAX),
];

/// Tickets open now.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backlog {
    pub open: u64,
    /// Open with a service-level clock past its due instant.
    pub overdue: u64,
    /// How many per age bucket ([`AGE_BUCKETS`], in order).
    pub by_age: Vec<u64>,
}

/// How many tickets per value of a dimension (an id, or a name for channel, type and priority),
/// most first; `None` for "none" (no team, unassigned…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Count<K> {
    pub key: Option<K>,
    pub count: u64,
}

/// One day of the period: tickets created and resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Day {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub date: Date,
    pub created: u64,
    pub resolved: u64,
}

/// Every figure of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Kpis {
    pub created: u64,
    pub resolved: u64,
    pub first_response: Times,
    pub resolution: Times,
    pub first_contact_resolution: Rate,
    pub reopened: Rate,
    pub csat: Csat,
    pub sla: SlaCompliance,
    pub backlog: Backlog,
    pub by_channel: Vec<Count<String>>,
    pub by_type: Vec<Count<String>>,
    pub by_priority: Vec<Count<String>>,
    pub by_category: Vec<Count<i64>>,
    pub by_organisation: Vec<Count<i64>>,
    pub by_team: Vec<Count<i64>>,
    pub by_technician: Vec<Count<i64>>,
    /// Tickets created per weekday (Monday first) and hour of the day, in the period's zone.
    pub busiest_hours: Vec<[u64; 24]>,
    pub days: Vec<Day>,
    /// Requests a suggested article answered (see the knowledge base).
    pub deflected: u64,
}

/// Adds up tickets and ratings into [`Kpis`].
#[derive(Debug)]
pub struct Tally {
    period: Period,
    now: Timestamp,
    created: u64,
    resolved: u64,
    frt: (Vec<i64>, Vec<i64>),
    res: (Vec<i64>, Vec<i64>),
    fcr: Rate,
    reopened: Rate,
    ratings: [u64; 5],
    sla: SlaCompliance,
    backlog: Backlog,
    channel: HashMap<Channel, u64>,
    ticket_type: HashMap<TicketType, u64>,
    priority: HashMap<Priority, u64>,
    category: HashMap<Option<i64>, u64>,
    organisation: HashMap<Option<i64>, u64>,
    team: HashMap<Option<i64>, u64>,
    technician: HashMap<Option<i64>, u64>,
    hours: [[u64; 24]; 7],
    days: BTreeMap<Date, (u64, u64)>,
    deflected: u64,
}

/// Counts, most first (ties by key).
fn sorted<K, T: Ord>(m: HashMap<K, u64>, key: impl Fn(K) -> Option<T>) -> Vec<Count<T>> {
    let mut v: Vec<Count<T>> = m
        .into_iter()
        .map(|(k, count)| Count { key: key(k), count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v
}

impl Tally {
    pub fn new(period: Period, now: Timestamp) -> Tally {
        Tally {
            period,
            now,
            created: 0,
            resolved: 0,
            frt: Default::default(),
            res: Default::default(),
            fcr: Rate::default(),
            reopened: Rate::default(),
            ratings: [0; 5],
            sla: SlaCompliance::default(),
            backlog: Backlog {
                by_age: vec![0; AGE_BUCKETS.len()],
                ..Backlog::default()
            },
            channel: HashMap::new(),
            ticket_type: HashMap::new(),
            priority: HashMap::new(),
            category: HashMap::new(),
            organisation: HashMap::new(),
            team: HashMap::new(),
            technician: HashMap::new(),
            hours: [[0; 24]; 7],
            days: BTreeMap::new(),
            deflected: 0,
        }
    }

    pub fn period(&self) -> &Period {
        &self.period
    }

    fn day(&mut self, at: Timestamp) -> &mut (u64, u64) {
        let date = at.to_zoned(self.period.zone.clone()).date();
        self.days.entry(date).or_default()
    }

    /// Counts one ticket (any ticket may be given: what is outside the period is left out).
    pub fn add(&mut self, f: &Facts) {
        let m = &f.measures;
        if self.period.contains(f.created_at) {
            self.created += 1;
            *self.channel.entry(f.channel).or_default() += 1;
            *self.ticket_type.entry(f.ticket_type).or_default() += 1;
            *self.priority.entry(f.priority).or_default() += 1;
            *self.category.entry(f.category).or_default() += 1;
            *self.organisation.entry(f.organisation).or_default() += 1;
            *self.team.entry(f.team).or_default() += 1;
            *self.technician.entry(f.assignee).or_default() += 1;
            let local = f.created_at.to_zoned(self.period.zone.clone());
            let weekday = local.weekday().to_monday_zero_offset() as usize;
            self.hours[weekday][local.hour() as usize] += 1;
            self.day(f.created_at).0 += 1;
        }
        if let (Some(at), Some(span)) = (f.first_responded_at, m.first_response) {
            if self.period.contains(at) {
                self.frt.0.push(span.calendar.as_millis() as i64);
                self.frt.1.push(span.business.as_millis() as i64);
                if let Some(met) = m.first_response_met {
                    self.sla.first_response.count(met);
                }
            }
        }
        if let Some(at) = f
            .resolved_at
            .filter(|at| done(f.status) && self.period.contains(*at))
        {
            self.resolved += 1;
            self.day(at).1 += 1;
            if let Some(span) = m.resolution {
                self.res.0.push(span.calendar.as_millis() as i64);
                self.res.1.push(span.business.as_millis() as i64);
            }
            self.fcr.count(f.reopen_count == 0 && m.staff_replies <= 1);
            self.reopened.count(f.reopen_count > 0);
            if let Some(met) = m.resolution_met {
                self.sla.resolution.count(met);
            }
            if let Some(met) = m.next_response_met {
                self.sla.next_response.count(met);
            }
        }
        if !done(f.status) {
            self.backlog.open += 1;
            if f.sla_due_at.is_some_and(|d| d <= self.now) {
                self.backlog.overdue += 1;
            }
            let age = self.now.duration_since(f.created_at).as_hours();
            let bucket = AGE_BUCKETS
                .iter()
                .position(|(_, under)| age < *under)
                .unwrap_or(AGE_BUCKETS.len() - 1);
            self.backlog.by_age[bucket] += 1;
        }
    }

    /// Counts a rating given at `at` (outside the period: left out).
    pub fn add_rating(&mut self, rating: u8, at: Timestamp) {
        if self.period.contains(at) && (1..=5).contains(&rating) {
            self.ratings[usize::from(rating) - 1] += 1;
        }
    }

    /// Requests deflected in the period.
    pub fn set_deflected(&mut self, n: u64) {
        self.deflected = n;
    }

    pub fn finish(self) -> Kpis {
        let total: u64 = self.ratings.iter().sum();
        let sum: u64 = self
            .ratings
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u64 + 1) * n)
            .sum();
        let satisfied: u64 = self.ratings[usize::from(SATISFIED_FROM) - 1..].iter().sum();
        let name = |s: &'static str| Some(s.to_string());
        // Every day of the period, also the quiet ones (at most ten years of them).
        let mut days = Vec::new();
        let zone = self.period.zone.clone();
        let first = self.period.from.to_zoned(zone.clone()).date();
        let last_instant = self.period.to.checked_sub(SignedDuration::from_nanos(1));
        if let Ok(last) = last_instant.map(|t| t.to_zoned(zone).date()) {
            let mut d = first;
            while d <= last && days.len() < 3700 {
                let (created, resolved) = self.days.get(&d).copied().unwrap_or_default();
                days.push(Day {
                    date: d,
                    created,
                    resolved,
                });
                match d.tomorrow() {
                    Ok(next) => d = next,
                    Err(_) => break,
                }
            }
        }
        Kpis {
            created: self.created,
            resolved: self.resolved,
            first_response: Times {
                calendar: spread(self.frt.0),
                business: spread(self.frt.1),
            },
            resolution: Times {
                calendar: spread(self.res.0),
                business: spread(self.res.1),
            },
            first_contact_resolution: self.fcr,
            reopened: self.reopened,
            csat: Csat {
                satisfied: Rate {
                    part: satisfied,
                    of: total,
                },
                average: (total > 0).then(|| sum as f64 / total as f64),
                distribution: self.ratings,
            },
            sla: self.sla,
            backlog: self.backlog,
            by_channel: sorted(self.channel, |c| name(c.as_str())),
            by_type: sorted(self.ticket_type, |c| name(c.as_str())),
            by_priority: sorted(self.priority, |c| name(c.as_str())),
            by_category: sorted(self.category, |k| k),
            by_organisation: sorted(self.organisation, |k| k),
            by_team: sorted(self.team, |k| k),
            by_technician: sorted(self.technician, |k| k),
            busiest_hours: self.hours.to_vec(),
            days,
            deflected: self.deflected,
        }
    }
}

#[cfg(test)]
mod tests;
