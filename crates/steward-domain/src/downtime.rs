//! Downtime: outages of a service, measured per calendar month against a commitment ("at most 4
//! hours a month"). Pure: records in, minutes down out. Overlapping records count once, and a
//! record that spans a month boundary counts in each month for its part.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// The instants a calendar month (in a time zone) begins and ends.
pub fn month_bounds(year: i16, month: i8, tz: &TimeZone) -> Option<(Timestamp, Timestamp)> {
    let first = Date::new(year, month, 1).ok()?;
    let next = first.checked_add(jiff::Span::new().months(1)).ok()?;
    let a = tz.to_ambiguous_timestamp(first.to_datetime(jiff::civil::Time::midnight()));
    let b = tz.to_ambiguous_timestamp(next.to_datetime(jiff::civil::Time::midnight()));
    Some((a.compatible().ok()?, b.compatible().ok()?))
}

/// How long the service was down within `[from, to)`: the union of the records (an ongoing one,
/// without an end, lasts until `now`), clipped to the window.
pub fn down_within(
    records: &[(Timestamp, Option<Timestamp>)],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> SignedDuration {
    let mut spans: Vec<(Timestamp, Timestamp)> = records
        .iter()
        .map(|(a, b)| ((*a).max(from), b.unwrap_or(now).min(to)))
        .filter(|(a, b)| a < b)
        .collect();
    spans.sort();
    let mut total = SignedDuration::ZERO;
    let mut current: Option<(Timestamp, Timestamp)> = None;
    for (a, b) in spans {
        match current {
            Some((ca, cb)) if a <= cb => current = Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                total += ca.duration_until(cb);
                current = Some((a, b));
            }
            None => current = Some((a, b)),
        }
    }
    if let Some((ca, cb)) = current {
        total += ca.duration_until(cb);
    }
    total
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn overlaps_count_once_and_months_split() {
        let (from, to) = month_bounds(2026, 3, &TimeZone::UTC).unwrap();
        assert_eq!(
            (from, to),
            (ts("2026-03-01T00:00:00Z"), ts("2026-04-01T00:00:00Z"))
        );
        let records = [
            // 1 h, overlapping the next one by 30 min: together 1 h 30.
            (ts("2026-03-02T10:00:00Z"), Some(ts("2026-03-02T11:00:00Z"))),
            (ts("2026-03-02T10:30:00Z"), Some(ts("2026-03-02T11:30:00Z"))),
            // Across the end of March: 2 h in March, 1 h in April.
            (ts("2026-03-31T22:00:00Z"), Some(ts("2026-04-01T01:00:00Z"))),
            // February: nothing in March.
            (ts("2026-02-10T00:00:00Z"), Some(ts("2026-02-10T05:00:00Z"))),
        ];
        let now = ts("2026-05-01T00:00:00Z");
        assert_eq!(
            down_within(&records, from, to, now),
            SignedDuration::from_mins(210)
        );
        let (af, at) = month_bounds(2026, 4, &TimeZone::UTC).unwrap();
        assert_eq!(
            down_within(&records, af, at, now),
            SignedDuration::from_hours(1)
        );
        // Still going: counts until now.
        let ongoing = [(ts("2026-03-05T08:00:00Z"), None)];
        assert_eq!(
            down_within(&ongoing, from, to, ts("2026-03-05T09:15:00Z")),
            SignedDuration::from_mins(75)
        );
    }

    #[test]
    fn months_are_local() {
        // March in Berlin begins at 23:00 UTC the day before (winter time), and April at 22:00
        // (summer time).
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let (from, to) = month_bounds(2026, 3, &tz).unwrap();
        assert_eq!(
            (from, to),
            (ts("2026-02-28T23:00:00Z"), ts("2026-03-31T22:00:00Z"))
        );
        assert!(month_bounds(2026, 13, &tz).is_none());
    }
}
