//! Use cases for the directory: organisations, people, teams and categories.

use steward_domain::audit::AuditAction;
use steward_domain::policy::{check, Action};
use steward_domain::Named;
use steward_domain::{
    validate, Actor, Category, CategoryId, Change, EventAction, Field, OrgId, Organisation, Person,
    PersonId, Role, Team, TeamId, TeamMember,
};
use steward_store::directory::{NewPerson, PeopleFilter};
use steward_store::StoreError;

use crate::error::NotFoundAs;
use crate::secrets::hash_password;
use crate::{Result, Service, ServiceError};

/// The most items one list call returns.
pub const MAX_PAGE: i64 = 200;

fn allowed(actor: &Actor, action: Action, what: &'static str) -> Result<()> {
    check(actor, action).map_err(|d| ServiceError::denied(d, what))
}

/// A taken unique value, named for the caller.
fn taken<'a>(what: &'static str, value: &'a str) -> impl FnOnce(StoreError) -> ServiceError + 'a {
    move |e| match e {
        StoreError::Conflict(_) => {
            ServiceError::Conflict(format!("{what} {value:?} is already taken"))
        }
        e => e.into(),
    }
}

/// An organisation to create.
#[derive(Debug, Clone, Default)]
pub struct NewOrg {
    pub name: String,
    /// Derived from the name when absent.
    pub slug: Option<String>,
    pub domains: Vec<String>,
}

/// Changes to an organisation; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub domains: Option<Vec<String>>,
}

fn clean_domains(domains: &[String]) -> Result<Vec<String>> {
    let mut out = domains
        .iter()
        .map(|d| validate::domain(d))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    out.sort();
    out.dedup();
    if out.len() > 100 {
        return Err(ServiceError::invalid("domains", "at most 100 domains"));
    }
    Ok(out)
}

/// A person to create. (No `Debug`: it may hold a password.)
#[derive(Clone)]
pub struct NewPersonInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Option<OrgId>,
    pub org_access: bool,
    pub password: Option<String>,
}

/// Changes to a person; `None` leaves a field alone, `Some(None)` clears the organisation.
#[derive(Debug, Clone, Default)]
pub struct PersonPatch {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<Option<OrgId>>,
    pub org_access: Option<bool>,
    pub active: Option<bool>,
}

/// A team to create.
#[derive(Debug, Clone, Default)]
pub struct NewTeam {
    pub name: String,
    pub description: String,
}

/// Changes to a team.
#[derive(Debug, Clone, Default)]
pub struct TeamPatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

fn description(s: &str) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > 2000 {
        return Err(ServiceError::invalid(
            "description",
            "must be at most 2000 characters",
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ServiceError::invalid(
            "description",
            "must not contain control characters",
        ));
    }
    Ok(s.to_string())
}

impl Service {
    // ---- organisations ----

    pub async fn create_org(&self, actor: &Actor, new: NewOrg) -> Result<Organisation> {
        allowed(actor, Action::ManageOrganisations, "organisation")?;
        let name = validate::name("name", &new.name)?;
        let slug = match new.slug {
            Some(s) => validate::slug(&s)?,
            None => validate::slug(&validate::slugify(&name)).map_err(|_| {
                ServiceError::invalid("slug", "cannot derive a slug from this name; give one")
            })?,
        };
        let domains = clean_domains(&new.domains)?;
        let mut tx = self.store.write().await?;
        let org = tx
            .insert_org(&name, &slug, &domains, self.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(c) if c.contains("domain") => ServiceError::Conflict(
                    "one of the domains belongs to another organisation".into(),
                ),
                e => taken("slug", &slug)(e),
            })?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn get_org(&self, actor: &Actor, id: OrgId) -> Result<Organisation> {
        allowed(actor, Action::ViewOrganisation(id), "organisation")?;
        self.store
            .read()
            .await?
            .get_org(id)
            .await
            .not_found_as("organisation")
    }

    /// Looks an organisation up by slug (for the command line and later for URLs).
    pub async fn get_org_by_slug(&self, actor: &Actor, slug: &str) -> Result<Organisation> {
        let org = self
            .store
            .read()
            .await?
            .get_org_by_slug(slug)
            .await
            .not_found_as("organisation")?;
        allowed(actor, Action::ViewOrganisation(org.id), "organisation")?;
        Ok(org)
    }

    pub async fn list_orgs(
        &self,
        actor: &Actor,
        after: Option<OrgId>,
        limit: i64,
    ) -> Result<Vec<Organisation>> {
        allowed(actor, Action::ListOrganisations, "organisation")?;
        Ok(self
            .store
            .read()
            .await?
            .list_orgs(after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    pub async fn update_org(
        &self,
        actor: &Actor,
        id: OrgId,
        patch: OrgPatch,
    ) -> Result<Organisation> {
        allowed(actor, Action::ManageOrganisations, "organisation")?;
        let mut tx = self.store.write().await?;
        let mut org = tx.get_org(id).await.not_found_as("organisation")?;
        if let Some(n) = patch.name {
            org.name = validate::name("name", &n)?;
        }
        if let Some(s) = patch.slug {
            org.slug = validate::slug(&s)?;
        }
        if let Some(d) = patch.domains {
            org.domains = clean_domains(&d)?;
        }
        let slug = org.slug.clone();
        let org = tx.update_org(&org, self.now()).await.map_err(|e| match e {
            StoreError::Conflict(c) if c.contains("domain") => {
                ServiceError::Conflict("one of the domains belongs to another organisation".into())
            }
            e => taken("slug", &slug)(e),
        })?;
        tx.commit().await?;
        Ok(org)
    }

    // ---- people ----

    pub async fn create_person(&self, actor: &Actor, new: NewPersonInput) -> Result<Person> {
        allowed(actor, Action::ManagePeople, "person")?;
        let email = validate::email(&new.email)?;
        let name = validate::name("name", &new.name)?;
        let password_hash = match new.password {
            Some(p) => {
                validate::password(&p)?;
                Some(hash_password(p).await?)
            }
            None => None,
        };
        let person_has_password = password_hash.is_some();
        let mut tx = self.store.write().await?;
        if let Some(org) = new.organisation_id {
            tx.get_org(org).await.map_err(|e| match e {
                StoreError::NotFound => {
                    ServiceError::invalid("organisation_id", format!("no organisation {org}"))
                }
                e => e.into(),
            })?;
        }
        let person = tx
            .insert_person(
                &NewPerson {
                    email: email.clone(),
                    name,
                    role: new.role,
                    organisation_id: new.organisation_id,
                    org_access: new.org_access,
                    password_hash,
                    must_change_password: false,
                },
                self.now(),
            )
            .await
            .map_err(taken("e-mail address", &email))?;
        self.audit(
            &mut tx,
            actor,
            AuditAction::PersonCreated,
            &format!("person:{}", person.id),
            serde_json::json!({
                "email": person.email, "role": person.role.as_str(),
                "organisation_id": person.organisation_id.map(|o| o.0),
                "org_access": person.org_access, "password": person_has_password,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(person)
    }

    pub async fn get_person(&self, actor: &Actor, id: PersonId) -> Result<Person> {
        allowed(actor, Action::ViewPerson(id), "person")?;
        self.store
            .read()
            .await?
            .get_person(id)
            .await
            .not_found_as("person")
    }

    /// Looks a person up by e-mail address (staff, and the command line).
    pub async fn get_person_by_email(&self, actor: &Actor, email: &str) -> Result<Person> {
        let email = validate::email(email)?;
        let p = self
            .store
            .read()
            .await?
            .get_person_by_email(&email)
            .await
            .not_found_as("person")?;
        allowed(actor, Action::ViewPerson(p.id), "person")?;
        Ok(p)
    }

    pub async fn list_people(
        &self,
        actor: &Actor,
        mut filter: PeopleFilter,
    ) -> Result<Vec<Person>> {
        allowed(actor, Action::ListPeople, "person")?;
        filter.limit = filter.limit.clamp(1, MAX_PAGE);
        if let Some(p) = &filter.prefix {
            if p.chars().count() > 200 || p.chars().any(char::is_control) {
                return Err(ServiceError::invalid(
                    "q",
                    "must be at most 200 characters, without control characters",
                ));
            }
        }
        Ok(self.store.read().await?.list_people(&filter).await?)
    }

    /// People by id, for showing names (staff).
    pub async fn people_by_ids(&self, actor: &Actor, ids: &[PersonId]) -> Result<Vec<Person>> {
        allowed(actor, Action::ListPeople, "person")?;
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        Ok(self.store.read().await?.people_by_ids(&ids).await?)
    }

    /// Changes a person. The last active administrator cannot be demoted or deactivated; a
    /// deactivated person's sessions end at once.
    pub async fn update_person(
        &self,
        actor: &Actor,
        id: PersonId,
        patch: PersonPatch,
    ) -> Result<Person> {
        allowed(actor, Action::ManagePeople, "person")?;
        let mut tx = self.store.write().await?;
        let mut p = tx.get_person(id).await.not_found_as("person")?;
        let before = p.clone();
        let was_active_admin = p.role == Role::Admin && p.active;
        let old_org = p.organisation_id;
        if let Some(e) = patch.email {
            p.email = validate::email(&e)?;
        }
        if let Some(n) = patch.name {
            p.name = validate::name("name", &n)?;
        }
        if let Some(r) = patch.role {
            p.role = r;
        }
        if let Some(o) = patch.organisation_id {
            if let Some(org) = o {
                tx.get_org(org).await.map_err(|e| match e {
                    StoreError::NotFound => {
                        ServiceError::invalid("organisation_id", format!("no organisation {org}"))
                    }
                    e => e.into(),
                })?;
            }
            p.organisation_id = o;
        }
        if let Some(a) = patch.org_access {
            p.org_access = a;
        }
        if let Some(a) = patch.active {
            p.active = a;
        }
        if was_active_admin && !(p.role == Role::Admin && p.active) {
            tx.lock_active_admins().await?;
        }
        if was_active_admin
            && !(p.role == Role::Admin && p.active)
            && tx.count_people_with_role(Role::Admin, true).await? <= 1
        {
            return Err(ServiceError::Conflict(
                "this is the last active administrator; make someone else an administrator first"
                    .into(),
            ));
        }
        let email = p.email.clone();
        let now = self.now();
        let p = tx
            .update_person(&p, now)
            .await
            .map_err(taken("e-mail address", &email))?;
        if !p.active {
            tx.delete_sessions_of(p.id).await?;
        }
        // What matters for security: who they are, what they may do, whether they may sign in.
        let mut changed = serde_json::Map::new();
        let mut note = |field: &str, old: serde_json::Value, new: serde_json::Value| {
            if old != new {
                changed.insert(field.into(), serde_json::json!({ "from": old, "to": new }));
            }
        };
        note("email", before.email.clone().into(), p.email.clone().into());
        note("role", before.role.as_str().into(), p.role.as_str().into());
        note(
            "organisation_id",
            before.organisation_id.map(|o| o.0).into(),
            p.organisation_id.map(|o| o.0).into(),
        );
        note("org_access", before.org_access.into(), p.org_access.into());
        note("active", before.active.into(), p.active.into());
        if !changed.is_empty() {
            self.audit(
                &mut tx,
                actor,
                AuditAction::PersonChanged,
                &format!("person:{}", p.id),
                serde_json::Value::Object(changed),
            )
            .await?;
        }
        if p.organisation_id != old_org {
            // A ticket's organisation is its requester's: their tickets move with them.
            for (ticket, from) in tx
                .move_requester_tickets(p.id, p.organisation_id, now)
                .await?
            {
                let change = Change {
                    field: Field::Organisation,
                    old: from.map(|o| o.to_string()),
                    new: p.organisation_id.map(|o| o.to_string()),
                };
                tx.record_history(
                    ticket,
                    actor.person_id,
                    now,
                    EventAction::Changed,
                    &[change],
                )
                .await?;
            }
        }
        tx.commit().await?;
        // Tickets may have moved between organisations: queue counts are stale.
        self.counts.invalidate();
        Ok(p)
    }

    // ---- teams ----

    pub async fn create_team(&self, actor: &Actor, new: NewTeam) -> Result<Team> {
        allowed(actor, Action::ManageTeams, "team")?;
        let name = validate::name("name", &new.name)?;
        let description = description(&new.description)?;
        let mut tx = self.store.write().await?;
        let team = tx
            .insert_team(&name, &description, self.now())
            .await
            .map_err(taken("team name", &name))?;
        tx.commit().await?;
        Ok(team)
    }

    pub async fn get_team(&self, actor: &Actor, id: TeamId) -> Result<(Team, Vec<TeamMember>)> {
        allowed(actor, Action::ViewTeams, "team")?;
        let mut c = self.store.read().await?;
        let team = c.get_team(id).await.not_found_as("team")?;
        let members = c.team_members(id).await?;
        Ok((team, members))
    }

    pub async fn list_teams(&self, actor: &Actor) -> Result<Vec<Team>> {
        allowed(actor, Action::ViewTeams, "team")?;
        Ok(self.store.read().await?.list_teams().await?)
    }

    pub async fn update_team(&self, actor: &Actor, id: TeamId, patch: TeamPatch) -> Result<Team> {
        allowed(actor, Action::ManageTeams, "team")?;
        let mut tx = self.store.write().await?;
        let mut team = tx.get_team(id).await.not_found_as("team")?;
        if let Some(n) = patch.name {
            team.name = validate::name("name", &n)?;
        }
        if let Some(d) = patch.description {
            team.description = description(&d)?;
        }
        let name = team.name.clone();
        let team = tx
            .update_team(&team, self.now())
            .await
            .map_err(taken("team name", &name))?;
        tx.commit().await?;
        Ok(team)
    }

    /// Adds a member of staff to a team (or changes whether they lead it).
    pub async fn set_team_member(
        &self,
        actor: &Actor,
        team: TeamId,
        person: PersonId,
        lead: bool,
    ) -> Result<Vec<TeamMember>> {
        allowed(actor, Action::ManageTeams, "team")?;
        let mut tx = self.store.write().await?;
        tx.get_team(team).await.not_found_as("team")?;
        let p = tx.get_person(person).await.not_found_as("person")?;
        if !p.role.is_staff() {
            return Err(ServiceError::invalid(
                "person_id",
                "only staff can be members of a team",
            ));
        }
        tx.set_team_member(team, person, lead).await?;
        let members = tx.team_members(team).await?;
        tx.commit().await?;
        Ok(members)
    }

    pub async fn remove_team_member(
        &self,
        actor: &Actor,
        team: TeamId,
        person: PersonId,
    ) -> Result<()> {
        allowed(actor, Action::ManageTeams, "team")?;
        let mut tx = self.store.write().await?;
        tx.get_team(team).await.not_found_as("team")?;
        if !tx.remove_team_member(team, person).await? {
            return Err(ServiceError::NotFound("team member"));
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- categories ----

    pub async fn create_category(
        &self,
        actor: &Actor,
        name: &str,
        parent: Option<CategoryId>,
    ) -> Result<Category> {
        allowed(actor, Action::ManageCategories, "category")?;
        let name = validate::name("name", name)?;
        let mut tx = self.store.write().await?;
        if let Some(p) = parent {
            tx.get_category(p).await.map_err(|e| match e {
                StoreError::NotFound => {
                    ServiceError::invalid("parent_id", format!("no category {p}"))
                }
                e => e.into(),
            })?;
        }
        let c = tx.insert_category(&name, parent, self.now()).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn list_categories(&self, actor: &Actor) -> Result<Vec<Category>> {
        allowed(actor, Action::ViewCategories, "category")?;
        Ok(self.store.read().await?.list_categories().await?)
    }
}
