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
    sorted.get(rank_index(sorted.len(), p)).copied()
}

/// The index in sorted order of the nearest-rank percentile `p` of `n` values (`n` > 0).
fn rank_index(n: usize, p: u32) -> usize {
    let rank = (u64::from(p.clamp(1, 100)) * n as u64).div_ceil(100).max(1);
    rank as usize - 1
}

/// Durations in milliseconds, kept to find their median and 90th percentile ([`Durations::spread`]).
///
/// A year's report at a million tickets keeps four sets of about a million; most durations are
/// under 49 days, so they are kept in 32 bits (half the memory), the others (longer, or negative
/// from a clock set back) apart. The order between the three kinds is known (negative, then
/// 32-bit, then longer), so a rank in the whole is a rank in one of them: the figures stay exact.
#[derive(Debug, Default)]
pub struct Durations {
    short: Vec<u32>,
    other: Vec<i64>,
}

impl Durations {
    pub fn push(&mut self, ms: i64) {
        match u32::try_from(ms) {
            Ok(v) => self.short.push(v),
            Err(_) => self.other.push(ms),
        }
    }

    pub fn len(&self) -> usize {
        self.short.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn append(&mut self, other: Durations) {
        self.short.extend(other.short);
        self.other.extend(other.other);
    }

    /// The value of rank `k` (0-based) in sorted order, `k` < [`Durations::len`].
    fn nth(&mut self, k: usize) -> i64 {
        let negative = self.other.iter().filter(|v| **v < 0).count();
        if k < negative || k >= negative + self.short.len() {
            // The negative ones sort first, the long ones last: put them in that order.
            self.other.sort_unstable();
            let i = if k < negative {
                k
            } else {
                k - self.short.len()
            };
            return self.other[i];
        }
        i64::from(*self.short.select_nth_unstable(k - negative).1)
    }

    /// Median and 90th percentile (nearest rank), each found in linear time without sorting
    /// (`select_nth_unstable`).
    pub fn spread(mut self) -> Spread {
        let n = self.len();
        if n == 0 {
            return Spread::default();
        }
        let p90 = self.nth(rank_index(n, 90));
        let median = self.nth(rank_index(n, 50));
        Spread {
            count: n as u64,
            median_ms: Some(median),
            p90_ms: Some(p90),
        }
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

    fn add(&mut self, other: Rate) {
        self.part += other.part;
        self.of += other.of;
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
    frt: (Durations, Durations),
    res: (Durations, Durations),
    fcr: Rate,
    reopened: Rate,
    ratings: [u64; 5],
    sla: SlaCompliance,
    backlog: Backlog,
    channel: Counts<Channel>,
    ticket_type: Counts<TicketType>,
    priority: Counts<Priority>,
    category: Counts<Option<i64>>,
    organisation: Counts<Option<i64>>,
    team: Counts<Option<i64>>,
    technician: Counts<Option<i64>>,
    hours: [[u64; 24]; 7],
    days: BTreeMap<Date, (u64, u64)>,
    deflected: u64,
    local: LocalDays,
}

/// Counts by key. A report adds up to a million tickets into seven of these, so the hash is a
/// quick one (the keys are small integers, not chosen by anyone).
type Counts<K> = HashMap<K, u64, rustc_hash::FxBuildHasher>;

/// The local days (in the period's zone) of a period, worked out once: a report converts up to two
/// instants of each of a million tickets to local time, which done one by one would cost more
/// than all the rest of the adding up.
#[derive(Debug, Default)]
struct LocalDays {
    /// Each day's first instant, date and weekday (Monday 0), and whether its hours are the
    /// local hours (24 hours long: no daylight saving change), in order.
    days: Vec<(Timestamp, Date, u8, bool)>,
    /// The instant the last day ends.
    end: Option<Timestamp>,
}

impl LocalDays {
    /// The days of `period` (at most ten years of them; instants after fall back to converting).
    fn of_period(period: &Period) -> LocalDays {
        let zone = &period.zone;
        let mut days = Vec::new();
        let mut end = None;
        let Ok(mut day) = period.from.to_zoned(zone.clone()).start_of_day() else {
            return LocalDays::default();
        };
        while day.timestamp() < period.to && days.len() < 3700 {
            let Ok(next) = day.date().tomorrow().and_then(|d| d.to_zoned(zone.clone())) else {
                break;
            };
            let whole =
                next.timestamp().duration_since(day.timestamp()) == SignedDuration::from_hours(24);
            days.push((
                day.timestamp(),
                day.date(),
                day.weekday().to_monday_zero_offset() as u8,
                whole,
            ));
            end = Some(next.timestamp());
            day = next;
        }
        LocalDays { days, end }
    }

    /// The date, weekday (Monday 0) and hour of `at` in `zone` (the period's).
    fn of(&self, at: Timestamp, zone: &TimeZone) -> (Date, usize, usize) {
        let i = self.days.partition_point(|d| d.0 <= at);
        if i > 0 && self.end.is_some_and(|end| at < end) {
            let (start, date, weekday, whole) = self.days[i - 1];
            if whole {
                let hour = at.duration_since(start).as_secs() / 3600;
                return (date, usize::from(weekday), hour as usize);
            }
        }
        let local = at.to_zoned(zone.clone());
        (
            local.date(),
            local.weekday().to_monday_zero_offset() as usize,
            local.hour() as usize,
        )
    }
}

/// Counts, most first (ties by key).
fn sorted<K, T: Ord>(m: Counts<K>, key: impl Fn(K) -> Option<T>) -> Vec<Count<T>> {
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
            local: LocalDays::of_period(&period),
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
            channel: Counts::default(),
            ticket_type: Counts::default(),
            priority: Counts::default(),
            category: Counts::default(),
            organisation: Counts::default(),
            team: Counts::default(),
            technician: Counts::default(),
            hours: [[0; 24]; 7],
            days: BTreeMap::new(),
            deflected: 0,
        }
    }

    pub fn period(&self) -> &Period {
        &self.period
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
            let (date, weekday, hour) = self.local.of(f.created_at, &self.period.zone);
            self.hours[weekday][hour.min(23)] += 1;
            self.days.entry(date).or_default().0 += 1;
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
            let (date, _, _) = self.local.of(at, &self.period.zone);
            self.days.entry(date).or_default().1 += 1;
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

    /// Adds what another tally of the same period counted (of other tickets: a report may count
    /// its tickets in parts, in parallel).
    pub fn merge(&mut self, other: Tally) {
        fn counts<K: std::hash::Hash + Eq>(into: &mut Counts<K>, from: Counts<K>) {
            for (k, n) in from {
                *into.entry(k).or_default() += n;
            }
        }
        self.created += other.created;
        self.resolved += other.resolved;
        self.frt.0.append(other.frt.0);
        self.frt.1.append(other.frt.1);
        self.res.0.append(other.res.0);
        self.res.1.append(other.res.1);
        self.fcr.add(other.fcr);
        self.reopened.add(other.reopened);
        for (a, b) in self.ratings.iter_mut().zip(other.ratings) {
            *a += b;
        }
        self.sla.first_response.add(other.sla.first_response);
        self.sla.next_response.add(other.sla.next_response);
        self.sla.resolution.add(other.sla.resolution);
        self.backlog.open += other.backlog.open;
        self.backlog.overdue += other.backlog.overdue;
        for (a, b) in self.backlog.by_age.iter_mut().zip(other.backlog.by_age) {
            *a += b;
        }
        counts(&mut self.channel, other.channel);
        counts(&mut self.ticket_type, other.ticket_type);
        counts(&mut self.priority, other.priority);
        counts(&mut self.category, other.category);
        counts(&mut self.organisation, other.organisation);
        counts(&mut self.team, other.team);
        counts(&mut self.technician, other.technician);
        for (a, b) in self.hours.iter_mut().zip(other.hours) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (day, (c, r)) in other.days {
            let e = self.days.entry(day).or_default();
            e.0 += c;
            e.1 += r;
        }
        self.deflected += other.deflected;
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
                calendar: self.frt.0.spread(),
                business: self.frt.1.spread(),
            },
            resolution: Times {
                calendar: self.res.0.spread(),
                business: self.res.1.spread(),
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
