use jiff::civil::{date, time};
use proptest::prelude::*;

use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn berlin_office() -> Calendar {
    Calendar::office_hours("Europe/Berlin", time(9, 0, 0, 0), time(17, 0, 0, 0)).unwrap()
}

fn h(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

#[test]
fn office_hours_over_a_weekend() {
    let c = berlin_office();
    // Friday 2026-03-06 16:00 Berlin (15:00 UTC) + 2 business hours = Monday 10:00 (09:00 UTC).
    assert_eq!(
        c.add(ts("2026-03-06T15:00:00Z"), h(2)),
        Some(ts("2026-03-09T09:00:00Z"))
    );
    assert_eq!(
        c.between(ts("2026-03-06T15:00:00Z"), ts("2026-03-09T09:00:00Z")),
        h(2)
    );
    // Starting on Saturday counts from Monday 09:00.
    assert_eq!(
        c.add(ts("2026-03-07T12:00:00Z"), h(1)),
        Some(ts("2026-03-09T09:00:00Z"))
    );
    assert!(!c.is_open(ts("2026-03-07T12:00:00Z")));
    assert!(c.is_open(ts("2026-03-09T08:00:00Z")));
    // Ending exactly at closing time stays on that day.
    assert_eq!(
        c.add(ts("2026-03-09T08:00:00Z"), h(8)),
        Some(ts("2026-03-09T16:00:00Z"))
    );
}

#[test]
fn daylight_saving_changes_keep_local_hours() {
    let c = berlin_office();
    // Berlin moves to summer time on Sunday 2026-03-29: 09:00 local is 08:00 UTC before, 07:00 after.
    assert_eq!(
        c.add(ts("2026-03-27T15:00:00Z"), h(2)),
        Some(ts("2026-03-30T08:00:00Z"))
    );
    let ny =
        Calendar::office_hours("America/New_York", time(9, 0, 0, 0), time(17, 0, 0, 0)).unwrap();
    // New York moves on 2026-03-08: Friday 16:00 EST = 21:00 UTC; Monday 10:00 EDT = 14:00 UTC.
    assert_eq!(
        ny.add(ts("2026-03-06T21:00:00Z"), h(2)),
        Some(ts("2026-03-09T14:00:00Z"))
    );
}

#[test]
fn holidays_and_midnight_shifts() {
    let mut c = berlin_office();
    c.holidays = vec![
        Holiday::Date(date(2026, 3, 9)),
        Holiday::Yearly(12, 25),
        Holiday::Range(date(2026, 3, 11), date(2026, 3, 12)),
    ];
    // Monday the 9th is off: Friday 16:00 + 2 h = Tuesday 10:00.
    assert_eq!(
        c.add(ts("2026-03-06T15:00:00Z"), h(2)),
        Some(ts("2026-03-10T09:00:00Z"))
    );
    // Tuesday 16:00 + 2 h skips Wednesday and Thursday: Friday 10:00.
    assert_eq!(
        c.add(ts("2026-03-10T15:00:00Z"), h(2)),
        Some(ts("2026-03-13T09:00:00Z"))
    );
    // A night shift, 22:00–06:00 every day, in UTC.
    let night = Calendar::new(
        TimeZone::UTC,
        std::array::from_fn(|_| {
            vec![Interval {
                start: time(22, 0, 0, 0),
                end: time(6, 0, 0, 0),
            }]
        }),
        vec![],
    );
    assert_eq!(
        night.add(ts("2026-03-02T23:00:00Z"), h(8)),
        Some(ts("2026-03-03T23:00:00Z"))
    );
    assert!(night.is_open(ts("2026-03-03T05:59:00Z")));
    assert!(!night.is_open(ts("2026-03-03T06:00:00Z")));
    // Year end.
    assert_eq!(
        night.add(ts("2026-12-31T23:00:00Z"), h(2)),
        Some(ts("2027-01-01T01:00:00Z"))
    );
}

#[test]
fn always_open_is_plain_time_and_a_closed_calendar_gives_up() {
    let a = Calendar::always();
    assert_eq!(
        a.add(ts("2026-03-07T12:00:00Z"), h(30)),
        Some(ts("2026-03-08T18:00:00Z"))
    );
    assert_eq!(
        a.between(ts("2026-03-07T12:00:00Z"), ts("2026-03-08T18:00:00Z")),
        h(30)
    );
    let never = Calendar::new(TimeZone::UTC, Default::default(), vec![]);
    assert_eq!(never.add(ts("2026-03-07T12:00:00Z"), h(1)), None);
    assert_eq!(
        never.between(ts("2026-03-07T12:00:00Z"), ts("2026-04-07T12:00:00Z")),
        SignedDuration::ZERO
    );
    assert!(Calendar::office_hours("Mars/Olympus", time(9, 0, 0, 0), time(17, 0, 0, 0)).is_err());
}

fn calendars() -> impl Strategy<Value = Calendar> {
    let zones = prop_oneof![
        Just("UTC"),
        Just("Europe/Berlin"),
        Just("America/New_York"),
        Just("Australia/Lord_Howe"),
        Just("Asia/Kolkata")
    ];
    let interval = (0i8..24, 0i8..4, 1i64..16).prop_map(|(h0, q, len_h)| {
        let start = time(h0, q * 15, 0, 0);
        let end_min = (h0 as i64 * 60 + q as i64 * 15 + len_h * 60) % (24 * 60);
        Interval {
            start,
            end: time((end_min / 60) as i8, (end_min % 60) as i8, 0, 0),
        }
    });
    let day = proptest::collection::vec(interval, 0..3);
    (
        zones,
        proptest::collection::vec(day, 7),
        proptest::collection::vec((1i8..13, 1i8..29), 0..4),
    )
        .prop_map(|(z, days, hol)| {
            Calendar::new(
                TimeZone::get(z).unwrap(),
                std::array::from_fn(|i| days[i].clone()),
                hol.into_iter()
                    .map(|(m, d)| Holiday::Yearly(m, d))
                    .collect(),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Adding business time and measuring it back gives the same amount; more time never ends
    /// earlier; and the end is never outside working time (it may be exactly at a window's end).
    #[test]
    fn add_then_measure_round_trips(cal in calendars(), start_s in 1_767_225_600i64..1_830_297_600, mins in 0i64..(60 * 24 * 20), more in 0i64..600) {
        let start = Timestamp::from_second(start_s).unwrap();
        let d = SignedDuration::from_mins(mins);
        if let Some(end) = cal.add(start, d) {
            prop_assert!(end >= start);
            prop_assert_eq!(cal.between(start, end), d);
            if let Some(later) = cal.add(start, d + SignedDuration::from_mins(more)) {
                prop_assert!(later >= end);
            }
            if !d.is_zero() {
                let just_before = end.checked_sub(SignedDuration::from_secs(1)).unwrap();
                prop_assert!(cal.is_open(just_before), "the last second before {end} is working time");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The same on calendars that always have working time (so no case is skipped), across the
    /// daylight-saving changes of several years.
    #[test]
    fn office_hours_round_trip_across_dst(start_s in 1_767_225_600i64..1_830_297_600, mins in 0i64..(60 * 8 * 30), zone in prop_oneof![Just("Europe/Berlin"), Just("America/New_York"), Just("Australia/Lord_Howe")]) {
        let cal = Calendar::office_hours(zone, time(8, 30, 0, 0), time(17, 15, 0, 0)).unwrap();
        let start = Timestamp::from_second(start_s).unwrap();
        let d = SignedDuration::from_mins(mins);
        let end = cal.add(start, d).expect("office hours always come");
        prop_assert_eq!(cal.between(start, end), d);
        let local = end.to_zoned(cal.tz.clone());
        let t = local.time();
        prop_assert!(d.is_zero() || (t > time(8, 30, 0, 0) && t <= time(17, 15, 0, 0)), "ends at {local}");
        let twenty_four_seven = Calendar::always();
        prop_assert_eq!(twenty_four_seven.add(start, d), start.checked_add(d).ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A calendar with its windows worked out ahead answers exactly as the one that walks day by
    /// day: inside the table, across its edges and outside it (night shifts, holidays, daylight
    /// saving changes, calendars with no working time).
    #[test]
    fn a_table_answers_as_the_walk_does(
        cal in calendars(),
        table_from in 1_767_225_600i64..1_790_000_000,
        table_days in 0i64..120,
        points in proptest::collection::vec((-20i64 * 86_400..140 * 86_400, 0i64..(60 * 24 * 40)), 1..40),
    ) {
        let from = Timestamp::from_second(table_from).unwrap();
        let to = from + SignedDuration::from_hours(24 * table_days);
        let fast = cal.clone().with_table(from, to);
        prop_assert!(fast == cal);
        for (offset, mins) in points {
            let t = from + SignedDuration::from_secs(offset);
            let d = SignedDuration::from_mins(mins);
            prop_assert_eq!(fast.is_open(t), cal.is_open(t), "is_open {}", t);
            prop_assert_eq!(fast.add(t, d), cal.add(t, d), "add {} to {}", d, t);
            let u = t + d;
            prop_assert_eq!(fast.between(t, u), cal.between(t, u), "between {} and {}", t, u);
        }
    }
}

#[test]
fn a_table_of_office_hours_answers_as_the_walk_does_every_quarter_hour() {
    // A year of Berlin office hours with a holiday, every 15 minutes, adding 0 to 30 hours.
    let mut cal =
        Calendar::office_hours("Europe/Berlin", time(8, 0, 0, 0), time(17, 0, 0, 0)).unwrap();
    cal.holidays.push(Holiday::Yearly(12, 25));
    let from = ts("2026-01-01T00:00:00Z");
    let to = ts("2027-01-01T00:00:00Z");
    let fast = cal.clone().with_table(from, to);
    let mut t = from - h(48);
    let mut i = 0i64;
    while t < to + h(48) {
        let d = SignedDuration::from_mins((i * 37) % (30 * 60));
        assert_eq!(fast.is_open(t), cal.is_open(t), "{t}");
        assert_eq!(fast.add(t, d), cal.add(t, d), "{d} from {t}");
        assert_eq!(fast.between(from, t), cal.between(from, t), "to {t}");
        t += SignedDuration::from_mins(15);
        i += 1;
    }
}

/// Pieces of iCalendar, valid and broken, that a property test strings together.
fn ical_lines() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("BEGIN:VCALENDAR".to_string()),
        Just("END:VCALENDAR".to_string()),
        Just("BEGIN:VEVENT".to_string()),
        Just("END:VEVENT".to_string()),
        Just("DTSTART;VALUE=DATE:20260501".to_string()),
        Just("DTEND;VALUE=DATE:20260503".to_string()),
        Just("DTSTART:20261224T000000Z".to_string()),
        Just("RRULE:FREQ=YEARLY".to_string()),
        Just("RRULE:FREQ=YEARLY;BYMONTH=13".to_string()),
        Just("SUMMARY:Holiday".to_string()),
        " [A-Z;=:0-9]{0,30}",
        "DTSTART[;A-Z=]{0,12}:[0-9TZ]{0,20}",
        "\\PC{0,40}",
    ];
    proptest::collection::vec(line, 0..30).prop_map(|l| l.join("\r\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// An imported holiday file, whatever it holds, gives holidays or an error, never a panic;
    /// and every holiday it gives is a real date.
    #[test]
    fn any_ical_file_imports_or_is_refused(text in ical_lines()) {
        if let Ok(days) = holidays_from_ical(&text) {
            for d in days {
                let s = serde_json::to_string(&d).unwrap();
                prop_assert!(!s.is_empty());
            }
        }
    }

    /// The same for arbitrary text.
    #[test]
    fn any_text_as_ical_is_refused_or_read(text in "\\PC{0,300}") {
        let _ = holidays_from_ical(&text);
    }
}
