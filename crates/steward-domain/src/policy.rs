//! The one place that decides who may do what. Every use case asks [`check`] (or takes a
//! [`TicketScope`] from [`ticket_scope`] for lists) before it reads or writes anything.
//!
//! | action                         | admin | manager | technician | requester                       |
//! |--------------------------------|-------|---------|------------|---------------------------------|
//! | see a ticket                   | all   | all     | all        | own; organisation's if granted  |
//! | create a ticket                | any requester | any | any     | for themselves                  |
//! | edit ticket fields, add notes  | yes   | yes     | yes        | no                              |
//! | reply publicly, mark resolved  | yes   | yes     | yes        | on tickets they see             |

//! | see internal notes and history | yes   | yes     | yes        | no                              |
//! | see people                     | all   | all     | all        | themselves                      |
//! | manage people                  | yes   | no      | no         | no                              |
//! | see organisations              | all   | all     | all        | their own                       |
//! | manage organisations, teams, categories | yes | yes | no      | no                              |
//! | see teams                      | yes   | yes     | yes        | no                              |
//! | see categories                 | yes   | yes     | yes        | yes                             |
//! | manage API tokens              | anyone's | own  | own        | own                             |
//! | use canned responses, save views | yes  | yes     | yes        | no                              |
//! | write canned responses         | yes   | yes     | no         | no                              |
//! | quarantined mail               | yes   | no      | no         | no                              |
//! | reports, ratings and comments  | yes   | yes     | yes        | own ticket's rating             |
//! | put in the suggestion box      | yes   | yes     | yes        | yes                             |
//! | read and answer suggestions    | yes   | yes     | no         | their own (read)                |
//!
//! Something a requester may not even see is reported as not found, so that ids cannot be probed.

use crate::{Actor, OrgId, PersonId, Role};

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The actor may see the thing but not do this to it (403).
    Forbidden,
    /// The actor may not know the thing exists (404).
    NotFound,
}

/// Whose ticket it is: all that access decisions need to know about a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketOwner {
    pub requester_id: PersonId,
    pub organisation_id: Option<OrgId>,
}

/// Something an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewTicket(TicketOwner),
    /// Create a ticket whose requester is this person.
    CreateTicketFor(PersonId),
    EditTicket(TicketOwner),
    ReplyToTicket(TicketOwner),
    /// Say the problem is solved (the requester may, for tickets they see).
    MarkResolved(TicketOwner),
    AddNote(TicketOwner),
    ViewHistory(TicketOwner),
    ListPeople,
    ViewPerson(PersonId),
    ManagePeople,
    ListOrganisations,
    ViewOrganisation(OrgId),
    ManageOrganisations,
    ViewTeams,
    ManageTeams,
    ViewCategories,
    ManageCategories,
    ManageTokensOf(PersonId),
    /// Read and insert canned responses.
    UseCannedResponses,
    /// Write canned responses.
    ManageCannedResponses,
    /// Keep one's own saved views of the queues.
    SaveViews,
    /// See and handle quarantined mail (it may hold anyone's data).
    ManageMail,
    /// See business calendars and SLA policies (staff).
    ViewServiceLevels,
    /// Write business calendars and SLA policies.
    ManageServiceLevels,
    /// See the scheduler's failed jobs.
    ViewFailedJobs,
    /// See KPI reports and the dashboard, satisfaction ratings and comments (staff).
    ViewReports,
    /// Put feedback in the suggestion box (anyone signed in as a person).
    SubmitSuggestion,
    /// Read every suggestion and answer it.
    ManageSuggestions,
    /// See a person's sign-in sessions and end them (their own; administrators anyone's).
    ManageSessionsOf(PersonId),
    /// Read and export the audit log.
    ViewAuditLog,
}

/// Which tickets an actor may see, for queries over many tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketScope {
    /// Every ticket (staff).
    All,
    /// Tickets whose requester is `person`, and, if `organisation` is set, every ticket of it.
    Requester {
        person: PersonId,
        organisation: Option<OrgId>,
    },
}

/// The tickets `actor` may see.
pub fn ticket_scope(actor: &Actor) -> TicketScope {
    if actor.is_staff() {
        return TicketScope::All;
    }
    match actor.person_id {
        Some(person) => TicketScope::Requester {
            person,
            organisation: actor.organisation_id.filter(|_| actor.org_access),
        },
        // A requester actor always has a person; without one, see only what nobody requested.
        None => TicketScope::Requester {
            person: PersonId(-1),
            organisation: None,
        },
    }
}

impl TicketScope {
    /// Whether a ticket with this owner is inside the scope.
    pub fn contains(&self, owner: TicketOwner) -> bool {
        match *self {
            TicketScope::All => true,
            TicketScope::Requester {
                person,
                organisation,
            } => {
                owner.requester_id == person
                    || (organisation.is_some() && owner.organisation_id == organisation)
            }
        }
    }
}

fn allow_if(ok: bool) -> Result<(), Denied> {
    if ok {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

/// Decides whether `actor` may do `action`.
pub fn check(actor: &Actor, action: Action) -> Result<(), Denied> {
    let staff = actor.is_staff();
    let runs_desk = matches!(actor.role, Role::Admin | Role::Manager);
    let sees = |owner: TicketOwner| {
        if ticket_scope(actor).contains(owner) {
            Ok(())
        } else {
            Err(Denied::NotFound)
        }
    };
    match action {
        Action::ViewTicket(owner) | Action::ReplyToTicket(owner) | Action::MarkResolved(owner) => {
            sees(owner)
        }
        Action::EditTicket(owner) | Action::AddNote(owner) | Action::ViewHistory(owner) => {
            sees(owner)?;
            allow_if(staff)
        }
        Action::CreateTicketFor(requester) => allow_if(staff || actor.person_id == Some(requester)),
        Action::ListPeople => allow_if(staff),
        Action::ViewPerson(id) => {
            if staff || actor.person_id == Some(id) {
                Ok(())
            } else {
                Err(Denied::NotFound)
            }
        }
        Action::ManagePeople | Action::ManageMail | Action::ViewFailedJobs => {
            allow_if(actor.role == Role::Admin)
        }
        Action::ListOrganisations => allow_if(staff),
        Action::ViewOrganisation(id) => {
            if staff || actor.organisation_id == Some(id) {
                Ok(())
            } else {
                Err(Denied::NotFound)
            }
        }
        Action::ManageOrganisations
        | Action::ManageTeams
        | Action::ManageCategories
        | Action::ManageServiceLevels => allow_if(runs_desk),
        Action::ViewServiceLevels => allow_if(staff),
        Action::ViewTeams | Action::UseCannedResponses | Action::SaveViews => allow_if(staff),
        Action::ManageCannedResponses => allow_if(runs_desk),
        Action::ViewCategories => Ok(()),
        Action::ViewReports => allow_if(staff),
        Action::SubmitSuggestion => allow_if(actor.person_id.is_some()),
        Action::ManageSuggestions => allow_if(runs_desk),
        Action::ManageTokensOf(id) | Action::ManageSessionsOf(id) => {
            allow_if(actor.role == Role::Admin || actor.person_id == Some(id))
        }
        Action::ViewAuditLog => allow_if(actor.role == Role::Admin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, id: i64, org: Option<i64>, org_access: bool) -> Actor {
        Actor {
            person_id: Some(PersonId(id)),
            role,
            organisation_id: org.map(OrgId),
            org_access,
        }
    }

    fn owner(requester: i64, org: Option<i64>) -> TicketOwner {
        TicketOwner {
            requester_id: PersonId(requester),
            organisation_id: org.map(OrgId),
        }
    }

    #[test]
    fn requesters_see_own_tickets_and_their_organisations_only_when_granted() {
        let alice = actor(Role::Requester, 1, Some(10), false);
        let bob_shared = actor(Role::Requester, 2, Some(10), true);
        let eve = actor(Role::Requester, 3, Some(20), true);

        let alices_ticket = owner(1, Some(10));
        assert_eq!(check(&alice, Action::ViewTicket(alices_ticket)), Ok(()));
        assert_eq!(
            check(&bob_shared, Action::ViewTicket(alices_ticket)),
            Ok(())
        );
        assert_eq!(
            check(&eve, Action::ViewTicket(alices_ticket)),
            Err(Denied::NotFound)
        );

        let bobs_ticket = owner(2, Some(10));
        assert_eq!(
            check(&alice, Action::ViewTicket(bobs_ticket)),
            Err(Denied::NotFound)
        );
        // Organisation access never extends to tickets without an organisation.
        let no_org = actor(Role::Requester, 4, None, true);
        assert_eq!(
            check(&no_org, Action::ViewTicket(owner(5, None))),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn reports_are_for_staff_and_suggestions_are_answered_by_those_who_run_the_desk() {
        let requester = actor(Role::Requester, 1, Some(10), true);
        let tech = actor(Role::Technician, 2, None, false);
        let manager = actor(Role::Manager, 3, None, false);
        assert_eq!(
            check(&requester, Action::ViewReports),
            Err(Denied::Forbidden)
        );
        assert_eq!(check(&tech, Action::ViewReports), Ok(()));
        assert_eq!(check(&requester, Action::SubmitSuggestion), Ok(()));
        assert_eq!(
            check(&tech, Action::ManageSuggestions),
            Err(Denied::Forbidden)
        );
        assert_eq!(check(&manager, Action::ManageSuggestions), Ok(()));
        // Steward itself (no person) has no suggestions to make.
        assert_eq!(
            check(&Actor::system(), Action::SubmitSuggestion),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn requesters_reply_but_never_edit_note_or_read_history() {
        let alice = actor(Role::Requester, 1, Some(10), false);
        let own = owner(1, Some(10));
        assert_eq!(check(&alice, Action::ReplyToTicket(own)), Ok(()));
        for a in [
            Action::EditTicket(own),
            Action::AddNote(own),
            Action::ViewHistory(own),
        ] {
            assert_eq!(check(&alice, a), Err(Denied::Forbidden), "{a:?}");
        }
        // On a ticket they cannot see, the answer is "not found", whatever the action.
        let other = owner(9, Some(20));
        for a in [
            Action::ViewTicket(other),
            Action::ReplyToTicket(other),
            Action::EditTicket(other),
            Action::AddNote(other),
            Action::ViewHistory(other),
        ] {
            assert_eq!(check(&alice, a), Err(Denied::NotFound), "{a:?}");
        }
    }

    #[test]
    fn staff_matrix() {
        let t = owner(1, Some(10));
        let roles = [Role::Admin, Role::Manager, Role::Technician];
        for role in roles {
            let a = actor(role, 100, None, false);
            for act in [
                Action::ViewTicket(t),
                Action::EditTicket(t),
                Action::AddNote(t),
                Action::ViewHistory(t),
                Action::CreateTicketFor(PersonId(1)),
                Action::ListPeople,
                Action::ViewPerson(PersonId(1)),
                Action::ListOrganisations,
                Action::ViewOrganisation(OrgId(10)),
                Action::ViewTeams,
                Action::ViewCategories,
                Action::ManageTokensOf(PersonId(100)),
            ] {
                assert_eq!(check(&a, act), Ok(()), "{role:?} {act:?}");
            }
        }
        let expect = |role, act, ok: bool| {
            let a = actor(role, 100, None, false);
            assert_eq!(check(&a, act).is_ok(), ok, "{role:?} {act:?}");
        };
        for act in [
            Action::ManageOrganisations,
            Action::ManageTeams,
            Action::ManageCategories,
            Action::ManageServiceLevels,
        ] {
            expect(Role::Admin, act, true);
            expect(Role::Manager, act, true);
            expect(Role::Technician, act, false);
            expect(Role::Requester, act, false);
        }
        expect(Role::Admin, Action::ManagePeople, true);
        expect(Role::Admin, Action::ViewAuditLog, true);
        expect(Role::Manager, Action::ViewAuditLog, false);
        expect(Role::Technician, Action::ViewAuditLog, false);
        expect(Role::Requester, Action::ViewAuditLog, false);
        expect(Role::Admin, Action::ManageSessionsOf(PersonId(1)), true);
        expect(Role::Manager, Action::ManageSessionsOf(PersonId(1)), false);
        expect(Role::Manager, Action::ManagePeople, false);
        expect(Role::Admin, Action::ManageTokensOf(PersonId(1)), true);
        expect(Role::Manager, Action::ManageTokensOf(PersonId(1)), false);
    }

    #[test]
    fn requesters_and_directory_data() {
        let alice = actor(Role::Requester, 1, Some(10), true);
        assert_eq!(check(&alice, Action::ViewPerson(PersonId(1))), Ok(()));
        assert_eq!(
            check(&alice, Action::ViewPerson(PersonId(2))),
            Err(Denied::NotFound)
        );
        assert_eq!(check(&alice, Action::ListPeople), Err(Denied::Forbidden));
        assert_eq!(check(&alice, Action::ViewOrganisation(OrgId(10))), Ok(()));
        assert_eq!(
            check(&alice, Action::ViewOrganisation(OrgId(20))),
            Err(Denied::NotFound)
        );
        assert_eq!(
            check(&alice, Action::ListOrganisations),
            Err(Denied::Forbidden)
        );
        assert_eq!(check(&alice, Action::ViewTeams), Err(Denied::Forbidden));
        assert_eq!(check(&alice, Action::ViewCategories), Ok(()));
        assert_eq!(check(&alice, Action::CreateTicketFor(PersonId(1))), Ok(()));
        assert_eq!(
            check(&alice, Action::CreateTicketFor(PersonId(2))),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            check(&alice, Action::ManageTokensOf(PersonId(2))),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn the_system_actor_is_staff() {
        assert_eq!(ticket_scope(&Actor::system()), TicketScope::All);
    }
}
