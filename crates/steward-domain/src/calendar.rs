//! Business calendars: working hours per weekday in an IANA time zone, and holidays. The arithmetic
//! SLA clocks need: when does a given amount of business time, counted from an instant, run out;
//! and how much business time lies between two instants. Pure: instants in, instants out.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::DomainError;

mod def;
pub use def::{holidays_from_ical, CalendarDef, HolidayDef, Hours};

/// A stretch of working time on a weekday, in local time. An `end` at or before `start` runs past
/// midnight into the next day (22:00–06:00); 00:00–00:00 is the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: Time,
    pub end: Time,
}

/// A day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holiday {
    Date(Date),
    /// From the first to the last day, both included.
    Range(Date, Date),
    /// The same day every year (month, day).
    Yearly(i8, i8),
}

impl Holiday {
    fn covers(&self, d: Date) -> bool {
        match *self {
            Holiday::Date(h) => h == d,
            Holiday::Range(a, b) => a <= d && d <= b,
            Holiday::Yearly(m, day) => d.month() == m && d.day() == day,
        }
    }
}

/// A business calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub tz: TimeZone,
    /// Working intervals per weekday, Monday first.
    pub week: [Vec<Interval>; 7],
    /// A working interval belongs to the day it starts on; on a holiday it does not happen.
    pub holidays: Vec<Holiday>,
    /// The working windows of a range of days, worked out ahead ([`Calendar::with_table`]).
    table: Option<std::sync::Arc<Table>>,
}

impl PartialEq for Calendar {
    /// The same working time (whether a table was worked out ahead does not matter).
    fn eq(&self, other: &Calendar) -> bool {
        self.tz == other.tz && self.week == other.week && self.holidays == other.holidays
    }
}

/// A calendar's merged working windows over a range of days, each with the business time of the
/// windows before it, so that arithmetic inside the range is a binary search instead of a walk
/// day by day (converting each day's hours to instants in the time zone). Recomputing the clocks
/// of 100,000 tickets open for up to a year walks a year of days several times per ticket without
/// one.
#[derive(Debug)]
struct Table {
    /// The instants the table answers for, `[from, to]`: from the start of its second day (a
    /// window of the day before its first may reach into its first) to the start of its last (a
    /// window of the day after may join its last).
    from: Timestamp,
    to: Timestamp,
    /// Merged, in order.
    windows: Vec<(Timestamp, Timestamp)>,
    /// The business time of the windows before each.
    before: Vec<SignedDuration>,
}

impl Table {
    fn new(cal: &Calendar, from: Timestamp, to: Timestamp) -> Option<Table> {
        let first = from.to_zoned(cal.tz.clone()).date();
        let last = to.to_zoned(cal.tz.clone()).date();
        let start_of = |d: Date| d.to_zoned(cal.tz.clone()).ok().map(|z| z.timestamp());
        let (covered_from, covered_to) = (start_of(first.tomorrow().ok()?)?, start_of(last)?);
        if covered_from >= covered_to {
            return None;
        }
        let mut windows: Vec<(Timestamp, Timestamp)> = Vec::new();
        let mut d = first;
        while d <= last {
            let mut day = cal.windows_of(d);
            day.sort();
            for w in day {
                match windows.last_mut() {
                    Some(l) if w.0 <= l.1 => l.1 = l.1.max(w.1),
                    _ => windows.push(w),
                }
            }
            d = d.tomorrow().ok()?;
        }
        let mut before = Vec::with_capacity(windows.len());
        let mut total = SignedDuration::ZERO;
        for (a, b) in &windows {
            before.push(total);
            total += a.duration_until(*b);
        }
        Some(Table {
            from: covered_from,
            to: covered_to,
            windows,
            before,
        })
    }

    fn covers(&self, t: Timestamp) -> bool {
        self.from <= t && t <= self.to
    }

    /// The business time from the table's first window to `t`.
    fn until(&self, t: Timestamp) -> SignedDuration {
        let i = self.windows.partition_point(|w| w.0 <= t);
        if i == 0 {
            return SignedDuration::ZERO;
        }
        let (a, b) = self.windows[i - 1];
        self.before[i - 1] + a.duration_until(t.min(b))
    }

    /// Whether `t` is in a window (`t` covered).
    fn is_open(&self, t: Timestamp) -> bool {
        let i = self.windows.partition_point(|w| w.0 <= t);
        i > 0 && t < self.windows[i - 1].1
    }

    /// Where `amount` (positive) of business time from `start` (covered) runs out, if inside the
    /// table.
    fn add(&self, start: Timestamp, amount: SignedDuration) -> Option<Timestamp> {
        let target = self.until(start) + amount;
        // The window with less than `target` before it, and the next with at least.
        let i = self
            .before
            .partition_point(|b| *b < target)
            .checked_sub(1)?;
        let (a, b) = self.windows[i];
        let end = a.checked_add(target - self.before[i]).ok()?;
        (end <= b && end <= self.to).then_some(end)
    }
}

/// How far ahead (in days) the arithmetic looks for working time before giving up (a calendar
/// with no working time at all).
const HORIZON_DAYS: i32 = 3 * 366;

impl Calendar {
    /// Always open: 24 hours a day, 7 days a week, in UTC.
    pub fn always() -> Calendar {
        let all_day = vec![Interval {
            start: Time::midnight(),
            end: Time::midnight(),
        }];
        Calendar {
            tz: TimeZone::UTC,
            week: std::array::from_fn(|_| all_day.clone()),
            holidays: Vec::new(),
            table: None,
        }
    }

    /// Monday to Friday, `from` to `to`, in the zone named (e.g. "Europe/Berlin").
    pub fn office_hours(zone: &str, from: Time, to: Time) -> Result<Calendar, DomainError> {
        let tz = TimeZone::get(zone).map_err(|_| {
            DomainError::invalid("time_zone", format!("unknown time zone {zone:?}"))
        })?;
        let day = vec![Interval {
            start: from,
            end: to,
        }];
        Ok(Calendar {
            tz,
            week: std::array::from_fn(|i| if i < 5 { day.clone() } else { Vec::new() }),
            holidays: Vec::new(),
            table: None,
        })
    }

    /// A calendar of these working hours and holidays.
    pub fn new(tz: TimeZone, week: [Vec<Interval>; 7], holidays: Vec<Holiday>) -> Calendar {
        Calendar {
            tz,
            week,
            holidays,
            table: None,
        }
    }

    /// The same calendar with its working windows from `from` to `to` worked out ahead: within
    /// them its arithmetic is a binary search (the answers are the same). For computing many
    /// tickets' clocks at once.
    pub fn with_table(mut self, from: Timestamp, to: Timestamp) -> Calendar {
        self.table = Table::new(&self, from, to).map(std::sync::Arc::new);
        self
    }

    fn is_holiday(&self, d: Date) -> bool {
        self.holidays.iter().any(|h| h.covers(d))
    }

    fn instant(&self, dt: DateTime) -> Option<Timestamp> {
        // In a daylight-saving gap the later instant is taken; in an overlap the earlier.
        self.tz.to_ambiguous_timestamp(dt).compatible().ok()
    }

    /// The working windows (as instants) of intervals that start on local date `d`.
    fn windows_of(&self, d: Date) -> Vec<(Timestamp, Timestamp)> {
        if self.is_holiday(d) {
            return Vec::new();
        }
        let wd = d.weekday().to_monday_zero_offset() as usize;
        let mut out = Vec::new();
        for iv in &self.week[wd] {
            let start = d.to_datetime(iv.start);
            let end_day = if iv.end <= iv.start {
                d.tomorrow().ok()
            } else {
                Some(d)
            };
            let Some(end_day) = end_day else { continue };
            let end = end_day.to_datetime(iv.end);
            if let (Some(a), Some(b)) = (self.instant(start), self.instant(end)) {
                if a < b {
                    out.push((a, b));
                }
            }
        }
        out
    }

    /// Working windows from the local day before `from` on, in order, touching ones merged.
    fn windows_from(&self, from: Timestamp) -> Windows<'_> {
        Windows {
            cal: self,
            day: from.to_zoned(self.tz.clone()).date().yesterday().ok(),
            days: 0,
            queue: std::collections::VecDeque::new(),
            current: None,
        }
    }

    /// Whether `t` is inside working time.
    pub fn is_open(&self, t: Timestamp) -> bool {
        if let Some(table) = self.table.as_ref().filter(|x| x.covers(t)) {
            return table.is_open(t);
        }
        for (a, b) in self.windows_from(t) {
            if a > t {
                return false;
            }
            if t < b {
                return true;
            }
        }
        false
    }

    /// The instant at which `amount` of business time, counted from `start`, has passed; `None` if
    /// the calendar has no working time within three years.
    pub fn add(&self, start: Timestamp, amount: SignedDuration) -> Option<Timestamp> {
        let mut left = amount.max(SignedDuration::ZERO);
        if left.is_zero() {
            return Some(start);
        }
        if let Some(end) = self
            .table
            .as_ref()
            .filter(|x| x.covers(start))
            .and_then(|x| x.add(start, left))
        {
            return Some(end);
        }
        for (a, b) in self.windows_from(start) {
            if b <= start {
                continue;
            }
            let from = a.max(start);
            let here = from.duration_until(b);
            if left <= here {
                return from.checked_add(left).ok();
            }
            left -= here;
        }
        None
    }

    /// The business time in `[from, to)` (zero when `to` is not after `from`).
    pub fn between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        let mut total = SignedDuration::ZERO;
        if to <= from {
            return total;
        }
        if let Some(table) = self
            .table
            .as_ref()
            .filter(|x| x.covers(from) && x.covers(to))
        {
            return table.until(to) - table.until(from);
        }
        for (a, b) in self.windows_from(from) {
            if a >= to {
                break;
            }
            let lo = a.max(from);
            let hi = b.min(to);
            if lo < hi {
                total += lo.duration_until(hi);
            }
        }
        total
    }
}

/// The merged working windows of a calendar, day after day.
struct Windows<'a> {
    cal: &'a Calendar,
    day: Option<Date>,
    days: i32,
    queue: std::collections::VecDeque<(Timestamp, Timestamp)>,
    current: Option<(Timestamp, Timestamp)>,
}

impl Iterator for Windows<'_> {
    type Item = (Timestamp, Timestamp);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            // Windows come in order of their start (each day's start after the day before's), so
            // one that starts after the current one ends closes it.
            while let Some(w) = self.queue.pop_front() {
                match self.current {
                    None => self.current = Some(w),
                    Some((a, b)) if w.0 <= b => self.current = Some((a, b.max(w.1))),
                    Some(done) => {
                        self.current = Some(w);
                        return Some(done);
                    }
                }
            }
            let Some(d) = self.day else {
                return self.current.take();
            };
            self.days += 1;
            self.day = if self.days > HORIZON_DAYS {
                None
            } else {
                d.tomorrow().ok()
            };
            let mut w = self.cal.windows_of(d);
            w.sort();
            self.queue.extend(w);
        }
    }
}

#[cfg(test)]
mod tests;
