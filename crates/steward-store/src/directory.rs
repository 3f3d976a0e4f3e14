//! Queries for organisations, people, teams and categories.

use steward_domain::{
    Category, CategoryId, Named, OrgId, Organisation, Person, PersonId, Role, Team, TeamId,
    TeamMember, Timestamp,
};

use crate::query::{q, Query};
use crate::rows::{
    ts, CategoryRow, OrgRow, PersonRow, TeamRow, CATEGORY_COLS, ORG_COLS, PERSON_COLS, TEAM_COLS,
};
use crate::{Conn, Result};

/// A person to create.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Option<OrgId>,
    pub org_access: bool,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
}

/// Which people to list.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub role: Option<Role>,
    /// Only staff (admins, managers and technicians).
    pub staff_only: bool,
    /// Only active people.
    pub active_only: bool,
    pub organisation_id: Option<OrgId>,
    /// Matches the start of the name or the e-mail address (case-insensitive).
    pub prefix: Option<String>,
    /// Only people with an id greater than this (cursor).
    pub after: Option<PersonId>,
    pub limit: i64,
}

fn like_prefix(s: &str) -> String {
    let escaped = s
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}%")
}

impl Conn {
    // ---- organisations ----

    async fn org_domains(&mut self, id: i64) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = self
            .fetch_all(
                q("SELECT domain FROM organisation_domains WHERE organisation_id = $1 ORDER BY domain")
                    .bind(id),
            )
            .await?;
        Ok(rows.into_iter().map(|(d,)| d).collect())
    }

    async fn org_from_row(&mut self, row: OrgRow) -> Result<Organisation> {
        let domains = self.org_domains(row.id()).await?;
        row.into_org(domains)
    }

    pub async fn insert_org(
        &mut self,
        name: &str,
        slug: &str,
        domains: &[String],
        now: Timestamp,
    ) -> Result<Organisation> {
        let row: OrgRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO organisations (name, slug, created_at, updated_at)
                     VALUES ($1, $2, $3, $3) RETURNING {ORG_COLS}"
                ))
                .bind(name)
                .bind(slug)
                .bind(ts(now)),
            )
            .await?;
        self.set_org_domains(OrgId(row.id()), domains).await?;
        self.org_from_row(row).await
    }

    pub async fn get_org(&mut self, id: OrgId) -> Result<Organisation> {
        let row: OrgRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {ORG_COLS} FROM organisations WHERE id = $1"
                ))
                .bind(id.0),
            )
            .await?;
        self.org_from_row(row).await
    }

    pub async fn get_org_by_slug(&mut self, slug: &str) -> Result<Organisation> {
        let row: OrgRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {ORG_COLS} FROM organisations WHERE slug = $1"
                ))
                .bind(slug),
            )
            .await?;
        self.org_from_row(row).await
    }

    /// The organisation a mail domain belongs to.
    pub async fn org_by_domain(&mut self, domain: &str) -> Result<Organisation> {
        let row: OrgRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {ORG_COLS} FROM organisations WHERE id =
                       (SELECT organisation_id FROM organisation_domains WHERE domain = $1)"
                ))
                .bind(domain),
            )
            .await?;
        self.org_from_row(row).await
    }

    /// Organisations in id order, after a cursor.
    pub async fn list_orgs(
        &mut self,
        after: Option<OrgId>,
        limit: i64,
    ) -> Result<Vec<Organisation>> {
        let rows: Vec<OrgRow> = self
            .fetch_all(
                q(&format!(
                    "SELECT {ORG_COLS} FROM organisations WHERE id > $1 ORDER BY id LIMIT $2"
                ))
                .bind(after.map_or(0, |a| a.0))
                .bind(limit),
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.org_from_row(r).await?);
        }
        Ok(out)
    }

    pub async fn update_org(&mut self, org: &Organisation, now: Timestamp) -> Result<Organisation> {
        let n = self
            .execute(
                q("UPDATE organisations SET name = $1, slug = $2, updated_at = $3 WHERE id = $4")
                    .bind(&org.name)
                    .bind(&org.slug)
                    .bind(ts(now))
                    .bind(org.id.0),
            )
            .await?;
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        self.set_org_domains(org.id, &org.domains).await?;
        self.get_org(org.id).await
    }

    async fn set_org_domains(&mut self, id: OrgId, domains: &[String]) -> Result<()> {
        self.execute(q("DELETE FROM organisation_domains WHERE organisation_id = $1").bind(id.0))
            .await?;
        for d in domains {
            self.execute(
                q("INSERT INTO organisation_domains (domain, organisation_id) VALUES ($1, $2)")
                    .bind(d)
                    .bind(id.0),
            )
            .await?;
        }
        Ok(())
    }

    // ---- people ----

    pub async fn insert_person(&mut self, p: &NewPerson, now: Timestamp) -> Result<Person> {
        let row: PersonRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO people (email, name, role, organisation_id, org_access, active,
                        password_hash, must_change_password, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, $8, $8) RETURNING {PERSON_COLS}"
                ))
                .bind(&p.email)
                .bind(&p.name)
                .bind(p.role.as_str())
                .bind(p.organisation_id.map(|o| o.0))
                .bind(p.org_access)
                .bind(p.password_hash.clone())
                .bind(p.must_change_password)
                .bind(ts(now)),
            )
            .await?;
        row.try_into()
    }

    pub async fn get_person(&mut self, id: PersonId) -> Result<Person> {
        let row: PersonRow = self
            .fetch_one(q(&format!("SELECT {PERSON_COLS} FROM people WHERE id = $1")).bind(id.0))
            .await?;
        row.try_into()
    }

    pub async fn get_person_by_email(&mut self, email: &str) -> Result<Person> {
        let row: PersonRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {PERSON_COLS} FROM people WHERE email = $1"
                ))
                .bind(email),
            )
            .await?;
        row.try_into()
    }

    /// The people with these ids (those that exist), for showing names.
    pub async fn people_by_ids(&mut self, ids: &[PersonId]) -> Result<Vec<Person>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = Query::default();
        query.push(&format!("SELECT {PERSON_COLS} FROM people WHERE id IN ("));
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                query.push(", ");
            }
            query.param(id.0);
        }
        query.push(")");
        let rows: Vec<PersonRow> = self.fetch_all(query).await?;
        rows.into_iter().map(Person::try_from).collect()
    }

    /// A person and their password hash, for signing in.
    pub async fn person_with_password(&mut self, email: &str) -> Result<(Person, Option<String>)> {
        let person = self.get_person_by_email(email).await?;
        let (hash,): (Option<String>,) = self
            .fetch_one(q("SELECT password_hash FROM people WHERE id = $1").bind(person.id.0))
            .await?;
        Ok((person, hash))
    }

    pub async fn list_people(&mut self, f: &PeopleFilter) -> Result<Vec<Person>> {
        let mut query = Query::default();
        query.push(&format!("SELECT {PERSON_COLS} FROM people WHERE id > "));
        query.param(f.after.map_or(0, |a| a.0));
        if let Some(role) = f.role {
            query.push(" AND role = ").param(role.as_str());
        }
        if f.staff_only {
            query.push(" AND role <> 'requester'");
        }
        if f.active_only {
            query.push(" AND active = TRUE");
        }
        if let Some(org) = f.organisation_id {
            query.push(" AND organisation_id = ").param(org.0);
        }
        if let Some(prefix) = &f.prefix {
            let pat = like_prefix(prefix);
            query.push(" AND (LOWER(name) LIKE ").param(pat.clone());
            query.push(" ESCAPE '\\' OR email LIKE ").param(pat);
            query.push(" ESCAPE '\\')");
        }
        query.push(" ORDER BY id LIMIT ").param(f.limit);
        let rows: Vec<PersonRow> = self.fetch_all(query).await?;
        rows.into_iter().map(Person::try_from).collect()
    }

    /// Writes a person's editable fields (name, e-mail, role, organisation, access, active).
    pub async fn update_person(&mut self, p: &Person, now: Timestamp) -> Result<Person> {
        let row: PersonRow = self
            .fetch_one(
                q(&format!(
                    "UPDATE people SET email = $1, name = $2, role = $3, organisation_id = $4,
                        org_access = $5, active = $6, updated_at = $7
                     WHERE id = $8 RETURNING {PERSON_COLS}"
                ))
                .bind(&p.email)
                .bind(&p.name)
                .bind(p.role.as_str())
                .bind(p.organisation_id.map(|o| o.0))
                .bind(p.org_access)
                .bind(p.active)
                .bind(ts(now))
                .bind(p.id.0),
            )
            .await?;
        row.try_into()
    }

    pub async fn set_password(
        &mut self,
        id: PersonId,
        hash: &str,
        must_change: bool,
        now: Timestamp,
    ) -> Result<()> {
        let n = self
            .execute(
                q("UPDATE people SET password_hash = $1, must_change_password = $2, updated_at = $3
                   WHERE id = $4")
                .bind(hash)
                .bind(must_change)
                .bind(ts(now))
                .bind(id.0),
            )
            .await?;
        if n == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    /// How many people (or only active people) have this role.
    pub async fn count_people_with_role(&mut self, role: Role, active_only: bool) -> Result<i64> {
        let active = if active_only {
            " AND active = TRUE"
        } else {
            ""
        };
        let (n,): (i64,) = self
            .fetch_one(
                q(&format!(
                    "SELECT COUNT(*) FROM people WHERE role = $1{active}"
                ))
                .bind(role.as_str()),
            )
            .await?;
        Ok(n)
    }

    /// Locks the active administrators until the transaction ends, so that two concurrent changes
    /// cannot both leave "another" administrator in place (PostgreSQL; SQLite writers are exclusive).
    pub async fn lock_active_admins(&mut self) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            let _: Vec<(i64,)> = self
                .fetch_all(q(
                    "SELECT id FROM people WHERE role = 'admin' AND active = TRUE FOR UPDATE",
                ))
                .await?;
        }
        Ok(())
    }

    // ---- teams ----

    pub async fn insert_team(
        &mut self,
        name: &str,
        description: &str,
        now: Timestamp,
    ) -> Result<Team> {
        let row: TeamRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO teams (name, description, created_at, updated_at)
                     VALUES ($1, $2, $3, $3) RETURNING {TEAM_COLS}"
                ))
                .bind(name)
                .bind(description)
                .bind(ts(now)),
            )
            .await?;
        row.try_into()
    }

    pub async fn get_team(&mut self, id: TeamId) -> Result<Team> {
        let row: TeamRow = self
            .fetch_one(q(&format!("SELECT {TEAM_COLS} FROM teams WHERE id = $1")).bind(id.0))
            .await?;
        row.try_into()
    }

    pub async fn list_teams(&mut self) -> Result<Vec<Team>> {
        let rows: Vec<TeamRow> = self
            .fetch_all(q(&format!(
                "SELECT {TEAM_COLS} FROM teams ORDER BY name, id"
            )))
            .await?;
        rows.into_iter().map(Team::try_from).collect()
    }

    pub async fn update_team(&mut self, t: &Team, now: Timestamp) -> Result<Team> {
        let row: TeamRow = self
            .fetch_one(
                q(&format!(
                    "UPDATE teams SET name = $1, description = $2, updated_at = $3
                     WHERE id = $4 RETURNING {TEAM_COLS}"
                ))
                .bind(&t.name)
                .bind(&t.description)
                .bind(ts(now))
                .bind(t.id.0),
            )
            .await?;
        row.try_into()
    }

    pub async fn team_members(&mut self, id: TeamId) -> Result<Vec<TeamMember>> {
        let rows: Vec<(i64, bool)> = self
            .fetch_all(
                q("SELECT person_id, lead FROM team_members WHERE team_id = $1 ORDER BY person_id")
                    .bind(id.0),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(p, lead)| TeamMember {
                person_id: PersonId(p),
                lead,
            })
            .collect())
    }

    /// Adds a member, or changes whether they lead the team.
    pub async fn set_team_member(
        &mut self,
        team: TeamId,
        person: PersonId,
        lead: bool,
    ) -> Result<()> {
        self.execute(
            q(
                "INSERT INTO team_members (team_id, person_id, lead) VALUES ($1, $2, $3)
               ON CONFLICT (team_id, person_id) DO UPDATE SET lead = excluded.lead",
            )
            .bind(team.0)
            .bind(person.0)
            .bind(lead),
        )
        .await?;
        Ok(())
    }

    /// Removes a member; `false` if they were not one.
    pub async fn remove_team_member(&mut self, team: TeamId, person: PersonId) -> Result<bool> {
        let n = self
            .execute(
                q("DELETE FROM team_members WHERE team_id = $1 AND person_id = $2")
                    .bind(team.0)
                    .bind(person.0),
            )
            .await?;
        Ok(n > 0)
    }

    // ---- categories ----

    pub async fn insert_category(
        &mut self,
        name: &str,
        parent: Option<CategoryId>,
        now: Timestamp,
    ) -> Result<Category> {
        let row: CategoryRow = self
            .fetch_one(
                q(&format!(
                    "INSERT INTO categories (name, parent_id, created_at) VALUES ($1, $2, $3)
                     RETURNING {CATEGORY_COLS}"
                ))
                .bind(name)
                .bind(parent.map(|p| p.0))
                .bind(ts(now)),
            )
            .await?;
        row.try_into()
    }

    pub async fn get_category(&mut self, id: CategoryId) -> Result<Category> {
        let row: CategoryRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {CATEGORY_COLS} FROM categories WHERE id = $1"
                ))
                .bind(id.0),
            )
            .await?;
        row.try_into()
    }

    pub async fn list_categories(&mut self) -> Result<Vec<Category>> {
        let rows: Vec<CategoryRow> = self
            .fetch_all(q(&format!(
                "SELECT {CATEGORY_COLS} FROM categories ORDER BY name, id"
            )))
            .await?;
        rows.into_iter().map(Category::try_from).collect()
    }
}
