use jiff::civil::time;

use super::*;
use crate::sla::{clocks, PolicyRules, Targets};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn h(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

fn berlin_office() -> Calendar {
    Calendar::office_hours("Europe/Berlin", time(9, 0, 0, 0), time(17, 0, 0, 0)).unwrap()
}

fn timeline(created: &str, statuses: &[(&str, Status)], messages: &[(&str, bool)]) -> Timeline {
    let mut s = vec![(ts(created), Status::New)];
    s.extend(statuses.iter().map(|(t, st)| (ts(t), *st)));
    Timeline {
        created_at: ts(created),
        statuses: s,
        messages: messages.iter().map(|(t, b)| (ts(t), *b)).collect(),
    }
}

#[test]
fn percentiles_are_nearest_rank() {
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&ten, 50), Some(5));
    assert_eq!(percentile(&ten, 90), Some(9));
    assert_eq!(percentile(&ten, 100), Some(10));
    assert_eq!(percentile(&[7], 50), Some(7));
    assert_eq!(percentile(&[7], 90), Some(7));
    assert_eq!(percentile(&[1, 2], 50), Some(1));
    assert_eq!(percentile(&[1, 2], 90), Some(2));
    assert_eq!(percentile(&[], 50), None);
    // Eleven values: the 90th percentile is the 10th (ceil(9.9)).
    let eleven: Vec<i64> = (1..=11).collect();
    assert_eq!(percentile(&eleven, 90), Some(10));
    assert_eq!(percentile(&eleven, 50), Some(6));
}

/// Berlin office hours (09–17, Monday to Friday; UTC+1 in March before the change). A ticket opened
/// Monday 09:00 local, answered 10:30, waiting on the requester 11:00–14:00, resolved Tuesday
/// 10:00: first response 1.5 business hours; resolution 2 + 3 + 1 = 6 business hours, 25 hours of
/// calendar time.
#[test]
fn business_time_leaves_out_nights_and_waiting_on_the_requester() {
    let tl = timeline(
        "2026-03-02T08:00:00Z",
        &[
            ("2026-03-02T09:30:00Z", Status::Open),
            ("2026-03-02T10:00:00Z", Status::PendingRequester),
            ("2026-03-02T13:00:00Z", Status::Open),
            ("2026-03-03T09:00:00Z", Status::Resolved),
        ],
        &[
            ("2026-03-02T09:30:00Z", true),
            ("2026-03-02T13:00:00Z", false),
        ],
    );
    let m = measure(
        &tl,
        &berlin_office(),
        &[Status::PendingRequester],
        Some(ts("2026-03-02T09:30:00Z")),
        Status::Resolved,
        Some(ts("2026-03-03T09:00:00Z")),
        &[],
    );
    let frt = m.first_response.unwrap();
    assert_eq!(frt.calendar, SignedDuration::from_mins(90));
    assert_eq!(frt.business, SignedDuration::from_mins(90));
    let res = m.resolution.unwrap();
    assert_eq!(res.calendar, h(25));
    assert_eq!(res.business, h(6));
    assert_eq!(m.staff_replies, 1);
    // Without a policy's calendar (24 × 7) the wait is still left out: 25 − 3 hours.
    let m = measure(
        &tl,
        &Calendar::always(),
        &[Status::PendingRequester],
        Some(ts("2026-03-02T09:30:00Z")),
        Status::Resolved,
        Some(ts("2026-03-03T09:00:00Z")),
        &[],
    );
    assert_eq!(m.resolution.unwrap().business, h(22));
}

#[test]
fn a_reopened_ticket_measures_to_its_latest_resolution_without_the_time_it_was_resolved() {
    // Resolved after 2 h, reopened 5 h later, resolved again 1 h after that (24 × 7).
    let tl = timeline(
        "2026-03-02T08:00:00Z",
        &[
            ("2026-03-02T10:00:00Z", Status::Resolved),
            ("2026-03-02T15:00:00Z", Status::Open),
            ("2026-03-02T16:00:00Z", Status::Resolved),
        ],
        &[
            ("2026-03-02T09:00:00Z", true),
            ("2026-03-02T15:30:00Z", true),
        ],
    );
    let m = measure(
        &tl,
        &Calendar::always(),
        &[],
        Some(ts("2026-03-02T09:00:00Z")),
        Status::Resolved,
        Some(ts("2026-03-02T16:00:00Z")),
        &[],
    );
    let res = m.resolution.unwrap();
    assert_eq!(res.calendar, h(8));
    assert_eq!(res.business, h(3));
    assert_eq!(m.staff_replies, 2);
    // Open again: no resolution time.
    let m = measure(
        &tl,
        &Calendar::always(),
        &[],
        None,
        Status::Open,
        Some(ts("2026-03-02T16:00:00Z")),
        &[],
    );
    assert_eq!(m.resolution, None);
    assert_eq!(m.first_response, None);
}

#[test]
fn targets_count_once_decided() {
    let t = Targets {
        first_response_minutes: Some(60),
        next_response_minutes: None,
        resolution_minutes: Some(120),
    };
    let rules = PolicyRules {
        targets: [t; 4],
        pause_in: vec![Status::PendingRequester],
        warn_percent: 75,
    };
    // Answered in 30 minutes, not resolved after 3 hours: first response met, resolution breached
    // but undecided.
    let tl = timeline(
        "2026-03-02T08:00:00Z",
        &[("2026-03-02T08:30:00Z", Status::Open)],
        &[("2026-03-02T08:30:00Z", true)],
    );
    let now = ts("2026-03-02T11:00:00Z");
    let c = clocks(&rules, Priority::Medium, &Calendar::always(), &tl, now);
    let m = measure(
        &tl,
        &Calendar::always(),
        &rules.pause_in,
        Some(ts("2026-03-02T08:30:00Z")),
        Status::Open,
        None,
        &c,
    );
    assert_eq!(m.first_response_met, Some(true));
    assert_eq!(m.resolution_met, None);
    assert_eq!(m.next_response_met, None);
    // Resolved late: breached, decided.
    let tl = timeline(
        "2026-03-02T08:00:00Z",
        &[
            ("2026-03-02T08:30:00Z", Status::Open),
            ("2026-03-02T10:30:00Z", Status::Resolved),
        ],
        &[("2026-03-02T08:30:00Z", true)],
    );
    let c = clocks(&rules, Priority::Medium, &Calendar::always(), &tl, now);
    let m = measure(
        &tl,
        &Calendar::always(),
        &rules.pause_in,
        Some(ts("2026-03-02T08:30:00Z")),
        Status::Resolved,
        Some(ts("2026-03-02T10:30:00Z")),
        &c,
    );
    assert_eq!(m.resolution_met, Some(false));
}

fn facts(created: &str) -> Facts {
    Facts {
        status: Status::Open,
        created_at: ts(created),
        first_responded_at: None,
        resolved_at: None,
        channel: Channel::Email,
        ticket_type: TicketType::Incident,
        priority: Priority::Medium,
        category: None,
        organisation: Some(1),
        team: Some(10),
        assignee: None,
        reopen_count: 0,
        sla_due_at: None,
        measures: Measures::default(),
    }
}

fn resolved(mut f: Facts, at: &str, calendar_h: i64, business_h: i64) -> Facts {
    f.status = Status::Resolved;
    f.resolved_at = Some(ts(at));
    f.measures.resolution = Some(Span {
        calendar: h(calendar_h),
        business: h(business_h),
    });
    f
}

/// March 2026 in Berlin (UTC+1 until the 29th, UTC+2 after).
fn march() -> Period {
    Period {
        from: ts("2026-02-28T23:00:00Z"),
        to: ts("2026-03-31T22:00:00Z"),
        zone: TimeZone::get("Europe/Berlin").unwrap(),
    }
}

#[test]
fn a_period_counts_what_happened_in_it() {
    let now = ts("2026-04-02T10:00:00Z");
    let mut tally = Tally::new(march(), now);
    for x in &march_tickets() {
        tally.add(x);
    }
    march_ratings(&mut tally);
    let k = tally.finish();
    assert_eq!(k.created, 3, "b, c and d");
    assert_eq!(k.resolved, 3, "a, b and c");
    assert_eq!(k.first_contact_resolution, Rate { part: 1, of: 3 });
    assert_eq!(k.reopened, Rate { part: 1, of: 3 });
    // Resolution hours 2, 192, 300 (calendar) and 2, 40, 60 (business).
    assert_eq!(k.resolution.calendar.count, 3);
    assert_eq!(k.resolution.calendar.median_ms, Some(192 * 3_600_000));
    assert_eq!(k.resolution.calendar.p90_ms, Some(300 * 3_600_000));
    assert_eq!(k.resolution.business.median_ms, Some(40 * 3_600_000));
    assert_eq!(k.first_response.calendar.count, 1);
    assert_eq!(k.first_response.business.median_ms, Some(3_600_000));
    assert_eq!(k.sla.first_response, Rate { part: 1, of: 1 });
    assert_eq!(k.sla.resolution, Rate { part: 1, of: 2 });
    assert_eq!(k.sla.next_response, Rate::default());
    assert_eq!(k.csat.satisfied, Rate { part: 2, of: 3 });
    assert_eq!(k.csat.average, Some(10.0 / 3.0));
    assert_eq!(k.csat.distribution, [1, 0, 0, 1, 1]);
    assert_eq!(k.backlog.open, 2);
    assert_eq!(k.backlog.overdue, 1);
    assert_eq!(k.backlog.by_age, vec![0, 2, 0, 0, 0]);
    assert_eq!(k.deflected, 3);
    assert_eq!(
        k.by_channel,
        vec![
            Count {
                key: Some("email".to_string()),
                count: 2
            },
            Count {
                key: Some("portal".to_string()),
                count: 1
            }
        ]
    );
    assert_eq!(
        k.by_technician,
        vec![
            Count {
                key: Some(7),
                count: 2
            },
            Count {
                key: None,
                count: 1
            }
        ]
    );
    // The busiest hours are Berlin's: d was created on a Tuesday at 23:00–24:00 local.
    assert_eq!(k.busiest_hours[1][23], 1);
    assert_eq!(k.busiest_hours.iter().flatten().sum::<u64>(), 3);
    // Every day of March, the quiet ones too; d on the 31st, b's resolution on the 10th.
    assert_eq!(k.days.len(), 31);
    assert_eq!(k.days[30].created, 1);
    assert_eq!(k.days[9].resolved, 1);
    assert_eq!(k.days[9].created, 1);
}

fn march_tickets() -> Vec<Facts> {
    // 1. Created in February, resolved in March (2 staff replies): resolved, not created.
    let mut a = resolved(
        facts("2026-02-20T10:00:00Z"),
        "2026-03-03T10:00:00Z",
        300,
        40,
    );
    a.measures.staff_replies = 2;
    // 2. Created and resolved in March with one reply, never reopened: first contact.
    let mut b = resolved(facts("2026-03-10T10:00:00Z"), "2026-03-10T12:00:00Z", 2, 2);
    b.measures.staff_replies = 1;
    b.first_responded_at = Some(ts("2026-03-10T11:00:00Z"));
    b.measures.first_response = Some(Span {
        calendar: h(1),
        business: h(1),
    });
    b.measures.first_response_met = Some(true);
    b.measures.resolution_met = Some(true);
    b.channel = Channel::Portal;
    b.assignee = Some(7);
    // 3. Created in March, reopened and resolved again: not first contact, reopened; breached.
    let mut c = resolved(
        facts("2026-03-12T10:00:00Z"),
        "2026-03-20T10:00:00Z",
        192,
        60,
    );
    c.reopen_count = 1;
    c.measures.resolution_met = Some(false);
    c.assignee = Some(7);
    // 4. Created 31 March 23:30 Berlin (21:30 UTC, summer time): in March; still open, overdue,
    //    two days old now.
    let mut d = facts("2026-03-31T21:30:00Z");
    d.sla_due_at = Some(ts("2026-04-01T10:00:00Z"));
    d.priority = Priority::High;
    // 5. Created 1 April 00:30 Berlin (22:30 UTC on the 31st): not in March; open, one day old.
    let e = facts("2026-03-31T22:30:00Z");
    // 6. Resolved in April: nothing here but... it is not open either.
    let f = resolved(facts("2026-02-01T10:00:00Z"), "2026-04-01T10:00:00Z", 1, 1);
    vec![a, b, c, d, e, f]
}

fn march_ratings(tally: &mut Tally) {
    tally.add_rating(5, ts("2026-03-11T10:00:00Z"));
    tally.add_rating(4, ts("2026-03-11T11:00:00Z"));
    tally.add_rating(1, ts("2026-03-21T11:00:00Z"));
    tally.add_rating(5, ts("2026-04-01T11:00:00Z")); // April: left out
    tally.set_deflected(3);
}

#[test]
fn tallies_of_parts_merge_into_the_tally_of_the_whole() {
    let now = ts("2026-04-02T10:00:00Z");
    let tickets = march_tickets();
    let mut whole = Tally::new(march(), now);
    for x in &tickets {
        whole.add(x);
    }
    march_ratings(&mut whole);
    let whole = whole.finish();
    // Every split into two parts (by a bit mask over the six tickets), the ratings in the first.
    for mask in 0..(1u32 << tickets.len()) {
        let mut one = Tally::new(march(), now);
        let mut two = Tally::new(march(), now);
        for (i, x) in tickets.iter().enumerate() {
            if mask & (1 << i) == 0 {
                one.add(x);
            } else {
                two.add(x);
            }
        }
        march_ratings(&mut one);
        one.merge(two);
        assert_eq!(one.finish(), whole, "split {mask:06b}");
    }
}

#[test]
fn the_previous_period_has_the_same_length_and_ends_where_this_one_starts() {
    let p = march();
    let prev = p.previous();
    assert_eq!(prev.to, p.from);
    assert_eq!(
        p.to.duration_since(p.from),
        prev.to.duration_since(prev.from)
    );
}

#[test]
fn an_empty_period_has_no_averages_or_percentiles() {
    let k = Tally::new(march(), ts("2026-04-02T10:00:00Z")).finish();
    assert_eq!(k.created, 0);
    assert_eq!(k.resolution.calendar.median_ms, None);
    assert_eq!(k.csat.average, None);
    assert_eq!(k.first_contact_resolution.percent(), None);
    assert_eq!(k.days.len(), 31);
}

#[test]
fn durations_spread_is_the_nearest_rank_percentiles() {
    // Pseudo-random values, with repeats, of every length up to 300.
    let mut x: u64 = 12345;
    for n in 0..300usize {
        let values: Vec<i64> = (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Negative, 32-bit and longer than 32 bits of milliseconds (kept apart by
                // `Durations`), with repeats.
                let v = ((x >> 33) % 50) as i64 - 10;
                match (x >> 20) % 7 {
                    0 => v + i64::from(u32::MAX) - 20,
                    1 => v * 1_000_000_000_000,
                    _ => v,
                }
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let mut durations = Durations::default();
        for v in &values {
            durations.push(*v);
        }
        let s = durations.spread();
        assert_eq!(s.count, n as u64);
        assert_eq!(s.median_ms, percentile(&sorted, 50), "median of {n}");
        assert_eq!(s.p90_ms, percentile(&sorted, 90), "p90 of {n}");
    }
}

#[test]
fn local_days_agree_with_the_time_zone() {
    // Every 7 minutes for over a year and a little before and after the period, in order and in
    // a jumping order, across daylight saving changes (Berlin; Chatham at :45 offsets; Lord Howe
    // with a half-hour change; Santiago and Havana whose changes are at midnight, so some days
    // start at 01:00).
    for zone in [
        "Europe/Berlin",
        "Pacific/Chatham",
        "Australia/Lord_Howe",
        "America/Santiago",
        "America/Havana",
        "UTC",
    ] {
        let tz = TimeZone::get(zone).unwrap();
        let period = Period {
            from: ts("2025-01-01T00:00:00Z"),
            to: ts("2026-01-01T00:00:00Z"),
            zone: tz.clone(),
        };
        let days = LocalDays::of_period(&period);
        assert!(days.days.len() >= 365, "{zone}: {} days", days.days.len());
        let start = ts("2024-12-30T00:00:00Z");
        let instants: Vec<Timestamp> = (0..76_000i64)
            .map(|i| start + SignedDuration::from_mins(7 * i))
            .collect();
        let mut jumping = instants.clone();
        let len = jumping.len();
        for i in 0..len {
            jumping.swap(i, (i * 7919) % len);
        }
        for order in [&instants, &jumping] {
            for at in order.iter() {
                let local = at.to_zoned(tz.clone());
                let want = (
                    local.date(),
                    local.weekday().to_monday_zero_offset() as usize,
                    local.hour() as usize,
                );
                assert_eq!(days.of(*at, &tz), want, "{at} in {zone}");
            }
        }
    }
}
