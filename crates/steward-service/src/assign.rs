//! Auto-assignment: a ticket that arrives in a team's queue unassigned (opened for the team, by
//! mail to its mailbox, or moved to it) goes to one of the team's staff who is not away, in turn or
//! to the least busy, as the team is set up. Recorded in the history as done by Steward, and the
//! chosen person is told.

use steward_domain::assign::{self, AssignMode};
use steward_domain::policy::{check, Action};
use steward_domain::{Actor, EventAction, Named, PersonId, TeamId, Ticket, TicketPatch};
use steward_store::Conn;

use crate::error::NotFoundAs;

use crate::notify::StaffEvent;
use crate::{Result, Service, ServiceError};

impl Service {
    /// Hands an unassigned ticket in a team's queue to one of the team, if the team assigns
    /// automatically. Call after the ticket's own change is written, in its transaction.
    pub(crate) async fn auto_assign(&self, tx: &mut Conn, t: &mut Ticket) -> Result<()> {
        let (Some(team), None, true) = (t.team_id, t.assignee_id, t.status.is_active()) else {
            return Ok(());
        };
        let Some((mode, last)) = tx.team_assignment(team).await? else {
            return Ok(());
        };
        let Ok(mode) = AssignMode::parse(&mode) else {
            return Ok(());
        };
        let candidates = tx.assignable_members(team).await?;
        let open = match mode {
            AssignMode::LeastOpen => tx.open_ticket_counts(&candidates).await?,
            AssignMode::RoundRobin => Vec::new(),
        };
        let Some(chosen) = assign::choose(mode, &candidates, last, &open) else {
            return Ok(());
        };
        let now = self.now();
        let changes = t.apply(
            TicketPatch {
                assignee_id: Some(Some(chosen)),
                ..Default::default()
            },
            now,
        )?;
        if changes.is_empty() {
            return Ok(());
        }
        tx.update_ticket(t, false).await?;
        tx.record_history(t.id, None, now, EventAction::Changed, &changes)
            .await?;
        if mode == AssignMode::RoundRobin {
            tx.set_last_assigned(team, chosen).await?;
        }
        self.notify_staff(tx, t, StaffEvent::Assigned(chosen), None, "", now)
            .await?;
        Ok(())
    }

    /// How a team hands out new tickets (`None`: it does not).
    pub async fn team_assignment(&self, actor: &Actor, team: TeamId) -> Result<Option<AssignMode>> {
        check(actor, Action::ViewTeams).map_err(|d| ServiceError::denied(d, "team"))?;
        let mut c = self.store.read().await?;
        c.get_team(team).await.not_found_as("team")?;
        Ok(c.team_assignment(team)
            .await?
            .and_then(|(m, _)| AssignMode::parse(&m).ok()))
    }

    /// Sets how a team hands out new tickets (admins and managers).
    pub async fn set_team_assignment(
        &self,
        actor: &Actor,
        team: TeamId,
        mode: Option<AssignMode>,
    ) -> Result<()> {
        check(actor, Action::ManageTeams).map_err(|d| ServiceError::denied(d, "team"))?;
        let mut tx = self.store.write().await?;
        tx.get_team(team).await.not_found_as("team")?;
        tx.set_team_assignment(team, mode.map(AssignMode::as_str))
            .await?;
        let mode = mode.map_or("off", AssignMode::as_str);
        self.audit_setting(&mut tx, actor, "assignment", team.0, "changed", mode)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a member of staff away (no tickets handed out to them) or back: themselves, or an
    /// administrator or manager for anyone.
    pub async fn set_away(&self, actor: &Actor, person: PersonId, away: bool) -> Result<()> {
        let own = actor.person_id == Some(person);
        if !own {
            check(actor, Action::ManageTeams).map_err(|d| ServiceError::denied(d, "person"))?;
        } else if !actor.is_staff() {
            return Err(ServiceError::forbidden("only staff are handed tickets"));
        }
        let mut tx = self.store.write().await?;
        tx.get_person(person).await.not_found_as("person")?;
        tx.set_away(person, away, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a person is away.
    pub async fn is_away(&self, actor: &Actor, person: PersonId) -> Result<bool> {
        check(actor, Action::ViewPerson(person)).map_err(|d| ServiceError::denied(d, "person"))?;
        Ok(self.store.read().await?.is_away(person).await?)
    }
}
