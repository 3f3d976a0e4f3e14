//! People and roles, and the `Actor` on whose behalf something is done.

use serde::{Deserialize, Serialize};

use crate::{Named, OrgId, PersonId};

/// What a person may do. Staff roles are ordered: admin ⊃ manager ⊃ technician.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages people, settings and everything else.
    Admin,
    /// Runs the desk: teams, organisations, categories, and every ticket.
    Manager,
    /// Works tickets.
    Technician,
    /// Asks for help; sees only their own requests (and their organisation's, where granted).
    Requester,
}

impl Named for Role {
    const ALL: &'static [Self] = &[
        Role::Admin,
        Role::Manager,
        Role::Technician,
        Role::Requester,
    ];
    const WHAT: &'static str = "role";
    fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Technician => "technician",
            Role::Requester => "requester",
        }
    }
}

impl Role {
    /// Technicians, managers and admins.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Requester)
    }
}

/// Who is acting: a signed-in person, or the system itself (the command line, scheduled jobs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the system.
    pub person_id: Option<PersonId>,
    pub role: Role,
    pub organisation_id: Option<OrgId>,
    /// A requester with organisation access sees every ticket of their organisation.
    pub org_access: bool,
}

impl Actor {
    /// The operator at the command line or a background job: acts with an administrator's rights.
    pub fn system() -> Self {
        Actor {
            person_id: None,
            role: Role::Admin,
            organisation_id: None,
            org_access: false,
        }
    }

    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }
}
