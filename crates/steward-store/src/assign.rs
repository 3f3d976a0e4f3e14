//! Queries for auto-assignment: how each team hands out tickets, who is away, and who holds how
//! many open tickets.

use steward_domain::{PersonId, TeamId, Timestamp};

use crate::query::{q, Query};
use crate::rows::ts;
use crate::{Conn, Result};

impl Conn {
    /// A team's assignment mode and the last person round robin chose.
    pub async fn team_assignment(
        &mut self,
        team: TeamId,
    ) -> Result<Option<(String, Option<PersonId>)>> {
        let row: Option<(String, Option<i64>)> = self
            .fetch_optional(
                q("SELECT mode, last_person_id FROM team_assignment WHERE team_id = $1")
                    .bind(team.0),
            )
            .await?;
        Ok(row.map(|(m, p)| (m, p.map(PersonId))))
    }

    /// Sets (or, with `None`, removes) a team's assignment mode.
    pub async fn set_team_assignment(&mut self, team: TeamId, mode: Option<&str>) -> Result<()> {
        match mode {
            Some(m) => {
                self.execute(
                    q("INSERT INTO team_assignment (team_id, mode) VALUES ($1, $2)
                       ON CONFLICT (team_id) DO UPDATE SET mode = excluded.mode")
                    .bind(team.0)
                    .bind(m),
                )
                .await?
            }
            None => {
                self.execute(q("DELETE FROM team_assignment WHERE team_id = $1").bind(team.0))
                    .await?
            }
        };
        Ok(())
    }

    pub async fn set_last_assigned(&mut self, team: TeamId, person: PersonId) -> Result<()> {
        self.execute(
            q("UPDATE team_assignment SET last_person_id = $1 WHERE team_id = $2")
                .bind(person.0)
                .bind(team.0),
        )
        .await?;
        Ok(())
    }

    /// Marks a person away (or back).
    pub async fn set_away(&mut self, person: PersonId, away: bool, now: Timestamp) -> Result<()> {
        if away {
            self.execute(
                q("INSERT INTO people_away (person_id, since) VALUES ($1, $2) ON CONFLICT (person_id) DO NOTHING")
                    .bind(person.0)
                    .bind(ts(now)),
            )
            .await?;
        } else {
            self.execute(q("DELETE FROM people_away WHERE person_id = $1").bind(person.0))
                .await?;
        }
        Ok(())
    }

    pub async fn is_away(&mut self, person: PersonId) -> Result<bool> {
        let row: Option<(i64,)> = self
            .fetch_optional(
                q("SELECT person_id FROM people_away WHERE person_id = $1").bind(person.0),
            )
            .await?;
        Ok(row.is_some())
    }

    /// Active staff of a team who are not away, by id.
    pub async fn assignable_members(&mut self, team: TeamId) -> Result<Vec<PersonId>> {
        let rows: Vec<(i64,)> = self
            .fetch_all(
                q("SELECT p.id FROM team_members m JOIN people p ON p.id = m.person_id
                   WHERE m.team_id = $1 AND p.active AND p.role IN ('technician', 'manager', 'admin')
                     AND NOT EXISTS (SELECT 1 FROM people_away a WHERE a.person_id = p.id)
                   ORDER BY p.id")
                .bind(team.0),
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| PersonId(id)).collect())
    }

    /// How many open (not resolved or closed) tickets each of these people holds.
    pub async fn open_ticket_counts(
        &mut self,
        people: &[PersonId],
    ) -> Result<Vec<(PersonId, i64)>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = Query::default();
        query.push(
            "SELECT assignee_id, COUNT(*) FROM tickets WHERE status NOT IN ('resolved', 'closed') AND assignee_id IN (",
        );
        for (i, p) in people.iter().enumerate() {
            if i > 0 {
                query.push(", ");
            }
            query.param(p.0);
        }
        query.push(") GROUP BY assignee_id");
        let rows: Vec<(i64, i64)> = self.fetch_all(query).await?;
        Ok(rows.into_iter().map(|(p, n)| (PersonId(p), n)).collect())
    }
}
