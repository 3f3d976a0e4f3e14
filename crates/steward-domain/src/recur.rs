//! Recurring tickets: "the first Monday of each month at 09:00 Europe/Vienna: check the backups".
//! The schedule is written as an iCalendar recurrence rule (RFC 5545 §3.3.10, the value of an
//! `RRULE` property) with a first local date-time (`DTSTART`) and an IANA time zone. Occurrences
//! are worked out on local dates and times in that zone and only then turned into instants, so
//! "09:00" stays 09:00 across daylight-saving changes. Pure: instants in, instants out.
//!
//! What an administrator can write:
//! - `FREQ=DAILY|WEEKLY|MONTHLY|YEARLY` (required), `INTERVAL=n` (every n-th day, week, month or
//!   year, 1 to 1000), and at most one of `COUNT=n` (the first n occurrences, 1 to 100000) and
//!   `UNTIL=20261231` (up to the end of that local day) or `UNTIL=20261231T235959Z` (up to that
//!   UTC instant), both inclusive.
//! - `BYDAY=MO,TU` (weekdays; with `FREQ=MONTHLY` or `YEARLY` also the n-th one: `1MO`, `-1FR`),
//!   `BYMONTHDAY=1,15,-1` (-1 is the last day; a month without a 31st simply has no occurrence on
//!   the 31st), `BYMONTH=1..12`, `BYHOUR=0..23`, `BYMINUTE=0..59`, `BYSETPOS=-1` (pick the n-th of
//!   what a period's other parts give: `BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1` is the last weekday of
//!   the month) and `WKST` (the day weeks start on, for `FREQ=WEEKLY`; Monday by default).
//! - Parts combine as RFC 5545's table says: within a month `BYMONTHDAY` and `BYDAY` must both
//!   match; `FREQ=YEARLY;BYMONTH=11;BYDAY=4TH` is the 4th Thursday of November, and without
//!   `BYMONTH` an ordinal counts within the year; with `FREQ=DAILY`, `BYDAY` only filters.
//!
//! `DTSTART` is an occurrence only when it matches the rule, and `COUNT` counts the occurrences at
//! or after `DTSTART`. A local time that a spring-forward change skips moves forward by the gap
//! (02:30 becomes 03:30); one that a fall-back change repeats happens at the first of the two;
//! two local times that land on the same instant count once.
//!
//! Bounds: a rule with no occurrence in a whole 400-year Gregorian cycle is rejected by `parse`
//! (and a search that finds none in that many periods stops); one search looks at no more than a
//! million periods (about 2,700 years of days), which only a COUNT rule reaching that far could
//! notice; `upcoming` lists at most 1000 occurrences.

use std::collections::VecDeque;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::DomainError;

/// The longest rule text accepted.
const MAX_RULE_CHARS: usize = 500;
const MAX_INTERVAL: i64 = 1000;
const MAX_COUNT: u64 = 100_000;
/// `upcoming` lists at most this many occurrences.
const MAX_UPCOMING: usize = 1000;
/// One search looks at no more than this many periods (days, weeks, months or years).
const MAX_PERIODS: u64 = 1_000_000;

const DAYS: [(&str, Weekday); 7] = [
    ("MO", Weekday::Monday),
    ("TU", Weekday::Tuesday),
    ("WE", Weekday::Wednesday),
    ("TH", Weekday::Thursday),
    ("FR", Weekday::Friday),
    ("SA", Weekday::Saturday),
    ("SU", Weekday::Sunday),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Freq {
    /// Periods in one 400-year Gregorian cycle, after which the calendar repeats: a rule that
    /// has no occurrence in that many consecutive periods never has one again.
    fn cycle(self) -> u64 {
        match self {
            Freq::Daily => 146_097,
            Freq::Weekly => 20_871,
            Freq::Monthly => 4_800,
            Freq::Yearly => 400,
        }
    }
}

/// One `BYDAY` entry: a weekday, optionally the n-th (negative: from the end) in the month or year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DaySpec {
    ord: Option<i8>,
    weekday: Weekday,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Until {
    /// To the end of this local date.
    Date(Date),
    /// To this local date-time (a date-time written without `Z`).
    Local(DateTime),
    /// To this instant (a UTC date-time, written with `Z`).
    Instant(Timestamp),
}

/// Whether a `BYDAY` ordinal counts within the month or within the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Month,
    Year,
}

/// A recurrence: a parsed RRULE, its first local date-time and its time zone. Make one with
/// [`Recurrence::parse`]; it is checked, so every `Recurrence` has at least one occurrence.
#[derive(Debug, Clone, PartialEq)]
pub struct Recurrence {
    freq: Freq,
    interval: i64,
    count: Option<u64>,
    until: Option<Until>,
    by_day: Vec<DaySpec>,
    by_month_day: Vec<i8>,
    /// Sorted, without repeats.
    by_month: Vec<i8>,
    by_set_pos: Vec<i16>,
    /// The times of day of every occurrence, sorted.
    times: Vec<Time>,
    start: DateTime,
    tz: TimeZone,
    zone: String,
    /// The number of the first period: the day (DAILY) or the first day of the week (WEEKLY) as
    /// days since 1970-01-01, year × 12 + month − 1 (MONTHLY), or the year (YEARLY).
    base: i64,
}

fn bad(message: impl Into<String>) -> DomainError {
    DomainError::invalid("recurrence", message)
}

/// The parts of a rule as written, before they are checked together.
#[derive(Default)]
struct Parts {
    freq: Option<Freq>,
    interval: Option<i64>,
    count: Option<u64>,
    until: Option<Until>,
    by_day: Vec<DaySpec>,
    by_month_day: Vec<i8>,
    by_month: Vec<i8>,
    by_hour: Vec<i8>,
    by_minute: Vec<i8>,
    by_set_pos: Vec<i16>,
    wkst: Option<Weekday>,
}

fn weekday(code: &str) -> Option<Weekday> {
    DAYS.iter().find(|(c, _)| *c == code).map(|(_, w)| *w)
}

fn weekday_code(w: Weekday) -> &'static str {
    DAYS.iter().find(|(_, d)| *d == w).map_or("MO", |(c, _)| c)
}

/// A whole number (optionally signed) in `range`.
fn number<T: TryFrom<i64>>(s: &str, range: std::ops::RangeInclusive<i64>) -> Option<T> {
    let n: i64 = s.parse().ok()?;
    if range.contains(&n) {
        T::try_from(n).ok()
    } else {
        None
    }
}

/// A comma-separated list, each item read by `item`; `what` says what an item should be.
fn list<T>(
    name: &str,
    value: &str,
    what: &str,
    item: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, DomainError> {
    value
        .split(',')
        .map(|s| {
            let s = s.trim();
            if s.is_empty() {
                return Err(bad(format!("{name}={value}: an empty item in the list")));
            }
            item(s).ok_or_else(|| bad(format!("{name}={value}: {s:?} is not {what}")))
        })
        .collect()
}

/// A weekday, optionally with a signed ordinal (`MO`, `1MO`, `-1FR`, `+2TU`).
fn day_spec(s: &str) -> Option<DaySpec> {
    let split = s.len().checked_sub(2)?;
    let weekday = weekday(s.get(split..)?)?;
    let ord = match s.get(..split)? {
        "" => None,
        n => Some(number::<i8>(n, -53..=53).filter(|n| *n != 0)?),
    };
    Some(DaySpec { ord, weekday })
}

/// `UNTIL`: a date, a UTC date-time (with `Z`) or a local date-time (without).
fn until(value: &str) -> Result<Until, DomainError> {
    let wrong = || {
        bad(format!(
            "UNTIL={value}: not a date like 20261231 or a UTC date-time like 20261231T235959Z"
        ))
    };
    let digits = |a: usize, b: usize| -> Option<i64> {
        let s = value.get(a..b)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let date = (|| {
        let y = i16::try_from(digits(0, 4)?).ok()?;
        let m = i8::try_from(digits(4, 6)?).ok()?;
        let d = i8::try_from(digits(6, 8)?).ok()?;
        Date::new(y, m, d).ok()
    })()
    .ok_or_else(wrong)?;
    if value.len() == 8 {
        return Ok(Until::Date(date));
    }
    let utc = value.len() == 16 && value.ends_with('Z');
    if !(value.len() == 15 || utc) || value.get(8..9) != Some("T") {
        return Err(wrong());
    }
    let time = (|| {
        let h = i8::try_from(digits(9, 11)?).ok()?;
        let m = i8::try_from(digits(11, 13)?).ok()?;
        let s = i8::try_from(digits(13, 15)?).ok()?;
        Time::new(h, m, s, 0).ok()
    })()
    .ok_or_else(wrong)?;
    let dt = date.to_datetime(time);
    if utc {
        let t = TimeZone::UTC
            .to_ambiguous_timestamp(dt)
            .compatible()
            .map_err(|_| wrong())?;
        Ok(Until::Instant(t))
    } else {
        Ok(Until::Local(dt))
    }
}

/// Reads the `NAME=VALUE;...` text into its parts, each checked on its own.
fn parts(text: &str) -> Result<Parts, DomainError> {
    let mut p = Parts::default();
    let mut seen: Vec<String> = Vec::new();
    for part in text.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((name, value)) = part.split_once('=') else {
            return Err(bad(format!(
                "{part:?} is not NAME=VALUE; parts are separated by ';', e.g. FREQ=WEEKLY;BYDAY=MO"
            )));
        };
        let name = name.trim().to_ascii_uppercase();
        let value = value.trim().to_ascii_uppercase();
        if name.is_empty() {
            return Err(bad(format!("{part:?} has no name before '='")));
        }
        if seen.contains(&name) {
            return Err(bad(format!("{name} is given twice")));
        }
        seen.push(name.clone());
        if value.is_empty() && name != "FREQ" {
            return Err(bad(format!("{name} has no value")));
        }
        let v = value.as_str();
        match name.as_str() {
            "FREQ" => {
                p.freq = Some(match v {
                    "DAILY" => Freq::Daily,
                    "WEEKLY" => Freq::Weekly,
                    "MONTHLY" => Freq::Monthly,
                    "YEARLY" => Freq::Yearly,
                    "SECONDLY" | "MINUTELY" | "HOURLY" => {
                        return Err(bad(format!(
                            "FREQ={v} is not supported; use DAILY, WEEKLY, MONTHLY or YEARLY"
                        )))
                    }
                    _ => {
                        return Err(bad(format!(
                            "FREQ={v} is not a frequency; use DAILY, WEEKLY, MONTHLY or YEARLY"
                        )))
                    }
                });
            }
            "INTERVAL" => {
                p.interval = Some(number(v, 1..=MAX_INTERVAL).ok_or_else(|| {
                    bad(format!(
                        "INTERVAL={v}: must be a whole number from 1 to {MAX_INTERVAL}"
                    ))
                })?);
            }
            "COUNT" => {
                p.count = Some(number(v, 1..=MAX_COUNT as i64).ok_or_else(|| {
                    bad(format!(
                        "COUNT={v}: must be a whole number from 1 to {MAX_COUNT}"
                    ))
                })?);
            }
            "UNTIL" => p.until = Some(until(v)?),
            "BYDAY" => {
                p.by_day = list(
                    "BYDAY",
                    v,
                    "a day; use MO, TU, WE, TH, FR, SA or SU, optionally with a position such as 1MO or -1FR",
                    day_spec,
                )?;
            }
            "BYMONTHDAY" => {
                p.by_month_day = list(
                    "BYMONTHDAY",
                    v,
                    "a day of the month from 1 to 31 or -31 to -1",
                    |s| number::<i8>(s, -31..=31).filter(|n| *n != 0),
                )?;
            }
            "BYMONTH" => {
                p.by_month = list("BYMONTH", v, "a month from 1 to 12", |s| number(s, 1..=12))?;
            }
            "BYHOUR" => {
                p.by_hour = list("BYHOUR", v, "an hour from 0 to 23", |s| number(s, 0..=23))?;
            }
            "BYMINUTE" => {
                p.by_minute = list("BYMINUTE", v, "a minute from 0 to 59", |s| {
                    number(s, 0..=59)
                })?;
            }
            "BYSETPOS" => {
                p.by_set_pos = list(
                    "BYSETPOS",
                    v,
                    "a position from 1 to 366 or -366 to -1",
                    |s| number::<i16>(s, -366..=366).filter(|n| *n != 0),
                )?;
            }
            "WKST" => {
                p.wkst = Some(weekday(v).ok_or_else(|| {
                    bad(format!(
                        "WKST={v}: not a day; use MO, TU, WE, TH, FR, SA or SU"
                    ))
                })?);
            }
            "BYSECOND" | "BYWEEKNO" | "BYYEARDAY" => {
                return Err(bad(format!(
                    "{name} is not supported; use BYDAY, BYMONTHDAY, BYMONTH, BYHOUR or BYMINUTE"
                )))
            }
            _ => {
                return Err(bad(format!(
                    "{name} is not a recurrence rule part; use FREQ, INTERVAL, COUNT, UNTIL, \
                     BYDAY, BYMONTHDAY, BYMONTH, BYHOUR, BYMINUTE, BYSETPOS or WKST"
                )))
            }
        }
    }
    Ok(p)
}

fn sorted<T: Ord + Copy>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

impl Recurrence {
    /// `rrule` is the RRULE value, with or without the leading "RRULE:" (case-insensitive keys),
    /// e.g. "FREQ=MONTHLY;BYDAY=1MO". `start` is the first local date-time (DTSTART) in `zone`
    /// (an IANA name such as "Europe/Vienna"); its time of day is the time of every occurrence
    /// unless BYHOUR/BYMINUTE say otherwise.
    ///
    /// Rejected, each with a message naming the part: a rule longer than 500 characters, a part
    /// that is not supported (`FREQ=HOURLY`, `BYWEEKNO`, ...) or not understood, a value out of
    /// range, a part given twice, both `COUNT` and `UNTIL`, an `UNTIL` before `start`, an unknown
    /// time zone, and a rule that never has an occurrence (`BYMONTH=2;BYMONTHDAY=30`).
    pub fn parse(rrule: &str, start: DateTime, zone: &str) -> Result<Recurrence, DomainError> {
        if rrule.chars().count() > MAX_RULE_CHARS {
            return Err(bad(format!(
                "the rule is longer than {MAX_RULE_CHARS} characters"
            )));
        }
        let mut text = rrule.trim();
        if text
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("RRULE:"))
        {
            text = text.get(6..).unwrap_or_default();
        }
        if text.trim().trim_matches(';').trim().is_empty() {
            return Err(bad(
                "the rule is empty; it needs at least FREQ, e.g. FREQ=WEEKLY;BYDAY=MO",
            ));
        }
        let p = parts(text)?;
        let Some(freq) = p.freq else {
            return Err(bad("FREQ is missing, e.g. FREQ=MONTHLY;BYDAY=1MO"));
        };
        let zone = zone.trim();
        let tz = TimeZone::get(zone).map_err(|_| {
            bad(format!(
                "unknown time zone {zone:?}; use an IANA name such as Europe/Vienna"
            ))
        })?;
        if p.count.is_some() && p.until.is_some() {
            return Err(bad("COUNT and UNTIL cannot both be given"));
        }
        let month_scope = match freq {
            Freq::Daily | Freq::Weekly => None,
            Freq::Monthly => Some(Scope::Month),
            Freq::Yearly if p.by_month.is_empty() => Some(Scope::Year),
            Freq::Yearly => Some(Scope::Month),
        };
        for d in &p.by_day {
            let Some(ord) = d.ord else { continue };
            let written = format!("{ord}{}", weekday_code(d.weekday));
            match month_scope {
                None => {
                    return Err(bad(format!(
                        "BYDAY={written}: a position (1MO, -1FR) needs FREQ=MONTHLY or FREQ=YEARLY"
                    )))
                }
                Some(Scope::Month) if !(-5..=5).contains(&ord) => {
                    return Err(bad(format!(
                        "BYDAY={written}: a month has at most 5 of each weekday"
                    )))
                }
                _ => {}
            }
        }
        if freq == Freq::Weekly && !p.by_month_day.is_empty() {
            return Err(bad(
                "BYMONTHDAY cannot be used with FREQ=WEEKLY; use FREQ=MONTHLY",
            ));
        }
        let others = !(p.by_day.is_empty()
            && p.by_month_day.is_empty()
            && p.by_month.is_empty()
            && p.by_hour.is_empty()
            && p.by_minute.is_empty());
        if !p.by_set_pos.is_empty() && !others {
            return Err(bad(
                "BYSETPOS picks among what other BY parts give (e.g. BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1); none is given",
            ));
        }
        let until_before_start = match p.until {
            Some(Until::Date(d)) => d < start.date(),
            Some(Until::Local(u)) => u < start,
            Some(Until::Instant(u)) => tz
                .to_ambiguous_timestamp(start)
                .compatible()
                .is_ok_and(|s| u < s),
            None => false,
        };
        if until_before_start {
            return Err(bad(format!("UNTIL is before the start ({start})")));
        }

        let mut by_day: Vec<DaySpec> = Vec::new();
        for d in p.by_day {
            if !by_day.contains(&d) {
                by_day.push(d);
            }
        }
        let by_hour = sorted(&p.by_hour);
        let by_minute = sorted(&p.by_minute);
        let hours = if by_hour.is_empty() {
            vec![start.hour()]
        } else {
            by_hour
        };
        let minutes = if by_minute.is_empty() {
            vec![start.minute()]
        } else {
            by_minute
        };
        let times = hours
            .iter()
            .flat_map(|&h| {
                minutes.iter().filter_map(move |&m| {
                    Time::new(h, m, start.second(), start.subsec_nanosecond()).ok()
                })
            })
            .collect();
        let wkst = p.wkst.unwrap_or(Weekday::Monday);
        let day0 = day_number(start.date());
        let base = match freq {
            Freq::Daily => day0,
            Freq::Weekly => day0 - days_since_week_start(start.date(), wkst),
            Freq::Monthly => i64::from(start.year()) * 12 + i64::from(start.month()) - 1,
            Freq::Yearly => i64::from(start.year()),
        };
        let rule = Recurrence {
            freq,
            interval: p.interval.unwrap_or(1),
            count: p.count,
            until: p.until,
            by_day,
            by_month_day: p.by_month_day,
            by_month: sorted(&p.by_month),
            by_set_pos: p.by_set_pos,
            times,
            start,
            tz,
            zone: zone.to_string(),
            base,
        };
        if rule.walk(0, false).next().is_none() {
            return Err(bad(
                "the rule never has an occurrence (e.g. BYMONTHDAY=30 with BYMONTH=2)",
            ));
        }
        if rule.walk(0, true).next().is_none() {
            return Err(bad("UNTIL is before the first occurrence"));
        }
        Ok(rule)
    }

    /// The first occurrence strictly after `after` (an instant), or None when the rule has ended (COUNT or UNTIL).
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        self.walk_after(after).find(|t| *t > after)
    }

    /// Up to `n` occurrences strictly after `after` (for showing "next runs" in the UI), in order;
    /// fewer when the rule ends first. At most 1000.
    pub fn upcoming(&self, after: Timestamp, n: usize) -> Vec<Timestamp> {
        self.walk_after(after)
            .filter(|t| *t > after)
            .take(n.min(MAX_UPCOMING))
            .collect()
    }

    /// A short English description, e.g. "monthly on the 1st Monday at 09:00 (Europe/Vienna)" — best effort, used in the admin list.
    pub fn describe(&self) -> String {
        let mut s = match (self.freq, self.interval) {
            (Freq::Daily, 1) => "daily".to_string(),
            (Freq::Weekly, 1) => "weekly".to_string(),
            (Freq::Monthly, 1) => "monthly".to_string(),
            (Freq::Yearly, 1) => "yearly".to_string(),
            (Freq::Daily, n) => format!("every {n} days"),
            (Freq::Weekly, n) => format!("every {n} weeks"),
            (Freq::Monthly, n) => format!("every {n} months"),
            (Freq::Yearly, n) => format!("every {n} years"),
        };
        let days = self.describe_days();
        if !days.is_empty() {
            s.push(' ');
            s.push_str(&days);
        }
        s.push_str(" at ");
        s.push_str(&self.describe_times());
        s.push_str(&format!(" ({})", self.zone));
        match (self.count, self.until) {
            (Some(1), _) => s.push_str(", once"),
            (Some(n), _) => s.push_str(&format!(", {n} times")),
            (None, Some(Until::Date(d))) => s.push_str(&format!(", until {d}")),
            (None, Some(Until::Local(u))) => {
                s.push_str(&format!(", until {} {}", u.date(), hhmm(u.time())));
            }
            (None, Some(Until::Instant(u))) => {
                s.push_str(&format!(", until {} UTC", u.strftime("%Y-%m-%d %H:%M:%S")));
            }
            (None, None) => {}
        }
        s
    }

    /// The days part of [`Recurrence::describe`] ("on the 1st Monday in March").
    fn describe_days(&self) -> String {
        let months = || {
            names_joined(
                &self
                    .by_month
                    .iter()
                    .map(|&m| month_name(m).to_string())
                    .collect::<Vec<_>>(),
            )
        };
        let in_months = |s: &mut String| {
            if !self.by_month.is_empty() {
                s.push_str(" in ");
                s.push_str(&months());
            }
        };
        let weekdays = self.describe_weekdays();
        let monthdays = names_joined(
            &self
                .by_month_day
                .iter()
                .map(|&d| day_of_month_text(d))
                .collect::<Vec<_>>(),
        );
        let mut s = String::new();
        if !self.by_set_pos.is_empty() {
            let pos = names_joined(
                &self
                    .by_set_pos
                    .iter()
                    .map(|&n| position_text(i64::from(n)))
                    .collect::<Vec<_>>(),
            );
            let plain = self.by_day.iter().all(|d| d.ord.is_none());
            let period = match self.freq {
                Freq::Daily => "day",
                Freq::Weekly => "week",
                Freq::Monthly => "month",
                Freq::Yearly => "year",
            };
            let mut of = Vec::new();
            if !weekdays.is_empty() {
                of.push(weekdays.clone());
            }
            if !monthdays.is_empty() {
                of.push(format!("the {monthdays}"));
            }
            s = if plain && self.by_month_day.is_empty() && weekdays == "weekdays" {
                format!("on the {pos} weekday")
            } else if of.is_empty() {
                format!("on the {pos} time each {period}")
            } else {
                format!("on the {pos} of {}", of.join(" on "))
            };
            in_months(&mut s);
            return s;
        }
        match self.freq {
            Freq::Daily | Freq::Weekly => {
                let wd = if weekdays.is_empty() && self.freq == Freq::Weekly {
                    weekday_name(self.start.date().weekday()).to_string()
                } else {
                    weekdays
                };
                if !wd.is_empty() {
                    s = format!("on {wd}");
                }
                if !monthdays.is_empty() {
                    s = format!("{s} on the {monthdays}").trim().to_string();
                }
                in_months(&mut s);
            }
            Freq::Monthly => {
                s = match (monthdays.is_empty(), weekdays.is_empty()) {
                    (true, true) => format!("on the {}", ordinal(i64::from(self.start.day()))),
                    (true, false) => format!("on {weekdays}"),
                    (false, true) => format!("on the {monthdays}"),
                    (false, false) => format!("on the {monthdays} when it is {weekdays}"),
                };
                in_months(&mut s);
            }
            Freq::Yearly => {
                let of_months = if self.by_month.is_empty() {
                    String::new()
                } else {
                    format!(" of {}", months())
                };
                s = match (monthdays.is_empty(), weekdays.is_empty()) {
                    (true, true) => {
                        let ms: Vec<String> = if self.by_month.is_empty() {
                            vec![month_name(self.start.month()).to_string()]
                        } else {
                            self.by_month
                                .iter()
                                .map(|&m| month_name(m).to_string())
                                .collect()
                        };
                        let day = self.start.day();
                        format!(
                            "on {}",
                            names_joined(
                                &ms.iter().map(|m| format!("{m} {day}")).collect::<Vec<_>>()
                            )
                        )
                    }
                    (true, false) if self.by_month.is_empty() => {
                        let has_ord = self.by_day.iter().any(|d| d.ord.is_some());
                        if has_ord {
                            format!("on {weekdays} of the year")
                        } else {
                            format!("on {weekdays}")
                        }
                    }
                    (true, false) => format!("on {weekdays}{of_months}"),
                    (false, true) => {
                        let every = if self.by_month.is_empty() {
                            " of every month".to_string()
                        } else {
                            of_months
                        };
                        format!("on the {monthdays}{every}")
                    }
                    (false, false) => {
                        format!("on the {monthdays}{of_months} when it is {weekdays}")
                    }
                };
            }
        }
        s
    }

    /// The weekdays of `BYDAY` in words: "weekdays", "Monday and Friday", "the 1st Monday".
    fn describe_weekdays(&self) -> String {
        if self.by_day.is_empty() {
            return String::new();
        }
        if self.by_day.iter().all(|d| d.ord.is_none()) {
            let mut offs: Vec<i8> = self
                .by_day
                .iter()
                .map(|d| d.weekday.to_monday_zero_offset())
                .collect();
            offs.sort_unstable();
            offs.dedup();
            let every = matches!(self.freq, Freq::Monthly | Freq::Yearly);
            return match offs.as_slice() {
                [0, 1, 2, 3, 4] => "weekdays".to_string(),
                [5, 6] => "weekends".to_string(),
                [0, 1, 2, 3, 4, 5, 6] => "every day".to_string(),
                _ => {
                    let names: Vec<String> = offs
                        .iter()
                        .filter_map(|&o| DAYS.get(usize::try_from(o).ok()?))
                        .map(|(_, w)| weekday_name(*w).to_string())
                        .collect();
                    let names = names_joined(&names);
                    if every {
                        format!("every {names}")
                    } else {
                        names
                    }
                }
            };
        }
        let items: Vec<String> = self
            .by_day
            .iter()
            .map(|d| match d.ord {
                None => format!("every {}", weekday_name(d.weekday)),
                Some(n) => format!(
                    "the {} {}",
                    position_text(i64::from(n)),
                    weekday_name(d.weekday)
                ),
            })
            .collect();
        names_joined(&items)
    }

    /// The times part of [`Recurrence::describe`].
    fn describe_times(&self) -> String {
        let texts: Vec<String> = self.times.iter().map(|&t| hhmm(t)).collect();
        match texts.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            many if many.len() <= 6 => names_joined(many),
            many => format!(
                "{} times a day from {} to {}",
                many.len(),
                many.first().map_or("", String::as_str),
                many.last().map_or("", String::as_str)
            ),
        }
    }

    /// The occurrences, period by period, from period number `from`; with `limits`, COUNT and
    /// UNTIL end them.
    fn walk(&self, from: i64, limits: bool) -> Walk<'_> {
        Walk {
            rule: self,
            period: from,
            periods: 0,
            empty_run: 0,
            days: VecDeque::new(),
            ready: VecDeque::new(),
            last: None,
            emitted: 0,
            limits,
            ending: false,
            done: false,
        }
    }

    /// The occurrences from a period that starts before `after` (counted from the start when the
    /// rule has a COUNT, which counts from there; otherwise from shortly before `after`).
    fn walk_after(&self, after: Timestamp) -> Walk<'_> {
        if self.count.is_some() {
            return self.walk(0, true);
        }
        // Two days of slack: an occurrence's local time and the local time of its instant differ
        // by at most a daylight-saving gap or overlap.
        let local = after.to_zoned(self.tz.clone()).date();
        let day = day_number(local) - 2;
        let raw = match self.freq {
            Freq::Daily => day - self.base,
            Freq::Weekly => (day - self.base).div_euclid(7),
            Freq::Monthly => date_of(day).map_or(0, |d| {
                i64::from(d.year()) * 12 + i64::from(d.month()) - 1 - self.base
            }),
            Freq::Yearly => date_of(day).map_or(0, |d| i64::from(d.year()) - self.base),
        };
        self.walk(raw.div_euclid(self.interval).max(0), true)
    }

    /// The dates of period number `k` the rule picks, in order; `None` past the end of time.
    fn period_dates(&self, k: i64) -> Option<Vec<Date>> {
        let n = k.checked_mul(self.interval)?;
        let mut out = Vec::new();
        match self.freq {
            Freq::Daily => {
                let d = date_of(self.base.checked_add(n)?)?;
                if self.daily_match(d) {
                    out.push(d);
                }
            }
            Freq::Weekly => {
                let first = self.base.checked_add(n.checked_mul(7)?)?;
                let last = first.checked_add(6)?;
                if date_of(first).is_none() && date_of(last).is_none() {
                    return None;
                }
                for d in (first..=last).filter_map(date_of) {
                    let wd_ok = if self.by_day.is_empty() {
                        d.weekday() == self.start.weekday()
                    } else {
                        self.by_day.iter().any(|s| s.weekday == d.weekday())
                    };
                    if wd_ok && self.month_ok(d.month()) {
                        out.push(d);
                    }
                }
            }
            Freq::Monthly => {
                let idx = self.base.checked_add(n)?;
                let y = year(idx.div_euclid(12))?;
                let m = i8::try_from(idx.rem_euclid(12) + 1).ok()?;
                if self.month_ok(m) {
                    self.month_days(y, m, Scope::Month, &mut out);
                }
            }
            Freq::Yearly => {
                let y = year(self.base.checked_add(n)?)?;
                let (months, scope) = if !self.by_month.is_empty() {
                    (self.by_month.clone(), Scope::Month)
                } else if !self.by_month_day.is_empty() || !self.by_day.is_empty() {
                    ((1..=12).collect(), Scope::Year)
                } else {
                    (vec![self.start.month()], Scope::Year)
                };
                for m in months {
                    self.month_days(y, m, scope, &mut out);
                }
            }
        }
        Some(out)
    }

    fn month_ok(&self, m: i8) -> bool {
        self.by_month.is_empty() || self.by_month.contains(&m)
    }

    /// FREQ=DAILY: BYMONTH, BYMONTHDAY and BYDAY only filter.
    fn daily_match(&self, d: Date) -> bool {
        let dim = d.days_in_month();
        self.month_ok(d.month())
            && (self.by_month_day.is_empty()
                || self
                    .by_month_day
                    .iter()
                    .any(|&md| month_day(md, dim) == Some(d.day())))
            && (self.by_day.is_empty() || self.by_day.iter().any(|s| s.weekday == d.weekday()))
    }

    /// Whether `d` matches one of the `BYDAY` entries, ordinals counted within `scope`.
    fn by_day_match(&self, d: Date, scope: Scope) -> bool {
        let (pos, len) = match scope {
            Scope::Month => (i16::from(d.day()), i16::from(d.days_in_month())),
            Scope::Year => (d.day_of_year(), d.days_in_year()),
        };
        let (first, last) = ((pos - 1) / 7 + 1, -((len - pos) / 7 + 1));
        self.by_day.iter().any(|s| {
            s.weekday == d.weekday()
                && s.ord
                    .is_none_or(|o| i16::from(o) == first || i16::from(o) == last)
        })
    }

    /// The days of month `m` of year `y` the rule picks (FREQ=MONTHLY, and FREQ=YEARLY month by
    /// month): BYMONTHDAY, limited by BYDAY; else every day BYDAY matches; else DTSTART's day.
    fn month_days(&self, y: i16, m: i8, scope: Scope, out: &mut Vec<Date>) {
        let Ok(first) = Date::new(y, m, 1) else {
            return;
        };
        let dim = first.days_in_month();
        let at = |d: i8| Date::new(y, m, d).ok();
        if !self.by_month_day.is_empty() {
            let days: Vec<i8> = sorted(
                &self
                    .by_month_day
                    .iter()
                    .filter_map(|&md| month_day(md, dim))
                    .collect::<Vec<_>>(),
            );
            out.extend(
                days.into_iter()
                    .filter_map(at)
                    .filter(|&d| self.by_day.is_empty() || self.by_day_match(d, scope)),
            );
        } else if !self.by_day.is_empty() {
            out.extend(
                (1..=dim)
                    .filter_map(at)
                    .filter(|&d| self.by_day_match(d, scope)),
            );
        } else if self.start.day() <= dim {
            out.extend(at(self.start.day()));
        }
    }

    /// BYSETPOS: the picked members of a period's set (its dates × the times of day), in order.
    fn set_positions(&self, dates: &[Date]) -> Vec<DateTime> {
        let per_day = self.times.len();
        let total = dates.len() * per_day;
        let mut out: Vec<DateTime> = self
            .by_set_pos
            .iter()
            .filter_map(|&p| {
                let i = if p > 0 {
                    usize::try_from(p - 1).ok()?
                } else {
                    total.checked_sub(usize::try_from(-i32::from(p)).ok()?)?
                };
                if i >= total || per_day == 0 {
                    return None;
                }
                let d = dates.get(i / per_day)?;
                let t = self.times.get(i % per_day)?;
                Some(d.to_datetime(*t))
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The occurrences of a rule in order, as instants; see [`Recurrence::walk`].
struct Walk<'a> {
    rule: &'a Recurrence,
    /// The next period to look at.
    period: i64,
    /// Periods looked at so far, and how many in a row had nothing.
    periods: u64,
    empty_run: u64,
    /// Dates of the current period not yet turned into instants (without BYSETPOS).
    days: VecDeque<Date>,
    ready: VecDeque<Timestamp>,
    last: Option<Timestamp>,
    emitted: u64,
    limits: bool,
    /// UNTIL has been passed: what is ready is the last.
    ending: bool,
    done: bool,
}

impl Walk<'_> {
    /// Turns local date-times (in order) into instants, dropping those before DTSTART and
    /// stopping at UNTIL.
    fn push(&mut self, civil: impl IntoIterator<Item = DateTime>) {
        let rule = self.rule;
        let mut out = Vec::new();
        for c in civil {
            if c < rule.start {
                continue;
            }
            let past = |t: Option<Timestamp>| match rule.until {
                Some(Until::Date(d)) => c.date() > d,
                Some(Until::Local(u)) => c > u,
                Some(Until::Instant(u)) => t.is_some_and(|t| t > u),
                None => false,
            };
            if self.limits && past(None) {
                self.ending = true;
                break;
            }
            let Ok(t) = rule.tz.to_ambiguous_timestamp(c).compatible() else {
                continue;
            };
            if self.limits && past(Some(t)) {
                self.ending = true;
                break;
            }
            out.push(t);
        }
        out.sort_unstable();
        out.dedup();
        self.ready.extend(out);
        if self.ending {
            self.days.clear();
        }
    }

    /// Moves on to the next period.
    fn next_period(&mut self) {
        let rule = self.rule;
        if self.ending || self.periods >= MAX_PERIODS || self.empty_run > rule.freq.cycle() {
            self.done = true;
            return;
        }
        let Some(dates) = rule.period_dates(self.period) else {
            self.done = true;
            return;
        };
        self.period += 1;
        self.periods += 1;
        if rule.by_set_pos.is_empty() {
            self.empty_run = if dates.is_empty() {
                self.empty_run + 1
            } else {
                0
            };
            self.days.extend(dates);
        } else {
            let picked = rule.set_positions(&dates);
            self.empty_run = if picked.is_empty() {
                self.empty_run + 1
            } else {
                0
            };
            self.push(picked);
        }
    }
}

impl Iterator for Walk<'_> {
    type Item = Timestamp;

    fn next(&mut self) -> Option<Timestamp> {
        loop {
            if let Some(t) = self.ready.pop_front() {
                // Strictly increasing, even where a daylight-saving gap moves one onto another.
                if self.last.is_some_and(|l| t <= l) {
                    continue;
                }
                if self.limits && self.rule.count.is_some_and(|c| self.emitted >= c) {
                    self.done = true;
                    self.ready.clear();
                    return None;
                }
                self.emitted += 1;
                self.last = Some(t);
                return Some(t);
            }
            if self.done {
                return None;
            }
            if let Some(d) = self.days.pop_front() {
                let times = &self.rule.times;
                self.push(times.iter().map(|&t| d.to_datetime(t)).collect::<Vec<_>>());
                continue;
            }
            self.next_period();
        }
    }
}

/// Days since 1970-01-01 (proleptic Gregorian calendar).
fn day_number(d: Date) -> i64 {
    let (m, day) = (i64::from(d.month()), i64::from(d.day()));
    let y = i64::from(d.year()) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `n` days after 1970-01-01; `None` outside the years -9999 to 9999.
fn date_of(n: i64) -> Option<Date> {
    let z = n.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe.checked_add(era.checked_mul(400)?)? + i64::from(m <= 2);
    Date::new(year(y)?, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

fn year(y: i64) -> Option<i16> {
    i16::try_from(y).ok().filter(|y| (-9999..=9999).contains(y))
}

/// How many days `d` is after the start of its week (weeks starting on `wkst`).
fn days_since_week_start(d: Date, wkst: Weekday) -> i64 {
    i64::from(d.weekday().to_monday_zero_offset() - wkst.to_monday_zero_offset()).rem_euclid(7)
}

/// The day a `BYMONTHDAY` value names in a month of `dim` days (-1 the last), if it has one.
fn month_day(md: i8, dim: i8) -> Option<i8> {
    let d = if md < 0 { dim + 1 + md } else { md };
    (1..=dim).contains(&d).then_some(d)
}

fn hhmm(t: Time) -> String {
    if t.second() == 0 {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else {
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    }
}

fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// 1 → "1st", -1 → "last", -2 → "2nd-to-last".
fn position_text(n: i64) -> String {
    match n {
        -1 => "last".to_string(),
        n if n < 0 => format!("{}-to-last", ordinal(-n)),
        n => ordinal(n),
    }
}

fn day_of_month_text(d: i8) -> String {
    match d {
        -1 => "last day".to_string(),
        d if d < 0 => format!("{}-to-last day", ordinal(-i64::from(d))),
        d => ordinal(i64::from(d)),
    }
}

/// "a", "a and b", "a, b and c".
fn names_joined(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

fn month_name(m: i8) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    usize::try_from(m - 1)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("?")
}

#[cfg(test)]
mod tests;
