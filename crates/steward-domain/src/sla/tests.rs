use jiff::civil::time;
use proptest::prelude::*;

use super::*;
use crate::calendar::Calendar;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn rules(first: Option<u32>, next: Option<u32>, resolution: Option<u32>) -> PolicyRules {
    let t = Targets {
        first_response_minutes: first,
        next_response_minutes: next,
        resolution_minutes: resolution,
    };
    PolicyRules {
        targets: [t; 4],
        pause_in: vec![Status::PendingRequester],
        warn_percent: 75,
    }
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

fn one(clocks: &[Clock], t: Target) -> Clock {
    *clocks.iter().find(|c| c.target == t).unwrap()
}

#[test]
fn a_reply_in_time_meets_the_first_response() {
    let tl = timeline(
        "2026-03-02T09:00:00Z",
        &[],
        &[("2026-03-02T09:30:00Z", true)],
    );
    let c = clocks(
        &rules(Some(60), None, None),
        Priority::Medium,
        &Calendar::always(),
        &tl,
        ts("2026-03-02T12:00:00Z"),
    );
    let f = one(&c, Target::FirstResponse);
    assert_eq!(f.state, ClockState::Met);
    assert_eq!(f.due, Some(ts("2026-03-02T10:00:00Z")));
    assert_eq!(f.remaining, SignedDuration::from_mins(30));
    assert_eq!(f.warn_at, Some(ts("2026-03-02T09:45:00Z")));
}

#[test]
fn no_reply_breaches_and_counts_overdue_time() {
    let tl = timeline(
        "2026-03-02T00:00:00Z",
        &[],
        &[("2026-03-02T00:20:00Z", false)],
    );
    let c = clocks(
        &rules(Some(60), None, None),
        Priority::High,
        &Calendar::always(),
        &tl,
        ts("2026-03-02T01:30:00Z"),
    );
    let f = one(&c, Target::FirstResponse);
    assert_eq!(f.state, ClockState::Breached);
    assert_eq!(f.due, Some(ts("2026-03-02T01:00:00Z")));
    assert_eq!(f.remaining, SignedDuration::from_mins(-30));
}

#[test]
fn business_hours_carry_over_the_weekend_in_local_time() {
    // Friday 16:30 in Berlin (15:30 UTC, winter); one business hour: Monday 09:30 Berlin.
    let cal = Calendar::office_hours("Europe/Berlin", time(9, 0, 0, 0), time(17, 0, 0, 0)).unwrap();
    let tl = timeline("2026-01-16T15:30:00Z", &[], &[]);
    let c = clocks(
        &rules(Some(60), None, None),
        Priority::Medium,
        &cal,
        &tl,
        ts("2026-01-17T10:00:00Z"),
    );
    let f = one(&c, Target::FirstResponse);
    assert_eq!(f.state, ClockState::Running);
    assert_eq!(f.due, Some(ts("2026-01-19T08:30:00Z")));
    // Saturday: the half hour on Friday is used, half an hour is left.
    assert_eq!(f.remaining, SignedDuration::from_mins(30));
}

#[test]
fn waiting_for_the_requester_shifts_the_due_instant_by_the_time_waited() {
    let r = rules(None, None, Some(8 * 60));
    let cal = Calendar::always();
    let plain = timeline("2026-03-02T00:00:00Z", &[], &[]);
    let waited = timeline(
        "2026-03-02T00:00:00Z",
        &[
            ("2026-03-02T01:00:00Z", Status::PendingRequester),
            ("2026-03-02T03:00:00Z", Status::Open),
        ],
        &[],
    );
    let now = ts("2026-03-02T04:00:00Z");
    let a = one(
        &clocks(&r, Priority::Low, &cal, &plain, now),
        Target::Resolution,
    );
    let b = one(
        &clocks(&r, Priority::Low, &cal, &waited, now),
        Target::Resolution,
    );
    assert_eq!(a.due, Some(ts("2026-03-02T08:00:00Z")));
    assert_eq!(b.due, Some(ts("2026-03-02T10:00:00Z")));
    assert_eq!(b.state, ClockState::Running);

    // While it waits, it stands still with its time left, and has no due instant.
    let waiting = timeline(
        "2026-03-02T00:00:00Z",
        &[("2026-03-02T01:00:00Z", Status::PendingRequester)],
        &[],
    );
    let c = one(
        &clocks(&r, Priority::Low, &cal, &waiting, now),
        Target::Resolution,
    );
    assert_eq!(c.state, ClockState::Paused);
    assert_eq!(c.due, None);
    assert_eq!(c.remaining, SignedDuration::from_hours(7));
}

#[test]
fn resolution_stands_still_while_resolved_and_runs_on_when_reopened() {
    let r = rules(None, None, Some(4 * 60));
    let cal = Calendar::always();
    let tl = timeline(
        "2026-03-02T00:00:00Z",
        &[
            ("2026-03-02T01:00:00Z", Status::Resolved),
            ("2026-03-02T05:00:00Z", Status::Open),
        ],
        &[],
    );
    let c = one(
        &clocks(&r, Priority::Medium, &cal, &tl, ts("2026-03-02T06:00:00Z")),
        Target::Resolution,
    );
    assert_eq!(c.state, ClockState::Running);
    assert_eq!(c.due, Some(ts("2026-03-02T08:00:00Z")));
    let resolved = timeline(
        "2026-03-02T00:00:00Z",
        &[("2026-03-02T01:00:00Z", Status::Resolved)],
        &[],
    );
    let c = one(
        &clocks(
            &r,
            Priority::Medium,
            &cal,
            &resolved,
            ts("2026-03-02T09:00:00Z"),
        ),
        Target::Resolution,
    );
    assert_eq!(c.state, ClockState::Met);
    assert_eq!(c.stopped_at, Some(ts("2026-03-02T01:00:00Z")));
    assert_eq!(c.remaining, SignedDuration::from_hours(3));
}

#[test]
fn next_response_follows_the_latest_requester_message_after_a_staff_reply() {
    let r = rules(Some(60), Some(30), None);
    let cal = Calendar::always();
    // Before any staff reply, requester messages are the first-response clock's business.
    let early = timeline(
        "2026-03-02T00:00:00Z",
        &[],
        &[("2026-03-02T00:05:00Z", false)],
    );
    let c = clocks(
        &r,
        Priority::Medium,
        &cal,
        &early,
        ts("2026-03-02T00:10:00Z"),
    );
    assert!(c.iter().all(|c| c.target != Target::NextResponse));
    let tl = timeline(
        "2026-03-02T00:00:00Z",
        &[],
        &[
            ("2026-03-02T00:10:00Z", true),
            ("2026-03-02T01:00:00Z", false),
            ("2026-03-02T01:05:00Z", false),
        ],
    );
    let n = one(
        &clocks(&r, Priority::Medium, &cal, &tl, ts("2026-03-02T01:20:00Z")),
        Target::NextResponse,
    );
    assert_eq!(n.state, ClockState::Running);
    assert_eq!(n.due, Some(ts("2026-03-02T01:30:00Z")));
    let answered = Timeline {
        messages: [
            tl.messages.clone(),
            vec![(ts("2026-03-02T01:40:00Z"), true)],
        ]
        .concat(),
        ..tl
    };
    let n = one(
        &clocks(
            &r,
            Priority::Medium,
            &cal,
            &answered,
            ts("2026-03-02T02:00:00Z"),
        ),
        Target::NextResponse,
    );
    assert_eq!(n.state, ClockState::Breached);
    assert_eq!(n.stopped_at, Some(ts("2026-03-02T01:40:00Z")));
    assert_eq!(n.remaining, SignedDuration::from_mins(-10));
}

#[test]
fn targets_follow_the_priority() {
    let mut r = rules(Some(60), None, None);
    r.targets[0].first_response_minutes = Some(15);
    let tl = timeline("2026-03-02T00:00:00Z", &[], &[]);
    let now = ts("2026-03-02T00:01:00Z");
    let crit = one(
        &clocks(&r, Priority::Critical, &Calendar::always(), &tl, now),
        Target::FirstResponse,
    );
    let low = one(
        &clocks(&r, Priority::Low, &Calendar::always(), &tl, now),
        Target::FirstResponse,
    );
    assert_eq!(crit.due, Some(ts("2026-03-02T00:15:00Z")));
    assert_eq!(low.due, Some(ts("2026-03-02T01:00:00Z")));
}

fn ticket(org: Option<i64>, ty: TicketType, cat: Option<i64>, p: Priority) -> Ticket {
    let now = ts("2026-03-02T00:00:00Z");
    Ticket {
        id: crate::TicketId(1),
        number: 1,
        ticket_type: ty,
        subject: "x".into(),
        status: Status::New,
        impact: crate::Impact::Medium,
        urgency: crate::Urgency::Medium,
        priority: p,
        category_id: cat.map(CategoryId),
        requester_id: crate::PersonId(1),
        organisation_id: org.map(OrgId),
        team_id: None,
        assignee_id: None,
        channel: crate::Channel::Api,
        tags: Vec::new(),
        created_at: now,
        updated_at: now,
        first_responded_at: None,
        resolved_at: None,
        closed_at: None,
        reopen_count: 0,
        sla_due_at: None,
        rating: None,
    }
}

#[test]
fn policy_precedence_table() {
    let any = Applies::default();
    let acme = Applies {
        organisations: vec![OrgId(7)],
        ..Default::default()
    };
    let acme_incidents = Applies {
        organisations: vec![OrgId(7)],
        types: vec![TicketType::Incident],
        ..Default::default()
    };
    let critical = Applies {
        priorities: vec![Priority::Critical],
        ..Default::default()
    };
    let hardware = Applies {
        categories: vec![CategoryId(3)],
        ..Default::default()
    };
    let c = |id, position, applies, is_default| Candidate {
        id,
        position,
        applies,
        is_default,
    };
    let policies = [
        c(1, 0, &any, true),
        c(2, 10, &acme, false),
        c(3, 10, &acme_incidents, false),
        c(4, 5, &critical, false),
        c(5, 20, &hardware, false),
    ];
    use Priority::*;
    use TicketType::*;
    let table: &[(Ticket, Option<i64>, &str)] = &[
        (
            ticket(None, Incident, None, Medium),
            Some(1),
            "nothing matches: the default",
        ),
        (
            ticket(Some(7), ServiceRequest, None, Medium),
            Some(2),
            "the organisation",
        ),
        (
            ticket(Some(7), Incident, None, Medium),
            Some(3),
            "same position: the more specific",
        ),
        (
            ticket(Some(7), Incident, None, Critical),
            Some(4),
            "a lower position wins",
        ),
        (
            ticket(Some(8), Change, Some(3), Low),
            Some(5),
            "the category",
        ),
        (
            ticket(Some(7), Change, Some(3), Low),
            Some(2),
            "position before category",
        ),
        (
            ticket(None, Incident, Some(4), Low),
            Some(1),
            "another category: the default",
        ),
    ];
    for (t, want, why) in table {
        assert_eq!(choose(&policies, t), *want, "{why}");
    }
    // Without a default, an unmatched ticket has no service level.
    assert_eq!(
        choose(&policies[1..], &ticket(None, Incident, None, Medium)),
        None
    );
}

proptest! {
    /// Waiting for the requester for a while shifts the due instant by exactly the business time
    /// waited (on an office-hours calendar across a daylight-saving change).
    #[test]
    fn pausing_shifts_the_due_instant_by_the_paused_business_time(
        start_min in 0i64..(14 * 24 * 60),
        pause_after in 1i64..(3 * 24 * 60),
        pause_for in 1i64..(5 * 24 * 60),
        target in 30u32..(40 * 60),
    ) {
        let cal = Calendar::office_hours("Europe/Berlin", time(8, 0, 0, 0), time(18, 0, 0, 0)).unwrap();
        let created = ts("2026-03-20T00:00:00Z") + SignedDuration::from_mins(start_min);
        let p0 = created + SignedDuration::from_mins(pause_after);
        let p1 = p0 + SignedDuration::from_mins(pause_for);
        let r = rules(None, None, Some(target));
        let plain = Timeline { created_at: created, statuses: vec![(created, Status::Open)], messages: vec![] };
        let paused = Timeline {
            created_at: created,
            statuses: vec![(created, Status::Open), (p0, Status::PendingRequester), (p1, Status::Open)],
            messages: vec![],
        };
        let now = p1;
        let a = one(&clocks(&r, Priority::Medium, &cal, &plain, now), Target::Resolution);
        let b = one(&clocks(&r, Priority::Medium, &cal, &paused, now), Target::Resolution);
        let (Some(da), Some(db)) = (a.due, b.due) else { panic!("no due instant") };
        if da <= p0 {
            // Due before the pause began: the pause changes nothing.
            prop_assert_eq!(da, db);
        } else {
            // Business time between the two due instants is the business time paused.
            prop_assert_eq!(cal.between(da, db), cal.between(p0, p1));
            prop_assert!(db >= da);
        }
    }
}
