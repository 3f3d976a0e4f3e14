//! The directory: organisations, people, teams and categories.

use crate::{
    CategoryId, MessageId, MessageKind, OrgId, PersonId, Role, TeamId, TicketId, Timestamp,
};

/// A client company (for an MSP) or a department (for an internal IT department).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    /// Short unique name used on the command line and in URLs.
    pub slug: String,
    /// Mail domains whose senders belong to this organisation (lower-case, sorted).
    pub domains: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A requester or a member of staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    /// Lower-case, unique.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Option<OrgId>,
    /// For requesters: sees every ticket of their organisation, not only their own.
    pub org_access: bool,
    /// A deactivated person cannot sign in; their tickets and messages stay.
    pub active: bool,
    /// Whether a password is set (the hash itself never leaves the store's auth queries).
    pub has_password: bool,
    /// Set for the first administrator's one-time secret: the next sign-in must choose a password.
    pub must_change_password: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Person {
    /// The actor this person acts as.
    pub fn actor(&self) -> crate::Actor {
        crate::Actor {
            person_id: Some(self.id),
            role: self.role,
            organisation_id: self.organisation_id,
            org_access: self.org_access,
        }
    }
}

/// A team of staff, which is also a queue of tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A member of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub person_id: PersonId,
    pub lead: bool,
}

/// A ticket category, in a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub parent_id: Option<CategoryId>,
    pub created_at: Timestamp,
}

/// A reply or internal note on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub ticket_id: TicketId,
    /// `None` when the system wrote it.
    pub author_id: Option<PersonId>,
    pub kind: MessageKind,
    pub body: String,
    pub created_at: Timestamp,
}

/// What happened to a ticket, in its append-only history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventAction {
    Created,
    Changed,
    Replied,
    Noted,
    /// A service-level clock reached its warning share (the change names the target).
    SlaWarning,
    /// A service-level clock ran out (the change names the target).
    SlaBreach,
    /// The requester was asked to rate the resolution (by Steward).
    SurveySent,
    /// The requester rated the ticket (the change holds the rating).
    Rated,
}

impl crate::Named for EventAction {
    const ALL: &'static [Self] = &[
        EventAction::Created,
        EventAction::Changed,
        EventAction::Replied,
        EventAction::Noted,
        EventAction::SlaWarning,
        EventAction::SlaBreach,
        EventAction::SurveySent,
        EventAction::Rated,
    ];
    const WHAT: &'static str = "action";
    fn as_str(self) -> &'static str {
        match self {
            EventAction::Created => "created",
            EventAction::Changed => "changed",
            EventAction::Replied => "replied",
            EventAction::Noted => "noted",
            EventAction::SlaWarning => "sla_warning",
            EventAction::SlaBreach => "sla_breach",
            EventAction::SurveySent => "survey_sent",
            EventAction::Rated => "rated",
        }
    }
}

/// One entry of a ticket's history: who did what, when; for a change, which field from what to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub id: i64,
    pub ticket_id: TicketId,
    pub actor_id: Option<PersonId>,
    pub at: Timestamp,
    pub action: EventAction,
    pub change: Option<crate::Change>,
}
