//! Administration pages: people (create, invite, change role, deactivate), organisations, teams and
//! membership, canned responses. Each action goes through the same use cases as the API, so the
//! same roles decide (admins manage people; admins and managers the rest).

use axum::extract::{Path, Query, State};
use axum::Form;
use serde::Deserialize;
use steward_domain::{Named, OrgId, Person, PersonId, Role, TeamId};
use steward_service::{NewOrg, NewPersonInput, NewTeam, OrgPatch, PersonPatch};
use steward_store::directory::PeopleFilter;

use super::{
    blank, notice, parse_id, render, see_other, Choice, DeskCaller, Layout, PageError, PageResult,
};
use crate::AppState;

fn role_label(r: Role) -> &'static str {
    match r {
        Role::Admin => "Administrator",
        Role::Manager => "Manager",
        Role::Technician => "Technician",
        Role::Requester => "Requester",
    }
}

fn role_choices(current: Option<Role>) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|&r| Choice::new(r.as_str(), role_label(r), Some(r) == current))
        .collect()
}

// ---------------------------------------------------------------- people

/// A person in the list.
pub struct PersonRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role_choices: Vec<Choice>,
    pub organisation: String,
    pub active: bool,
    /// Signs in with a second factor (shown to administrators).
    pub two_factor: bool,
}

#[derive(askama::Template)]
#[template(path = "admin_people.html")]
struct PeoplePage {
    layout: Layout,
    q: String,
    people: Vec<PersonRow>,
    next_href: Option<String>,
    org_choices: Vec<Choice>,
    role_choices: Vec<Choice>,
    may_manage: bool,
    invite_link: Option<(String, String)>,
}

#[derive(Debug, Deserialize, Default)]
pub struct PeopleQuery {
    q: Option<String>,
    after: Option<i64>,
    notice: Option<String>,
}

async fn people_page(
    s: &AppState,
    caller: &super::PageCaller,
    q: &PeopleQuery,
    invite_link: Option<(String, String)>,
) -> PageResult {
    let actor = caller.actor();
    let prefix = blank(&q.q).map(str::to_string);
    let people = s
        .service
        .list_people(
            actor,
            PeopleFilter {
                prefix: prefix.clone(),
                after: q.after.map(PersonId),
                limit: 50,
                ..Default::default()
            },
        )
        .await?;
    let orgs = s.service.list_orgs(actor, None, 200).await?;
    let org_name = |id: Option<OrgId>| {
        id.and_then(|i| orgs.iter().find(|o| o.id == i))
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let next_href = (people.len() == 50).then(|| {
        format!(
            "/agent/admin/people?q={}&after={}",
            super::url_encode(prefix.as_deref().unwrap_or_default()),
            people.last().map_or(0, |p| p.id.0)
        )
    });
    let with_two_factor = if actor.role == Role::Admin {
        let ids: Vec<PersonId> = people.iter().map(|p| p.id).collect();
        s.service.people_with_two_factor(actor, &ids).await?
    } else {
        Default::default()
    };
    let rows = people
        .iter()
        .map(|p: &Person| PersonRow {
            two_factor: with_two_factor.contains(&p.id),
            id: p.id.0,
            name: p.name.clone(),
            email: p.email.clone(),
            role_choices: role_choices(Some(p.role)),
            organisation: org_name(p.organisation_id),
            active: p.active,
        })
        .collect();
    let mut org_choices = vec![Choice::new("", "None (staff)", true)];
    org_choices.extend(
        orgs.iter()
            .map(|o| Choice::new(o.id.to_string(), o.name.clone(), false)),
    );
    Ok(render(&PeoplePage {
        layout: caller.layout("People", "admin", notice(q.notice.as_deref())),
        q: prefix.unwrap_or_default(),
        people: rows,
        next_href,
        org_choices,
        role_choices: role_choices(Some(Role::Requester)),
        may_manage: actor.role == Role::Admin,
        invite_link,
    }))
}

/// `GET /agent/admin/people`.
pub async fn people(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Query(q): Query<PeopleQuery>,
) -> PageResult {
    people_page(&s, &caller, &q, None).await
}

#[derive(Debug, Deserialize)]
pub struct NewPersonForm {
    csrf: String,
    email: String,
    name: String,
    role: String,
    organisation: Option<String>,
    org_access: Option<String>,
}

/// `POST /agent/admin/people`: create a person and show their invitation link.
pub async fn create_person(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<NewPersonForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let role = Role::parse(&f.role).map_err(|e| PageError::Invalid(e.to_string()))?;
    let p = s
        .service
        .create_person(
            caller.actor(),
            NewPersonInput {
                email: f.email,
                name: f.name,
                role,
                organisation_id: parse_id("organisation", &f.organisation)?.map(OrgId),
                org_access: f.org_access.is_some(),
                password: None,
            },
        )
        .await?;
    let secret = s.service.invite(caller.actor(), p.id).await?;
    people_page(
        &s,
        &caller,
        &PeopleQuery::default(),
        Some((p.email, format!("/welcome?token={secret}"))),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct PersonActionForm {
    csrf: String,
    role: Option<String>,
    active: Option<String>,
    invite: Option<String>,
    sign_out: Option<String>,
    reset_two_factor: Option<String>,
}

/// `POST /agent/admin/people/{id}`: change the role, (de)activate, or make a new invitation link.
pub async fn update_person(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<PersonActionForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let id = PersonId(id);
    if f.invite.is_some() {
        let p = s.service.get_person(caller.actor(), id).await?;
        let secret = s.service.invite(caller.actor(), id).await?;
        return people_page(
            &s,
            &caller,
            &PeopleQuery::default(),
            Some((p.email, format!("/welcome?token={secret}"))),
        )
        .await;
    }
    if f.reset_two_factor.is_some() {
        s.service.disable_two_factor(&caller.auth, id, None).await?;
        return Ok(see_other("/agent/admin/people?notice=two-factor-reset"));
    }
    if f.sign_out.is_some() {
        s.service.end_sessions_of(caller.actor(), id, None).await?;
        return Ok(see_other("/agent/admin/people?notice=signed-out"));
    }
    let patch = PersonPatch {
        role: blank(&f.role)
            .map(|r| Role::parse(r).map_err(|e| PageError::Invalid(e.to_string())))
            .transpose()?,
        active: blank(&f.active).map(|a| a == "true"),
        ..Default::default()
    };
    s.service.update_person(caller.actor(), id, patch).await?;
    Ok(see_other("/agent/admin/people?notice=saved"))
}

// ---------------------------------------------------------------- organisations

/// An organisation in the list.
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub domains: String,
}

#[derive(askama::Template)]
#[template(path = "admin_orgs.html")]
struct OrgsPage {
    layout: Layout,
    orgs: Vec<OrgRow>,
    next_href: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    after: Option<i64>,
    pub(crate) notice: Option<String>,
}

/// `GET /agent/admin/organisations`.
pub async fn organisations(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let orgs = s
        .service
        .list_orgs(caller.actor(), q.after.map(OrgId), 100)
        .await?;
    let next_href = (orgs.len() == 100).then(|| {
        format!(
            "/agent/admin/organisations?after={}",
            orgs.last().map_or(0, |o| o.id.0)
        )
    });
    Ok(render(&OrgsPage {
        layout: caller.layout("Organisations", "admin", notice(q.notice.as_deref())),
        orgs: orgs
            .into_iter()
            .map(|o| OrgRow {
                id: o.id.0,
                name: o.name,
                slug: o.slug,
                domains: o.domains.join(" "),
            })
            .collect(),
        next_href,
    }))
}

#[derive(Debug, Deserialize)]
pub struct OrgForm {
    csrf: String,
    name: String,
    slug: Option<String>,
    domains: Option<String>,
}

fn domain_list(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .unwrap_or_default()
        .split([' ', ',', '\n'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect()
}

/// `POST /agent/admin/organisations`.
pub async fn create_org(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<OrgForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    s.service
        .create_org(
            caller.actor(),
            NewOrg {
                name: f.name,
                slug: blank(&f.slug).map(str::to_string),
                domains: domain_list(&f.domains),
            },
        )
        .await?;
    Ok(see_other("/agent/admin/organisations?notice=saved"))
}

/// `POST /agent/admin/organisations/{id}`.
pub async fn update_org(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<OrgForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    s.service
        .update_org(
            caller.actor(),
            OrgId(id),
            OrgPatch {
                name: Some(f.name),
                slug: blank(&f.slug).map(str::to_string),
                domains: Some(domain_list(&f.domains)),
            },
        )
        .await?;
    Ok(see_other("/agent/admin/organisations?notice=saved"))
}

// ---------------------------------------------------------------- teams

/// A member as listed.
pub struct MemberRow {
    pub person_id: i64,
    pub name: String,
    pub lead: bool,
}

/// A team and its members.
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: Vec<MemberRow>,
}

#[derive(askama::Template)]
#[template(path = "admin_teams.html")]
struct TeamsPage {
    layout: Layout,
    teams: Vec<TeamRow>,
    staff_choices: Vec<Choice>,
}

/// `GET /agent/admin/teams`.
pub async fn teams(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let actor = caller.actor();
    let staff = s
        .service
        .list_people(
            actor,
            PeopleFilter {
                staff_only: true,
                active_only: true,
                limit: 200,
                ..Default::default()
            },
        )
        .await?;
    let mut rows = Vec::new();
    for t in s.service.list_teams(actor).await? {
        let (team, members) = s.service.get_team(actor, t.id).await?;
        let ids: Vec<PersonId> = members.iter().map(|m| m.person_id).collect();
        let people = s.service.people_by_ids(actor, &ids).await?;
        rows.push(TeamRow {
            id: team.id.0,
            name: team.name,
            description: team.description,
            members: members
                .iter()
                .map(|m| MemberRow {
                    person_id: m.person_id.0,
                    name: people
                        .iter()
                        .find(|p| p.id == m.person_id)
                        .map_or_else(|| format!("#{}", m.person_id), |p| p.name.clone()),
                    lead: m.lead,
                })
                .collect(),
        });
    }
    Ok(render(&TeamsPage {
        layout: caller.layout("Teams", "admin", notice(q.notice.as_deref())),
        teams: rows,
        staff_choices: staff
            .iter()
            .map(|p| Choice::new(p.id.to_string(), p.name.clone(), false))
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct TeamForm {
    csrf: String,
    name: String,
    description: Option<String>,
}

/// `POST /agent/admin/teams`.
pub async fn create_team(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<TeamForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    s.service
        .create_team(
            caller.actor(),
            NewTeam {
                name: f.name,
                description: f.description.unwrap_or_default(),
            },
        )
        .await?;
    Ok(see_other("/agent/admin/teams?notice=saved"))
}

#[derive(Debug, Deserialize)]
pub struct MemberForm {
    csrf: String,
    person: Option<String>,
    lead: Option<String>,
    remove: Option<String>,
}

/// `POST /agent/admin/teams/{id}/members`: add (or change) a member, or remove one.
pub async fn team_member(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<MemberForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let person = parse_id("person", &f.person)?
        .ok_or_else(|| PageError::Invalid("Choose a person.".into()))?;
    if f.remove.is_some() {
        s.service
            .remove_team_member(caller.actor(), TeamId(id), PersonId(person))
            .await?;
    } else {
        s.service
            .set_team_member(
                caller.actor(),
                TeamId(id),
                PersonId(person),
                f.lead.is_some(),
            )
            .await?;
    }
    Ok(see_other("/agent/admin/teams?notice=saved"))
}

// ---------------------------------------------------------------- canned responses

/// A canned response as listed.
pub struct CannedRow {
    pub id: i64,
    pub title: String,
    pub body: String,
}

#[derive(askama::Template)]
#[template(path = "admin_canned.html")]
struct CannedPage {
    layout: Layout,
    items: Vec<CannedRow>,
    may_manage: bool,
}

/// `GET /agent/admin/canned`.
pub async fn canned(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let items = s.service.canned_responses(caller.actor()).await?;
    Ok(render(&CannedPage {
        layout: caller.layout("Canned responses", "admin", notice(q.notice.as_deref())),
        items: items
            .into_iter()
            .map(|c| CannedRow {
                id: c.id,
                title: c.title,
                body: c.body,
            })
            .collect(),
        may_manage: matches!(caller.actor().role, Role::Admin | Role::Manager),
    }))
}

#[derive(Debug, Deserialize)]
pub struct CannedForm {
    csrf: String,
    title: Option<String>,
    body: Option<String>,
    delete: Option<String>,
}

/// `POST /agent/admin/canned`.
pub async fn create_canned(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<CannedForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    s.service
        .create_canned(
            caller.actor(),
            f.title.as_deref().unwrap_or_default(),
            f.body.as_deref().unwrap_or_default(),
        )
        .await?;
    Ok(see_other("/agent/admin/canned?notice=saved"))
}

/// `POST /agent/admin/canned/{id}`: save or delete.
pub async fn update_canned(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<CannedForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    if f.delete.is_some() {
        s.service.delete_canned(caller.actor(), id).await?;
        return Ok(see_other("/agent/admin/canned?notice=deleted"));
    }
    s.service
        .update_canned(
            caller.actor(),
            id,
            f.title.as_deref().unwrap_or_default(),
            f.body.as_deref().unwrap_or_default(),
        )
        .await?;
    Ok(see_other("/agent/admin/canned?notice=saved"))
}

// ---------------------------------------------------------------- quarantined mail

/// A quarantined message as listed.
pub struct QuarantineRow {
    pub id: i64,
    pub mailbox: String,
    pub reason: String,
    pub received: String,
    pub size: i64,
}

#[derive(askama::Template)]
#[template(path = "admin_mail.html")]
struct MailPage {
    layout: Layout,
    items: Vec<QuarantineRow>,
    result: Option<String>,
}

async fn mail_page(s: &AppState, caller: &super::PageCaller, result: Option<String>) -> PageResult {
    let items = s.service.quarantined(caller.actor()).await?;
    Ok(render(&MailPage {
        layout: caller.layout("Mail", "admin", None),
        items: items
            .into_iter()
            .map(|q| QuarantineRow {
                id: q.id,
                mailbox: q.mailbox,
                reason: q.reason,
                received: super::when(q.received_at),
                size: q.size,
            })
            .collect(),
        result,
    }))
}

/// `GET /agent/admin/mail`: quarantined mail (administrators).
pub async fn mail(State(s): State<AppState>, DeskCaller(caller): DeskCaller) -> PageResult {
    mail_page(&s, &caller, None).await
}

#[derive(Debug, Deserialize)]
pub struct QuarantineForm {
    csrf: String,
    discard: Option<String>,
}

/// `POST /agent/admin/mail/{id}`: retry or discard.
pub async fn quarantine_action(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<QuarantineForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let result = if f.discard.is_some() {
        s.service.discard_quarantined(caller.actor(), id).await?;
        format!("Message {id} discarded.")
    } else {
        match s.service.retry_quarantined(caller.actor(), id).await? {
            steward_service::Ingested::Quarantined { reason, .. } => {
                format!("Message {id} still cannot be taken in: {reason}.")
            }
            steward_service::Ingested::Created { number, .. } => {
                format!("Message {id} became ticket #{number}.")
            }
            steward_service::Ingested::Added { number, .. } => {
                format!("Message {id} was added to ticket #{number}.")
            }
            steward_service::Ingested::FollowUp { number, .. } => {
                format!("Message {id} became ticket #{number}.")
            }
            steward_service::Ingested::Duplicate | steward_service::Ingested::Ignored => {
                format!("Message {id} was already stored.")
            }
        }
    };
    mail_page(&s, &caller, Some(result)).await
}
