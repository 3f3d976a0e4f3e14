//! One ticket's life: when it came in, who asked, the conversation back and forth, the internal
//! notes, the status changes in its history, and where it stands now.

use jiff::Timestamp;
use steward_domain::{
    Channel, EventAction, Field, Impact, MessageKind, Named, Priority, Status, TicketType, Urgency,
};
use steward_store::load::{LoadEvent, LoadMessage, LoadSurvey, LoadTicket};
use steward_store::tickets::NewTicket;

use crate::rng::Rng;
use crate::text::{Writer, TOPICS};
use crate::Cast;

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// `n` tickets created between `from` and `to` (both before `now`), oldest first.
pub(crate) fn batch(
    cast: &Cast,
    rng: &mut Rng,
    opts: &crate::DemoOptions,
    from: Timestamp,
    to: Timestamp,
    n: usize,
) -> Vec<LoadTicket> {
    let now = opts.now;
    let (from, to) = (
        from.as_second(),
        to.as_second().min(now.as_second() - MINUTE),
    );
    let mut times: Vec<i64> = (0..n).map(|_| created_at(rng, from, to)).collect();
    times.sort_unstable();
    times
        .into_iter()
        .map(|at| ticket(cast, rng, now, at, opts.open_share))
        .collect()
}

/// How busy the desk is in an hour of the day (UTC, roughly European office hours).
const HOURS: [u32; 24] = [
    1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 12, 10, 7, 10, 10, 8, 5, 3, 2, 2, 1, 1, 1, 1,
];

/// A moment between `from` and `to`, mostly on working days during office hours.
fn created_at(rng: &mut Rng, from: i64, to: i64) -> i64 {
    let span = (to - from).max(1) as u64;
    let mut at = from;
    for _ in 0..50 {
        at = from + rng.below(span) as i64;
        let day = at.div_euclid(DAY);
        // 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays.
        let weekend = (day + 3).rem_euclid(7) >= 5;
        let hour = (at.rem_euclid(DAY) / HOUR) as usize;
        let p = f64::from(HOURS[hour]) / 14.0 * if weekend { 0.15 } else { 1.0 };
        if rng.chance(p) {
            break;
        }
    }
    at
}

/// Where a ticket of this age stands now.
fn final_status(rng: &mut Rng, age_days: i64) -> Status {
    use Status::*;
    let table: &[(Status, u32)] = match age_days {
        0 => &[
            (New, 35),
            (Open, 35),
            (PendingRequester, 15),
            (Resolved, 15),
        ],
        1..=2 => &[
            (New, 5),
            (Open, 35),
            (PendingRequester, 20),
            (PendingVendor, 5),
            (Resolved, 35),
        ],
        3..=9 => &[
            (Open, 10),
            (PendingRequester, 10),
            (PendingVendor, 3),
            (Resolved, 30),
            (Closed, 47),
        ],
        _ => &[
            (Open, 10),
            (PendingRequester, 5),
            (PendingVendor, 5),
            (Closed, 980),
        ],
    };
    rng.weighted(table)
}

/// Builds the conversation and history as offsets (seconds after creation), then fits them
/// before `now`.
/// A history entry as built: when, who, what, and for a status change from what to what.
type Step = (
    i64,
    Option<steward_domain::PersonId>,
    EventAction,
    Option<(Status, Status)>,
);

struct Life {
    messages: Vec<(
        i64,
        Option<steward_domain::PersonId>,
        MessageKind,
        bool,
        String,
    )>,
    events: Vec<Step>,
    status: Status,
}

impl Life {
    fn message(
        &mut self,
        at: i64,
        who: steward_domain::PersonId,
        kind: MessageKind,
        staff: bool,
        body: String,
    ) {
        let action = match kind {
            MessageKind::Public => EventAction::Replied,
            MessageKind::Internal => EventAction::Noted,
        };
        self.messages.push((at, Some(who), kind, staff, body));
        self.events.push((at, Some(who), action, None));
    }

    fn status(&mut self, at: i64, who: Option<steward_domain::PersonId>, to: Status) {
        if self.status != to {
            self.events
                .push((at, who, EventAction::Changed, Some((self.status, to))));
            self.status = to;
        }
    }
}

fn ticket(
    cast: &Cast,
    rng: &mut Rng,
    now: Timestamp,
    created: i64,
    open_share: Option<f64>,
) -> LoadTicket {
    let now_s = now.as_second();
    let topic = &TOPICS[rng.weighted(
        &TOPICS
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.weight))
            .collect::<Vec<_>>(),
    )];
    let monitoring = topic.questions.is_empty();
    let age_days = (now_s - created) / DAY;
    let target = match open_share {
        None => final_status(rng, age_days),
        Some(p) if rng.chance(p) => rng.weighted(&[
            (Status::New, 10),
            (Status::Open, 60),
            (Status::PendingRequester, 20),
            (Status::PendingVendor, 10),
        ]),
        Some(_) => Status::Closed,
    };

    let (requester, requester_name, org) = if monitoring {
        (cast.monitoring, "Monitoring".to_string(), None)
    } else {
        let (id, name, org) = &cast.requesters[rng.zipf(cast.requesters.len())];
        (*id, name.clone(), Some(*org))
    };
    let colleague = &cast.requesters[rng.below(cast.requesters.len() as u64) as usize].1;
    let (company, domain) = match org {
        Some(o) => (cast.orgs[o].1.as_str(), cast.orgs[o].2.as_str()),
        None => ("Monitoring", "desk.example"),
    };
    let team_index = if rng.chance(0.15) { 0 } else { topic.team };
    let team_techs = &cast.techs[team_index];
    let (tech, tech_name) = team_techs[rng.zipf(team_techs.len())].clone();

    let channel = if monitoring {
        Channel::Api
    } else {
        rng.weighted(&[
            (Channel::Email, 55),
            (Channel::Portal, 30),
            (Channel::Phone, 9),
            (Channel::WalkIn, 3),
            (Channel::Agent, 3),
        ])
    };
    let impact = rng.weighted(&[(Impact::High, 10), (Impact::Medium, 50), (Impact::Low, 40)]);
    let urgency = if rng.chance(0.7) {
        topic.urgency
    } else {
        rng.weighted(&[(Urgency::High, 1), (Urgency::Medium, 2), (Urgency::Low, 2)])
    };
    let priority = Priority::from_matrix(impact, urgency);
    let ticket_type = if rng.chance(0.05) {
        rng.weighted(&[(TicketType::Problem, 1), (TicketType::Change, 1)])
    } else {
        topic.ticket_type
    };

    let mut w = Writer {
        rng,
        colleague,
        company,
        domain,
    };
    let subject = w.subject(topic);
    let mut life = Life {
        messages: Vec::new(),
        events: vec![(0, Some(requester), EventAction::Created, None)],
        status: Status::New,
    };
    life.messages.push((
        0,
        Some(requester),
        MessageKind::Public,
        false,
        w.first_message(topic, &requester_name),
    ));

    let mut t = 0i64;
    let mut first_response = None;
    let mut resolved = None;
    let mut reopens = 0;
    let mut assigned = false;
    if target != Status::New {
        // Picked up: assigned and opened.
        t += match priority {
            Priority::Critical => w.rng.between(2, 15) * MINUTE,
            Priority::High => w.rng.between(5, 60) * MINUTE,
            _ => w.rng.between(10, 8 * 60) * MINUTE,
        };
        assigned = true;
        life.events
            .push((t, Some(tech), EventAction::Changed, None));
        life.status(t, Some(tech), Status::Open);
        // Back and forth: most tickets need one question or none; a few need many.
        let rounds = if w.rng.chance(0.01) {
            w.rng.between(8, 24)
        } else {
            w.rng.weighted(&[(0, 30), (1, 40), (2, 20), (3, 10)])
        };
        let solved = matches!(target, Status::Resolved | Status::Closed);
        for round in 0..rounds {
            if w.rng.chance(0.2) {
                let note = w.note(topic);
                life.message(t, tech, MessageKind::Internal, true, note);
                t += w.rng.between(1, 30) * MINUTE;
            }
            let q = w.question(topic, &requester_name, &tech_name);
            life.message(t, tech, MessageKind::Public, true, q);
            first_response.get_or_insert(t);
            let last = round + 1 == rounds;
            if last && target == Status::PendingRequester {
                life.status(t, Some(tech), Status::PendingRequester);
                break;
            }
            if w.rng.chance(0.5) {
                life.status(t, Some(tech), Status::PendingRequester);
            }
            t += w.rng.between(10, 26 * 60) * MINUTE;
            let a = w.answer(topic, &requester_name);
            life.message(t, requester, MessageKind::Public, false, a);
            life.status(t, Some(requester), Status::Open);
            t += w.rng.between(5, 6 * 60) * MINUTE;
        }
        if target == Status::PendingVendor {
            let note = w.note(topic);
            life.message(t, tech, MessageKind::Internal, true, note);
            life.status(t, Some(tech), Status::PendingVendor);
        }
        if solved {
            let attempts = if w.rng.chance(0.04) { 2 } else { 1 };
            for attempt in 0..attempts {
                if w.rng.chance(0.3) {
                    let note = w.note(topic);
                    life.message(t, tech, MessageKind::Internal, true, note);
                    t += w.rng.between(1, 20) * MINUTE;
                }
                let fix = w.fix(topic, &requester_name, &tech_name);
                life.message(t, tech, MessageKind::Public, true, fix);
                first_response.get_or_insert(t);
                life.status(t, Some(tech), Status::Resolved);
                resolved = Some(t);
                if attempt + 1 < attempts {
                    // It was not fixed after all: the requester's reply reopens it.
                    t += w.rng.between(30, 2 * 24 * 60) * MINUTE;
                    let again =
                        "Sorry, it is still not working for me. Same as before.".to_string();
                    life.message(t, requester, MessageKind::Public, false, again);
                    life.status(t, Some(requester), Status::Open);
                    reopens += 1;
                    t += w.rng.between(30, 24 * 60) * MINUTE;
                } else if !monitoring && w.rng.chance(0.3) {
                    let thanks = w.thanks(&requester_name);
                    // A thank-you after solving does not reopen (it is stored on the resolved ticket).
                    life.messages.push((
                        t + w.rng.between(5, 120) * MINUTE,
                        Some(requester),
                        MessageKind::Public,
                        false,
                        thanks,
                    ));
                }
            }
            if target == Status::Closed {
                t += 7 * DAY;
                life.status(t, None, Status::Closed);
            }
        }
    }

    // Fit the life before now: a ticket of yesterday cannot have a week of conversation.
    let room = (now_s - MINUTE - created).max(1);
    let last = life
        .messages
        .iter()
        .map(|m| m.0)
        .chain(life.events.iter().map(|e| e.0))
        .max()
        .unwrap_or(0);
    let fit = |off: i64| -> Timestamp {
        let off = if last > room {
            (off as i128 * room as i128 / last as i128) as i64
        } else {
            off
        };
        Timestamp::from_second(created + off).unwrap_or(Timestamp::UNIX_EPOCH)
    };
    // What the clocks and reports see: status changes and public messages, in order.
    let mut timeline = steward_domain::sla::Timeline {
        created_at: fit(0),
        statuses: std::iter::once((fit(0), Status::New))
            .chain(
                life.events
                    .iter()
                    .filter_map(|(at, _, _, change)| change.map(|(_, to)| (fit(*at), to))),
            )
            .collect(),
        messages: life
            .messages
            .iter()
            .filter(|m| m.2 == MessageKind::Public)
            .map(|m| (fit(m.0), m.3))
            .collect(),
    };
    timeline.messages.sort_by_key(|m| m.0);
    let email = channel == Channel::Email;
    let messages: Vec<LoadMessage> = life
        .messages
        .into_iter()
        .map(|(at, author, kind, staff, body)| LoadMessage {
            author_id: author,
            kind,
            channel: (email && !staff).then_some(Channel::Email),
            body,
            created_at: fit(at),
        })
        .collect();
    let events: Vec<LoadEvent> = life
        .events
        .into_iter()
        .map(|(at, actor, action, change)| {
            let (field, old, new) = match (action, change) {
                (EventAction::Changed, Some((from, to))) => (
                    Some(Field::Status),
                    Some(from.as_str().to_string()),
                    Some(to.as_str().to_string()),
                ),
                (EventAction::Changed, None) => {
                    (Some(Field::Assignee), None, Some(tech.0.to_string()))
                }
                _ => (None, None, None),
            };
            LoadEvent {
                actor_id: actor,
                at: fit(at),
                action,
                field,
                old,
                new,
            }
        })
        .collect();
    let updated = messages
        .iter()
        .map(|m| m.created_at)
        .chain(events.iter().map(|e| e.at))
        .max()
        .unwrap_or_else(|| fit(0));
    let closed_at = (life.status == Status::Closed).then(|| fit(t));
    let rng = w.rng;
    let mut tags: Vec<String> = Vec::new();
    if rng.chance(0.4) {
        tags.push((*rng.pick(topic.tags)).to_string());
    }
    if rng.chance(0.05) {
        tags.push("vip".into());
    }
    tags.sort();
    tags.dedup();
    let status = life.status;
    let first_responded_at = first_response.map(fit);
    let resolved_at = if matches!(status, Status::Resolved | Status::Closed) {
        resolved.map(fit)
    } else {
        None
    };
    let measures = (first_responded_at.is_some() || resolved_at.is_some()).then(|| {
        let always = steward_domain::calendar::Calendar::always();
        let (cal, pause, clocks) = match &cast.levels {
            Some((rules, cal)) => (
                cal,
                rules.pause_in.as_slice(),
                steward_domain::sla::clocks(rules, priority, cal, &timeline, now),
            ),
            None => (&always, &[Status::PendingRequester][..], Vec::new()),
        };
        steward_domain::kpi::measure(
            &timeline,
            cal,
            pause,
            first_responded_at,
            status,
            resolved_at,
            &clocks,
        )
    });
    let survey = match resolved_at {
        Some(at) if !monitoring => survey(rng, at, now, reopens),
        _ => None,
    };
    // The survey in the history: sent by Steward, rated by the requester.
    let mut events = events;
    if let Some(s) = &survey {
        events.push(LoadEvent {
            actor_id: None,
            at: s.sent_at,
            action: EventAction::SurveySent,
            field: None,
            old: None,
            new: None,
        });
        if let (Some(r), Some(at)) = (s.rating, s.rated_at) {
            events.push(LoadEvent {
                actor_id: Some(requester),
                at,
                action: EventAction::Rated,
                field: Some(Field::Rating),
                old: None,
                new: Some(r.to_string()),
            });
        }
        events.sort_by_key(|e| e.at);
    }
    LoadTicket {
        ticket: NewTicket {
            ticket_type,
            subject,
            status: life.status,
            impact,
            urgency,
            priority,
            category_id: cast.categories.get(topic.category).copied(),
            requester_id: requester,
            organisation_id: org.map(|o| cast.orgs[o].0),
            team_id: Some(cast.teams[team_index]),
            assignee_id: assigned.then_some(tech),
            channel,
            tags,
        },
        created_at: fit(0),
        updated_at: updated,
        first_responded_at,
        resolved_at,
        closed_at,
        reopen_count: reopens,
        messages,
        events,
        measures,
        survey,
    }
}

/// Comments requesters leave with a rating, by how satisfied they are.
const HAPPY: [&str; 5] = [
    "Quick and friendly, thank you!",
    "Solved on the first try. Great service.",
    "Thanks for explaining what went wrong.",
    "Very helpful, as always.",
    "Fast response, problem gone.",
];
const UNHAPPY: [&str; 5] = [
    "It took far too long to get an answer.",
    "I had to explain the problem three times.",
    "The fix did not last; it came back the next day.",
    "Nobody told me what was happening for days.",
    "Closed without asking me if it worked.",
];

/// The survey of a resolution an hour later, answered by about a third of requesters (less
/// happily when the ticket had to be reopened); `None` when it would be sent after `now`.
fn survey(
    rng: &mut Rng,
    resolved_at: Timestamp,
    now: Timestamp,
    reopens: i64,
) -> Option<LoadSurvey> {
    let sent_at = resolved_at
        .checked_add(jiff::SignedDuration::from_hours(1))
        .ok()?;
    if sent_at >= now {
        return None;
    }
    let token_hash = format!(
        "{:016x}{:016x}{:016x}{:016x}",
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64()
    );
    let (rating, comment, rated_at) = if rng.chance(0.3) {
        let r: u8 = if reopens > 0 {
            rng.weighted(&[(5, 20), (4, 25), (3, 20), (2, 20), (1, 15)])
        } else {
            rng.weighted(&[(5, 52), (4, 27), (3, 9), (2, 6), (1, 6)])
        };
        let comment = if rng.chance(0.25) {
            let pool = if r >= 4 { &HAPPY } else { &UNHAPPY };
            rng.text(pool).to_string()
        } else {
            String::new()
        };
        let after = jiff::SignedDuration::from_mins(rng.between(2, 48 * 60));
        let at = sent_at.checked_add(after).unwrap_or(sent_at).min(now);
        (Some(r), comment, Some(at))
    } else {
        (None, String::new(), None)
    };
    Some(LoadSurvey {
        resolved_at,
        sent_at,
        token_hash,
        rating,
        comment,
        rated_at,
    })
}

#[cfg(test)]
mod tests;
