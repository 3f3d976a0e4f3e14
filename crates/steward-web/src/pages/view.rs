//! How domain values read on a page: labels, dates, and the rows of lists.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use steward_domain::{
    Channel, Impact, Named, Person, PersonId, Priority, Status, TeamId, Ticket, TicketType, Urgency,
};

pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::New => "New",
        Status::Open => "Open",
        Status::PendingRequester => "Waiting for requester",
        Status::PendingVendor => "Waiting for vendor",
        Status::Resolved => "Resolved",
        Status::Closed => "Closed",
    }
}

pub fn priority_label(p: Priority) -> &'static str {
    match p {
        Priority::Critical => "Critical",
        Priority::High => "High",
        Priority::Medium => "Medium",
        Priority::Low => "Low",
    }
}

pub fn level_label(rank: i64) -> &'static str {
    match rank {
        1 => "High",
        2 => "Medium",
        _ => "Low",
    }
}

pub fn type_label(t: TicketType) -> &'static str {
    match t {
        TicketType::Incident => "Incident",
        TicketType::ServiceRequest => "Service request",
        TicketType::Problem => "Problem",
        TicketType::Change => "Change",
    }
}

pub fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Email => "E-mail",
        Channel::Portal => "Portal",
        Channel::Api => "API",
        Channel::Phone => "Phone",
        Channel::WalkIn => "Walk-in",
        Channel::Agent => "Agent",
    }
}

/// An option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Choice {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

pub fn status_choices(current: Option<Status>) -> Vec<Choice> {
    Status::ALL
        .iter()
        .map(|&s| Choice::new(s.as_str(), status_label(s), Some(s) == current))
        .collect()
}

pub fn priority_choices(current: Option<Priority>) -> Vec<Choice> {
    Priority::ALL
        .iter()
        .map(|&p| Choice::new(p.as_str(), priority_label(p), Some(p) == current))
        .collect()
}

pub fn impact_choices(current: Impact) -> Vec<Choice> {
    Impact::ALL
        .iter()
        .map(|&i| Choice::new(i.as_str(), level_label(i.rank()), i == current))
        .collect()
}

pub fn urgency_choices(current: Urgency) -> Vec<Choice> {
    Urgency::ALL
        .iter()
        .map(|&u| Choice::new(u.as_str(), level_label(u.rank()), u == current))
        .collect()
}

pub fn type_choices(current: Option<TicketType>) -> Vec<Choice> {
    TicketType::ALL
        .iter()
        .map(|&t| Choice::new(t.as_str(), type_label(t), Some(t) == current))
        .collect()
}

/// An instant for people: "2026-03-02 09:15 UTC".
pub fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// How long ago, roughly: "just now", "5 min ago", "3 h ago", "2 d ago".
pub fn ago(t: Timestamp, now: Timestamp) -> String {
    let d = t.duration_until(now);
    if d < SignedDuration::from_mins(1) {
        "just now".into()
    } else if d < SignedDuration::from_hours(1) {
        format!("{} min ago", d.as_mins())
    } else if d < SignedDuration::from_hours(48) {
        format!("{} h ago", d.as_hours())
    } else {
        format!("{} d ago", d.as_hours() / 24)
    }
}

/// How far an instant is: "in 25 min", "in 3 h", "in 2 d", or "overdue 10 min".
pub fn until(t: Timestamp, now: Timestamp) -> String {
    let d = now.duration_until(t);
    let span = |d: SignedDuration| {
        if d < SignedDuration::from_hours(1) {
            format!("{} min", d.as_mins().max(1))
        } else if d < SignedDuration::from_hours(48) {
            format!("{} h", d.as_hours())
        } else {
            format!("{} d", d.as_hours() / 24)
        }
    };
    if d.is_positive() {
        format!("in {}", span(d))
    } else {
        format!("overdue {}", span(-d))
    }
}

/// Names of people and teams, looked up once per page.
#[derive(Debug, Default)]
pub struct Names {
    pub people: HashMap<PersonId, String>,
    pub teams: HashMap<TeamId, String>,
}

impl Names {
    pub fn add_people(&mut self, people: Vec<Person>) {
        for p in people {
            self.people.insert(p.id, p.name);
        }
    }

    pub fn person(&self, id: Option<PersonId>) -> String {
        match id {
            Some(id) => self
                .people
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("#{id}")),
            None => String::new(),
        }
    }

    pub fn team(&self, id: Option<TeamId>) -> String {
        match id {
            Some(id) => self
                .teams
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("#{id}")),
            None => String::new(),
        }
    }
}

/// A ticket as a row of a list.
#[derive(Debug, Clone)]
pub struct TicketRow {
    pub number: i64,
    pub subject: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub priority: &'static str,
    pub priority_label: &'static str,
    pub requester: String,
    pub assignee: String,
    pub team: String,
    pub tags: Vec<String>,
    pub updated: String,
    pub updated_exact: String,
    /// The soonest service-level due instant: "in 2 h", "overdue 15 min".
    pub due: Option<String>,
    pub due_exact: String,
    /// "due-over", "due-soon" (within an hour) or "due-ok".
    pub due_class: &'static str,
}

impl TicketRow {
    pub fn new(t: &Ticket, names: &Names, now: Timestamp) -> Self {
        TicketRow {
            number: t.number,
            subject: t.subject.clone(),
            status: t.status.as_str(),
            status_label: status_label(t.status),
            priority: t.priority.as_str(),
            priority_label: priority_label(t.priority),
            requester: names.person(Some(t.requester_id)),
            assignee: names.person(t.assignee_id),
            team: names.team(t.team_id),
            tags: t.tags.clone(),
            updated: ago(t.updated_at, now),
            updated_exact: when(t.updated_at),
            due: t.sla_due_at.map(|d| until(d, now)),
            due_exact: t.sla_due_at.map(when).unwrap_or_default(),
            due_class: match t.sla_due_at {
                Some(d) if d <= now => "due-over",
                Some(d) if now.duration_until(d) <= SignedDuration::from_hours(1) => "due-soon",
                _ => "due-ok",
            },
        }
    }
}
