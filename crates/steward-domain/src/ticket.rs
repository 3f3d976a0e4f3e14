//! Tickets: their types, the status state machine, the impact × urgency priority matrix, and how a
//! change or a message alters a ticket (returning the history entries it produced).

use serde::{Deserialize, Serialize};

use crate::{
    validate, CategoryId, DomainError, Named, OrgId, PersonId, TeamId, TicketId, Timestamp,
};

/// What kind of work a ticket is (ITIL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketType {
    Incident,
    ServiceRequest,
    Problem,
    Change,
}

impl Named for TicketType {
    const ALL: &'static [Self] = &[
        TicketType::Incident,
        TicketType::ServiceRequest,
        TicketType::Problem,
        TicketType::Change,
    ];
    const WHAT: &'static str = "type";
    fn as_str(self) -> &'static str {
        match self {
            TicketType::Incident => "incident",
            TicketType::ServiceRequest => "service_request",
            TicketType::Problem => "problem",
            TicketType::Change => "change",
        }
    }
}

/// Where a ticket stands.
///
/// ```text
///  new ──► open ◄──► pending_requester / pending_vendor
///   │       │  ▲             │
///   ▼       ▼  │ (reopen)    ▼
///   └────► resolved ───────► closed   (closed is final)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nobody on staff has acted on it yet.
    New,
    /// Being worked on.
    Open,
    /// Waiting for the requester to answer (SLA clocks pause here by default).
    PendingRequester,
    /// Waiting for a third party.
    PendingVendor,
    /// Fixed; the requester may still answer, which reopens it.
    Resolved,
    /// Final. A later message starts a new ticket.
    Closed,
}

impl Named for Status {
    const ALL: &'static [Self] = &[
        Status::New,
        Status::Open,
        Status::PendingRequester,
        Status::PendingVendor,
        Status::Resolved,
        Status::Closed,
    ];
    const WHAT: &'static str = "status";
    fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::PendingRequester => "pending_requester",
            Status::PendingVendor => "pending_vendor",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }
}

impl Status {
    /// Whether a ticket may move from `self` to `to`. Staying put is not a transition.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        match (self, to) {
            (a, b) if a == b => false,
            // Nothing goes back to "new", and nothing leaves "closed".
            (_, New) | (Closed, _) => false,
            // A resolved ticket is either reopened or closed; it does not wait on anyone.
            (Resolved, Open | Closed) => true,
            (Resolved, _) => false,
            (New | Open | PendingRequester | PendingVendor, _) => true,
        }
    }

    /// Open work: everything but resolved and closed.
    pub fn is_active(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }
}

/// How widely an issue affects the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    High = 1,
    Medium = 2,
    Low = 3,
}

/// How soon the business needs it fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    High = 1,
    Medium = 2,
    Low = 3,
}

/// The order in which tickets are worked. Lower rank is more important.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Critical = 1,
    High = 2,
    Medium = 3,
    Low = 4,
}

impl Named for Impact {
    const ALL: &'static [Self] = &[Impact::High, Impact::Medium, Impact::Low];
    const WHAT: &'static str = "impact";
    fn as_str(self) -> &'static str {
        level_name(self as i64)
    }
}

impl Named for Urgency {
    const ALL: &'static [Self] = &[Urgency::High, Urgency::Medium, Urgency::Low];
    const WHAT: &'static str = "urgency";
    fn as_str(self) -> &'static str {
        level_name(self as i64)
    }
}

fn level_name(rank: i64) -> &'static str {
    match rank {
        1 => "high",
        2 => "medium",
        _ => "low",
    }
}

impl Named for Priority {
    const ALL: &'static [Self] = &[
        Priority::Critical,
        Priority::High,
        Priority::Medium,
        Priority::Low,
    ];
    const WHAT: &'static str = "priority";
    fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }
}

/// Ranks (1 = most important) as stored in the database, so that sorting by rank sorts by importance.
macro_rules! ranked {
    ($t:ty) => {
        impl $t {
            pub fn rank(self) -> i64 {
                self as i64
            }
            pub fn from_rank(rank: i64) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.rank() == rank)
            }
        }
    };
}
ranked!(Impact);
ranked!(Urgency);
ranked!(Priority);

impl Priority {
    /// The impact × urgency matrix:
    ///
    /// | impact \ urgency | high     | medium | low    |
    /// |------------------|----------|--------|--------|
    /// | high             | critical | high   | medium |
    /// | medium           | high     | medium | low    |
    /// | low              | medium   | low    | low    |
    pub fn from_matrix(impact: Impact, urgency: Urgency) -> Priority {
        match impact.rank() + urgency.rank() {
            2 => Priority::Critical,
            3 => Priority::High,
            4 => Priority::Medium,
            _ => Priority::Low,
        }
    }
}

/// How a ticket reached the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Portal,
    Api,
    Phone,
    WalkIn,
    Agent,
}

impl Named for Channel {
    const ALL: &'static [Self] = &[
        Channel::Email,
        Channel::Portal,
        Channel::Api,
        Channel::Phone,
        Channel::WalkIn,
        Channel::Agent,
    ];
    const WHAT: &'static str = "channel";
    fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Portal => "portal",
            Channel::Api => "api",
            Channel::Phone => "phone",
            Channel::WalkIn => "walk_in",
            Channel::Agent => "agent",
        }
    }
}

/// A message on a ticket is either seen by the requester or by staff only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A reply the requester sees.
    Public,
    /// An internal note, never shown to requesters.
    Internal,
}

impl Named for MessageKind {
    const ALL: &'static [Self] = &[MessageKind::Public, MessageKind::Internal];
    const WHAT: &'static str = "kind";
    fn as_str(self) -> &'static str {
        match self {
            MessageKind::Public => "public",
            MessageKind::Internal => "internal",
        }
    }
}

/// A ticket as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    /// The number people use ("#1234"); unique, increasing.
    pub number: i64,
    pub ticket_type: TicketType,
    pub subject: String,
    pub status: Status,
    pub impact: Impact,
    pub urgency: Urgency,
    pub priority: Priority,
    pub category_id: Option<CategoryId>,
    pub requester_id: PersonId,
    /// Always the requester's organisation; it decides who else may see the ticket.
    pub organisation_id: Option<OrgId>,
    pub team_id: Option<TeamId>,
    pub assignee_id: Option<PersonId>,
    pub channel: Channel,
    /// Sorted, lower-case, unique.
    pub tags: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_responded_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// How often a resolved ticket was reopened.
    pub reopen_count: i64,
    /// The soonest due instant of its running service-level clocks (kept by the SLA use cases;
    /// `None` without a service level, or while every clock stands still or has stopped).
    pub sla_due_at: Option<Timestamp>,
    /// The requester's latest satisfaction rating (1–5), if they gave one.
    pub rating: Option<u8>,
}

/// The fields of a ticket that history records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Type,
    Subject,
    Status,
    Impact,
    Urgency,
    Priority,
    Category,
    Requester,
    Organisation,
    Team,
    Assignee,
    Tags,
    /// People copied on public replies: `old` is a removed watcher's id, `new` an added one's.
    Watchers,
    /// A service-level target (in an escalation entry: `new` names it).
    ServiceLevel,
    /// The requester's satisfaction rating (1–5).
    Rating,
}

impl Named for Field {
    const ALL: &'static [Self] = &[
        Field::Type,
        Field::Subject,
        Field::Status,
        Field::Impact,
        Field::Urgency,
        Field::Priority,
        Field::Category,
        Field::Requester,
        Field::Organisation,
        Field::Team,
        Field::Assignee,
        Field::Tags,
        Field::Watchers,
        Field::ServiceLevel,
        Field::Rating,
    ];
    const WHAT: &'static str = "field";
    fn as_str(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Subject => "subject",
            Field::Status => "status",
            Field::Impact => "impact",
            Field::Urgency => "urgency",
            Field::Priority => "priority",
            Field::Category => "category",
            Field::Requester => "requester",
            Field::Organisation => "organisation",
            Field::Team => "team",
            Field::Assignee => "assignee",
            Field::Tags => "tags",
            Field::Watchers => "watchers",
            Field::ServiceLevel => "service_level",
            Field::Rating => "rating",
        }
    }
}

/// One field changed from one value to another (values as their stable names or ids). For tags,
/// `old` is a removed tag and `new` an added one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: Field,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A requested change to a ticket's fields. `None` leaves a field alone; for the optional fields,
/// `Some(None)` clears it. References (team, assignee, …) must have been checked to exist by the
/// caller; the domain checks the rules between fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketPatch {
    pub ticket_type: Option<TicketType>,
    pub subject: Option<String>,
    pub status: Option<Status>,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    /// An explicit priority overrides the matrix.
    pub priority: Option<Priority>,
    pub category_id: Option<Option<CategoryId>>,
    /// A new requester also moves the ticket to the requester's organisation (given here).
    pub requester: Option<(PersonId, Option<OrgId>)>,
    pub team_id: Option<Option<TeamId>>,
    pub assignee_id: Option<Option<PersonId>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
}

fn id_str<T: std::fmt::Display>(v: Option<T>) -> Option<String> {
    v.map(|v| v.to_string())
}

impl Ticket {
    /// Applies a patch, returning what changed (empty if nothing did). A closed ticket refuses
    /// every change. On error the ticket is unchanged.
    pub fn apply(
        &mut self,
        patch: TicketPatch,
        now: Timestamp,
    ) -> Result<Vec<Change>, DomainError> {
        let mut next = self.clone();
        let mut changes = Vec::new();
        let mut record = |field, old: Option<String>, new: Option<String>| {
            if old != new {
                changes.push(Change { field, old, new });
            }
        };

        if let Some(t) = patch.ticket_type {
            record(
                Field::Type,
                Some(next.ticket_type.as_str().into()),
                Some(t.as_str().into()),
            );
            next.ticket_type = t;
        }
        if let Some(subject) = patch.subject {
            let subject = validate::subject(&subject)?;
            record(
                Field::Subject,
                Some(next.subject.clone()),
                Some(subject.clone()),
            );
            next.subject = subject;
        }
        if let Some(impact) = patch.impact {
            record(
                Field::Impact,
                Some(next.impact.as_str().into()),
                Some(impact.as_str().into()),
            );
            next.impact = impact;
        }
        if let Some(urgency) = patch.urgency {
            record(
                Field::Urgency,
                Some(next.urgency.as_str().into()),
                Some(urgency.as_str().into()),
            );
            next.urgency = urgency;
        }
        // An explicit priority wins; otherwise a change of impact or urgency re-derives it.
        let priority = match patch.priority {
            Some(p) => Some(p),
            None if patch.impact.is_some() || patch.urgency.is_some() => {
                Some(Priority::from_matrix(next.impact, next.urgency))
            }
            None => None,
        };
        if let Some(p) = priority {
            record(
                Field::Priority,
                Some(next.priority.as_str().into()),
                Some(p.as_str().into()),
            );
            next.priority = p;
        }
        if let Some(c) = patch.category_id {
            record(Field::Category, id_str(next.category_id), id_str(c));
            next.category_id = c;
        }
        if let Some((requester, org)) = patch.requester {
            record(
                Field::Requester,
                id_str(Some(next.requester_id)),
                id_str(Some(requester)),
            );
            record(
                Field::Organisation,
                id_str(next.organisation_id),
                id_str(org),
            );
            next.requester_id = requester;
            next.organisation_id = org;
        }
        if let Some(team) = patch.team_id {
            record(Field::Team, id_str(next.team_id), id_str(team));
            next.team_id = team;
        }
        if let Some(assignee) = patch.assignee_id {
            record(Field::Assignee, id_str(next.assignee_id), id_str(assignee));
            next.assignee_id = assignee;
        }
        for tag in patch.remove_tags {
            let tag = validate::tag(&tag)?;
            if let Ok(i) = next.tags.binary_search(&tag) {
                next.tags.remove(i);
                record(Field::Tags, Some(tag), None);
            }
        }
        for tag in patch.add_tags {
            let tag = validate::tag(&tag)?;
            if let Err(i) = next.tags.binary_search(&tag) {
                next.tags.insert(i, tag.clone());
                record(Field::Tags, None, Some(tag));
            }
        }
        if next.tags.len() > validate::MAX_TAGS {
            return Err(DomainError::invalid(
                "tags",
                format!("a ticket has at most {} tags", validate::MAX_TAGS),
            ));
        }
        if let Some(status) = patch.status {
            if let Some(c) = next.set_status(status, now)? {
                changes.push(c);
            }
        }
        if !changes.is_empty() {
            // A closed ticket is a record of what happened: it no longer changes.
            if self.status == Status::Closed {
                return Err(DomainError::TicketClosed);
            }
            next.updated_at = now;
        }
        *self = next;
        Ok(changes)
    }

    /// Moves the ticket to `to`, keeping the lifecycle instants right. Staying put changes nothing.
    pub fn set_status(
        &mut self,
        to: Status,
        now: Timestamp,
    ) -> Result<Option<Change>, DomainError> {
        let from = self.status;
        if from == to {
            return Ok(None);
        }
        if !from.can_become(to) {
            return Err(DomainError::InvalidTransition { from, to });
        }
        match to {
            Status::Resolved => self.resolved_at = Some(now),
            Status::Closed => self.closed_at = Some(now),
            _ if from == Status::Resolved => {
                self.resolved_at = None;
                self.reopen_count += 1;
            }
            _ => {}
        }
        self.status = to;
        self.updated_at = now;
        Ok(Some(Change {
            field: Field::Status,
            old: Some(from.as_str().into()),
            new: Some(to.as_str().into()),
        }))
    }

    /// Records a new message on the ticket and applies its effect on status:
    ///
    /// - `status`, if given (staff only, "reply and mark pending requester"), is where the ticket goes;
    /// - otherwise a staff public reply moves a new ticket to open, and a requester's reply moves a
    ///   ticket waiting on them, or a resolved one (reopening it), back to open;
    /// - the first public reply by staff sets `first_responded_at`.
    ///
    /// Nothing can be added to a closed ticket.
    pub fn add_message(
        &mut self,
        kind: MessageKind,
        by_staff: bool,
        status: Option<Status>,
        now: Timestamp,
    ) -> Result<Vec<Change>, DomainError> {
        if self.status == Status::Closed {
            return Err(DomainError::TicketClosed);
        }
        let mut next = self.clone();
        let target = match status {
            Some(s) => Some(s),
            None if by_staff && kind == MessageKind::Public && next.status == Status::New => {
                Some(Status::Open)
            }
            None if !by_staff
                && matches!(next.status, Status::PendingRequester | Status::Resolved) =>
            {
                Some(Status::Open)
            }
            None => None,
        };
        let mut changes = Vec::new();
        if let Some(to) = target {
            changes.extend(next.set_status(to, now)?);
        }
        if by_staff && kind == MessageKind::Public && next.first_responded_at.is_none() {
            next.first_responded_at = Some(now);
        }
        next.updated_at = now;
        *self = next;
        Ok(changes)
    }
}

#[cfg(test)]
mod tests;
