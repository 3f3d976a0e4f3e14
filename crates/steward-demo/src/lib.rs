//! Demo and benchmark data: `steward demo --tickets N` fills a database with a year of a service
//! desk's life — organisations, requesters, technicians in teams, categories, a business calendar
//! and a default SLA policy, help articles, and tickets with realistic conversations, history and
//! tags — deterministically from a seed.
//!
//! The small things (teams, categories, calendar, policy, articles) go through the service, as an
//! administrator would make them. People and tickets go through the store's bulk path
//! ([`steward_store::load`]), a few thousand per transaction, so that a million tickets with five
//! million messages take minutes. Service-level clocks are then computed by the service for every
//! open ticket, as after a policy change.

mod articles;
mod rng;
mod text;
mod tickets;

use std::collections::HashMap;

use steward_domain::{Actor, CategoryId, OrgId, PersonId, Role, TeamId, Timestamp};
use steward_service::{NewTeam, PolicyInput, Service, ServiceError};
use steward_store::directory::NewPerson;
use steward_store::{Store, StoreError};

use rng::Rng;

/// What went wrong while generating.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = DemoError> = std::result::Result<T, E>;

/// How much to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub tickets: u64,
    /// The same seed gives the same data.
    pub seed: u64,
    /// The end of the generated year (tickets are created before it).
    pub now: Timestamp,
    /// The share of tickets (0 to 1) still open, for measurements that need a large backlog;
    /// `None`: as a real desk has it (a few per cent, most of them recent).
    pub open_share: Option<f64>,
}

/// Where the generator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    People,
    Tickets,
    ServiceLevels,
    Statistics,
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub organisations: usize,
    pub requesters: usize,
    pub technicians: usize,
    pub tickets: u64,
    pub messages: u64,
    pub events: u64,
    pub open_tickets: u64,
    pub clocks_computed: usize,
    pub articles: usize,
    /// The first and last ticket number written.
    pub numbers: Option<(i64, i64)>,
}

/// Tickets per transaction.
const BATCH: usize = 2000;

/// The tickets are spread over this time before now.
const YEAR: jiff::SignedDuration = jiff::SignedDuration::from_hours(365 * 24);

/// The people tickets are written about and by.
pub(crate) struct Cast {
    pub(crate) orgs: Vec<(OrgId, String, String)>,
    /// Requesters: id, name, organisation index.
    pub(crate) requesters: Vec<(PersonId, String, usize)>,
    /// Technicians per team.
    pub(crate) techs: Vec<Vec<(PersonId, String)>>,
    pub(crate) teams: Vec<TeamId>,
    pub(crate) categories: HashMap<&'static str, CategoryId>,
    pub(crate) monitoring: PersonId,
    /// The default SLA policy's rules and calendar, to measure resolved tickets as Steward
    /// would have (none: around the clock, no targets).
    pub(crate) levels: Option<(
        steward_domain::sla::PolicyRules,
        steward_domain::calendar::Calendar,
    )>,
}

/// Generates the data; `progress(phase, done, total)` is called as it goes.
pub async fn generate(
    svc: &Service,
    store: &Store,
    opts: &DemoOptions,
    progress: &(dyn Fn(Phase, u64, u64) + Sync),
) -> Result<DemoReport> {
    let mut rng = Rng::new(opts.seed);
    let mut report = DemoReport::default();
    let (orgs_before, _, _) = store.read().await?.load_counts().await?;
    // A second run beside the first gets addresses of its own.
    let run = if orgs_before == 0 {
        String::new()
    } else {
        format!("{}", orgs_before)
    };
    progress(Phase::People, 0, 1);
    let mut cast = cast(svc, store, opts, &run, &mut rng, &mut report).await?;
    progress(Phase::People, 1, 1);
    report.articles = articles::write(svc).await?;
    service_levels(svc).await?;
    cast.levels = default_levels(svc).await?;

    let total = opts.tickets;
    let mut done = 0u64;
    progress(Phase::Tickets, 0, total);
    // Each batch covers its slice of the year, so ticket numbers follow the order of creation.
    let year = YEAR.as_micros() as i64;
    let start = opts.now - YEAR;
    let at = |done: u64| {
        let micros = (year as i128 * done as i128 / total.max(1) as i128) as i64;
        start + jiff::SignedDuration::from_micros(micros)
    };
    // The next batch is made on another thread while this one is written (the same tickets as made
    // one after the other: each batch takes the generator from the one before).
    let cast = std::sync::Arc::new(cast);
    let make = |rng: Rng, done: u64| {
        let n = (total - done).min(BATCH as u64) as usize;
        let (from, to) = (at(done), at(done + n as u64));
        let (cast, opts) = (cast.clone(), opts.clone());
        tokio::task::spawn_blocking(move || {
            let mut rng = rng;
            let batch = tickets::batch(&cast, &mut rng, &opts, from, to, n);
            (rng, batch)
        })
    };
    let mut next = (total > 0).then(|| make(rng, 0));
    while let Some(making) = next.take() {
        let (rng, batch) = making
            .await
            .map_err(|e| ServiceError::Internal(format!("making demo tickets: {e}")))?;
        let n = batch.len();
        if done + (n as u64) < total {
            next = Some(make(rng, done + n as u64));
        }
        for t in &batch {
            report.messages += t.messages.len() as u64;
            report.events += t.events.len() as u64;
            if !matches!(
                t.ticket.status,
                steward_domain::Status::Resolved | steward_domain::Status::Closed
            ) {
                report.open_tickets += 1;
            }
        }
        let mut tx = store.write().await?;
        let numbers = tx.load_tickets(&batch).await?;
        tx.commit().await?;
        if let (Some(first), Some(last)) = (numbers.first(), numbers.last()) {
            report.numbers = Some(match report.numbers {
                Some((a, _)) => (a, *last),
                None => (*first, *last),
            });
        }
        done += n as u64;
        report.tickets = done;
        progress(Phase::Tickets, done, total);
    }
    progress(Phase::ServiceLevels, 0, 1);
    report.clocks_computed = svc.recompute_service_levels(&Actor::system()).await?;
    progress(Phase::ServiceLevels, 1, 1);
    progress(Phase::Statistics, 0, 1);
    store.analyze().await?;
    progress(Phase::Statistics, 1, 1);
    Ok(report)
}

/// Organisations, people and teams, in proportion to the number of tickets.
async fn cast(
    svc: &Service,
    store: &Store,
    opts: &DemoOptions,
    run: &str,
    rng: &mut Rng,
    report: &mut DemoReport,
) -> Result<Cast> {
    let system = Actor::system();
    let n = opts.tickets as usize;
    let n_orgs = (n / 2000).clamp(3, 500);
    let n_techs = (n / 4000).clamp(text::TEAMS.len() * 2, 250);
    let n_requesters = (n / 25).clamp(10, 40_000);
    let now = opts.now;

    // Teams (found by name, or made) and categories.
    let existing = svc.list_teams(&system).await?;
    let mut teams = Vec::new();
    for (name, description) in text::TEAMS {
        let id = match existing.iter().find(|t| t.name == *name) {
            Some(t) => t.id,
            None => {
                svc.create_team(
                    &system,
                    NewTeam {
                        name: (*name).into(),
                        description: (*description).into(),
                    },
                )
                .await?
                .id
            }
        };
        teams.push(id);
    }
    let mut known = svc.list_categories(&system).await?;
    let mut categories = HashMap::new();
    for path in text::CATEGORIES {
        let mut parent: Option<CategoryId> = None;
        for name in path.split(" / ") {
            let found = known
                .iter()
                .find(|c| c.name == name && c.parent_id == parent)
                .map(|c| c.id);
            let id = match found {
                Some(id) => id,
                None => {
                    let c = svc.create_category(&system, name, parent).await?;
                    let id = c.id;
                    known.push(c);
                    id
                }
            };
            parent = Some(id);
        }
        if let Some(id) = parent {
            categories.insert(*path, id);
        }
    }

    let mut tx = store.write().await?;
    let mut orgs = Vec::with_capacity(n_orgs);
    for i in 0..n_orgs {
        let word = text::COMPANY_WORDS[i % text::COMPANY_WORDS.len()];
        let kind = text::COMPANY_KINDS[(i / text::COMPANY_WORDS.len()) % text::COMPANY_KINDS.len()];
        let round = i / (text::COMPANY_WORDS.len() * text::COMPANY_KINDS.len());
        let name = if round == 0 {
            format!("{word} {kind}")
        } else {
            format!("{word} {kind} {}", round + 1)
        };
        let mut slug = text::mail_part(&name).replace('.', "-");
        if !run.is_empty() {
            slug = format!("{slug}-{run}");
        }
        let domain = format!("{slug}.example");
        let org = tx
            .insert_org(&name, &slug, std::slice::from_ref(&domain), now)
            .await?;
        orgs.push((org.id, name, domain));
    }
    let desk_domain = if run.is_empty() {
        "desk.example".to_string()
    } else {
        format!("desk-{run}.example")
    };
    let mut techs: Vec<Vec<(PersonId, String)>> = vec![Vec::new(); teams.len()];
    let mut members = Vec::new();
    for i in 0..n_techs {
        let name = text::person_name(i * 13 + 5);
        let p = tx
            .insert_person(
                &NewPerson {
                    email: format!("{}.{i}@{desk_domain}", text::mail_part(&name)),
                    name: name.clone(),
                    role: if i == 0 {
                        Role::Manager
                    } else {
                        Role::Technician
                    },
                    organisation_id: None,
                    org_access: false,
                    password_hash: None,
                    must_change_password: false,
                },
                now,
            )
            .await?;
        let team = i % teams.len();
        members.push((teams[team], p.id, techs[team].is_empty()));
        techs[team].push((p.id, name));
    }
    let monitoring = tx
        .insert_person(
            &NewPerson {
                email: format!("monitoring@{desk_domain}"),
                name: "Monitoring".into(),
                role: Role::Requester,
                organisation_id: None,
                org_access: false,
                password_hash: None,
                must_change_password: false,
            },
            now,
        )
        .await?
        .id;
    let mut requesters = Vec::with_capacity(n_requesters);
    for i in 0..n_requesters {
        // Some organisations are much larger than others.
        let org = rng.zipf(n_orgs);
        let name = text::person_name(i);
        let p = tx
            .insert_person(
                &NewPerson {
                    email: format!("{}.{i}@{}", text::mail_part(&name), orgs[org].2),
                    name: name.clone(),
                    role: Role::Requester,
                    organisation_id: Some(orgs[org].0),
                    org_access: rng.chance(0.05),
                    password_hash: None,
                    must_change_password: false,
                },
                now,
            )
            .await?;
        requesters.push((p.id, name, org));
    }
    tx.commit().await?;
    for (team, person, lead) in members {
        svc.set_team_member(&system, team, person, lead).await?;
    }
    report.organisations = n_orgs;
    report.requesters = n_requesters;
    report.technicians = n_techs;
    Ok(Cast {
        orgs,
        requesters,
        techs,
        teams,
        categories,
        monitoring,
        levels: None,
    })
}

/// The default policy's rules and calendar, if there is a default policy.
async fn default_levels(
    svc: &Service,
) -> Result<
    Option<(
        steward_domain::sla::PolicyRules,
        steward_domain::calendar::Calendar,
    )>,
> {
    let system = Actor::system();
    let Some(p) = svc
        .sla_policies(&system)
        .await?
        .into_iter()
        .find(|p| p.is_default)
    else {
        return Ok(None);
    };
    let cal = match p.calendar_id {
        Some(id) => match svc
            .calendars(&system)
            .await?
            .into_iter()
            .find(|c| c.id == id)
        {
            Some(c) => c.def.to_calendar().map_err(ServiceError::from)?,
            None => return Ok(None),
        },
        None => steward_domain::calendar::Calendar::always(),
    };
    Ok(Some((p.rules, cal)))
}

/// An office-hours calendar and a default policy, unless policies exist already.
async fn service_levels(svc: &Service) -> Result<()> {
    let system = Actor::system();
    if !svc.sla_policies(&system).await?.is_empty() {
        return Ok(());
    }
    let day = serde_json::json!([{"start": "08:00", "end": "18:00"}]);
    let def = serde_json::from_value(serde_json::json!({
        "time_zone": "Europe/Berlin",
        "week": [day, day, day, day, day, [], []],
        "holidays": [
            {"name": "New Year", "yearly": "01-01"},
            {"name": "Christmas", "yearly": "12-25"},
            {"name": "Boxing Day", "yearly": "12-26"}
        ]
    }))
    .map_err(|e| {
        ServiceError::from(steward_domain::DomainError::invalid(
            "calendar",
            e.to_string(),
        ))
    })?;
    let cal = svc.create_calendar(&system, "Office hours", def).await?;
    let t = |first: u32, resolve: u32| steward_domain::sla::Targets {
        first_response_minutes: Some(first),
        next_response_minutes: Some(first * 2),
        resolution_minutes: Some(resolve),
    };
    svc.create_sla_policy(
        &system,
        PolicyInput {
            name: "Standard".into(),
            position: 100,
            calendar_id: Some(cal.id),
            applies: Default::default(),
            targets: [t(30, 240), t(60, 480), t(240, 1440), t(480, 4800)],
            pause_in: None,
            warn_percent: None,
            escalation: None,
            is_default: true,
        },
    )
    .await?;
    Ok(())
}
