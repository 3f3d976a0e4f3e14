use std::collections::HashMap;

use steward_domain::{CategoryId, MessageKind, OrgId, PersonId, Status, TeamId};

use jiff::SignedDuration;

use super::*;
use crate::text::{CATEGORIES, TEAMS};

fn cast() -> Cast {
    Cast {
        orgs: (0..5)
            .map(|i| (OrgId(i + 1), format!("Org {i}"), format!("org{i}.example")))
            .collect(),
        requesters: (0..50)
            .map(|i| {
                (
                    PersonId(100 + i),
                    crate::text::person_name(i as usize),
                    (i % 5) as usize,
                )
            })
            .collect(),
        techs: (0..TEAMS.len())
            .map(|t| {
                vec![
                    (PersonId(10 + t as i64 * 2), "Tom Smith".into()),
                    (PersonId(11 + t as i64 * 2), "Ute Berg".into()),
                ]
            })
            .collect(),
        teams: (0..TEAMS.len()).map(|t| TeamId(t as i64 + 1)).collect(),
        categories: CATEGORIES
            .iter()
            .enumerate()
            .map(|(i, c)| (*c, CategoryId(i as i64 + 1)))
            .collect::<HashMap<_, _>>(),
        monitoring: PersonId(99),
        levels: Some((
            steward_domain::sla::PolicyRules {
                targets: [steward_domain::sla::Targets {
                    first_response_minutes: Some(60),
                    next_response_minutes: Some(120),
                    resolution_minutes: Some(480),
                }; 4],
                pause_in: vec![Status::PendingRequester],
                warn_percent: 75,
            },
            steward_domain::calendar::Calendar::office_hours(
                "Europe/Berlin",
                jiff::civil::time(8, 0, 0, 0),
                jiff::civil::time(18, 0, 0, 0),
            )
            .unwrap(),
        )),
    }
}

fn opts(now: Timestamp, open_share: Option<f64>) -> crate::DemoOptions {
    crate::DemoOptions {
        tickets: 0,
        seed: 0,
        now,
        open_share,
    }
}

#[test]
fn a_backlog_can_be_asked_for() {
    let cast = cast();
    let now: Timestamp = "2026-11-24T10:00:00Z".parse().unwrap();
    let from = now - SignedDuration::from_hours(24 * 300);
    let all = batch(
        &cast,
        &mut Rng::new(1),
        &opts(now, Some(1.0)),
        from,
        now,
        500,
    );
    assert!(all
        .iter()
        .all(|t| !matches!(t.ticket.status, Status::Resolved | Status::Closed)));
    let half = batch(
        &cast,
        &mut Rng::new(1),
        &opts(now, Some(0.5)),
        from,
        now,
        1000,
    );
    let open = half
        .iter()
        .filter(|t| t.ticket.status != Status::Closed)
        .count();
    assert!((400..600).contains(&open), "{open}");
}

#[test]
fn every_ticket_tells_a_consistent_story() {
    let cast = cast();
    let mut rng = Rng::new(42);
    let now: Timestamp = "2026-11-24T10:00:00Z".parse().unwrap();
    let year = now - SignedDuration::from_hours(365 * 24);
    let mut tickets = Vec::new();
    for slice in 0..30 {
        let from = year + SignedDuration::from_hours(slice * 292);
        let to = from + SignedDuration::from_hours(292);
        let batch = batch(&cast, &mut rng, &opts(now, None), from, to, 100);
        assert!(batch.windows(2).all(|w| w[0].created_at <= w[1].created_at));
        assert!(batch
            .iter()
            .all(|t| t.created_at >= from && t.created_at < to));
        tickets.extend(batch);
    }
    // Mostly on working days.
    let weekend = tickets
        .iter()
        .filter(|t| {
            let day = t.created_at.as_second().div_euclid(DAY);
            (day + 3).rem_euclid(7) >= 5
        })
        .count();
    assert!(weekend < tickets.len() / 10, "{weekend} on weekends");
    let mut statuses: HashMap<Status, usize> = HashMap::new();
    let mut messages = 0;
    let mut longest = 0;
    for t in &tickets {
        *statuses.entry(t.ticket.status).or_default() += 1;
        messages += t.messages.len();
        longest = longest.max(t.messages.len());
        assert!(t.created_at < now && t.created_at > now - SignedDuration::from_hours(366 * 24));
        assert!(t.updated_at >= t.created_at && t.updated_at < now, "{t:?}");
        for m in &t.messages {
            assert!(m.created_at >= t.created_at && m.created_at < now);
            assert!(!m.body.is_empty() && !m.body.contains('{'));
        }
        assert_eq!(t.messages[0].created_at, t.created_at);
        assert_eq!(t.messages[0].author_id, Some(t.ticket.requester_id));
        // The status history is a chain that ends where the ticket stands.
        let mut status = Status::New;
        for e in &t.events {
            // Asking for a rating and rating change no field of the ticket.
            let survey = matches!(e.action, EventAction::SurveySent | EventAction::Rated);
            assert!(e.at >= t.created_at && (e.at <= t.updated_at || survey && e.at < now));
            if e.field == Some(Field::Status) {
                assert_eq!(e.old.as_deref(), Some(status.as_str()));
                status = Status::parse(e.new.as_deref().unwrap()).unwrap();
            }
        }
        assert_eq!(status, t.ticket.status);
        assert_eq!(
            t.ticket.assignee_id.is_none(),
            t.ticket.status == Status::New
        );
        let solved = matches!(t.ticket.status, Status::Resolved | Status::Closed);
        assert_eq!(t.resolved_at.is_some(), solved, "{t:?}");
        assert_eq!(t.closed_at.is_some(), t.ticket.status == Status::Closed);
        // The first response is the first public message by staff.
        let first_staff = t
            .messages
            .iter()
            .filter(|m| m.kind == MessageKind::Public && m.author_id != Some(t.ticket.requester_id))
            .map(|m| m.created_at)
            .min();
        assert_eq!(t.first_responded_at, first_staff);
        if t.ticket.organisation_id.is_none() {
            assert_eq!(t.ticket.requester_id, cast.monitoring);
        }
    }
    let share = |s: Status| statuses.get(&s).copied().unwrap_or(0) as f64 / tickets.len() as f64;
    assert!(share(Status::Closed) > 0.85, "{statuses:?}");
    assert!(
        share(Status::Open) > 0.005 && share(Status::Open) < 0.1,
        "{statuses:?}"
    );
    let mean = messages as f64 / tickets.len() as f64;
    assert!((3.0..7.0).contains(&mean), "{mean} messages per ticket");
    assert!(longest >= 15, "no long threads: {longest}");
}

#[test]
fn the_same_seed_writes_the_same_tickets() {
    let cast = cast();
    let now: Timestamp = "2026-11-24T10:00:00Z".parse().unwrap();
    let from = now - SignedDuration::from_hours(24 * 30);
    let o = opts(now, None);
    let a = batch(&cast, &mut Rng::new(5), &o, from, now, 20);
    let b = batch(&cast, &mut Rng::new(5), &o, from, now, 20);
    let c = batch(&cast, &mut Rng::new(6), &o, from, now, 20);
    let subjects = |v: &[LoadTicket]| {
        v.iter()
            .map(|t| t.ticket.subject.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(subjects(&a), subjects(&b));
    assert_ne!(subjects(&a), subjects(&c));
}

#[test]
fn resolved_tickets_are_measured_and_some_are_rated() {
    let cast = cast();
    let now: Timestamp = "2026-11-24T10:00:00Z".parse().unwrap();
    let from = now - SignedDuration::from_hours(24 * 200);
    let all = batch(&cast, &mut Rng::new(9), &opts(now, None), from, now, 2000);
    let mut rated = 0;
    let mut surveyed = 0;
    let mut low = 0;
    for t in &all {
        let m = t.measures;
        match (t.first_responded_at, t.resolved_at) {
            (None, None) => assert!(m.is_none()),
            _ => {
                let m = m.expect("answered or resolved tickets are measured");
                if let Some(at) = t.first_responded_at {
                    let frt = m.first_response.unwrap();
                    assert_eq!(frt.calendar, at.duration_since(t.created_at));
                    assert!(frt.business <= frt.calendar);
                    assert!(m.staff_replies >= 1);
                }
                if let Some(at) = t.resolved_at {
                    let res = m.resolution.unwrap();
                    assert_eq!(res.calendar, at.duration_since(t.created_at));
                    assert!(res.business <= res.calendar);
                    assert!(res.business >= SignedDuration::ZERO);
                    assert!(
                        m.resolution_met.is_some(),
                        "a resolution decides the target"
                    );
                }
            }
        }
        if let Some(s) = &t.survey {
            surveyed += 1;
            assert_eq!(Some(s.resolved_at), t.resolved_at);
            assert_ne!(t.ticket.requester_id, cast.monitoring);
            assert!(s.sent_at < now);
            assert_eq!(s.token_hash.len(), 64);
            if let Some(r) = s.rating {
                rated += 1;
                assert!((1..=5).contains(&r));
                assert!(s.rated_at.unwrap() <= now && s.rated_at.unwrap() >= s.sent_at);
                low += usize::from(r <= 2);
            } else {
                assert!(s.comment.is_empty() && s.rated_at.is_none());
            }
        } else {
            assert!(
                t.resolved_at.is_none()
                    || t.ticket.requester_id == cast.monitoring
                    || t.resolved_at.unwrap() + SignedDuration::from_hours(1) >= now
            );
        }
    }
    // About a third answer; most are satisfied.
    assert!(surveyed > 1000, "{surveyed}");
    let share = rated as f64 / surveyed as f64;
    assert!((0.2..0.4).contains(&share), "{share}");
    assert!(low * 4 < rated, "{low} of {rated} low");
}
