//! Administration of service levels: business calendars (working hours written per day as
//! "09:00-12:00, 13:00-17:00", holidays one per line, iCalendar import) and SLA policies (targets per
//! priority, conditions, pauses, escalation), and the scheduler's failed jobs. Every action goes
//! through the same use cases as the API.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Form;
use steward_domain::assign::AssignMode;
use steward_domain::calendar::{holidays_from_ical, CalendarDef, HolidayDef, Hours};
use steward_domain::sla::{Applies, Escalation, Targets};
use steward_domain::{CategoryId, Named, OrgId, Priority, Status, TeamId, TicketType};
use steward_service::PolicyInput;

use super::admin::PageQuery;
use super::{
    notice, priority_label, render, see_other, status_label, type_label, Choice, DeskCaller,
    Layout, PageError, PageResult,
};
use crate::AppState;

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// "09:00-12:00, 13:00-17:00" for a day's working hours.
fn day_text(hours: &[Hours]) -> String {
    hours
        .iter()
        .map(|h| format!("{}-{}", h.start, h.end))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_day(day: &str, text: &str) -> Result<Vec<Hours>, PageError> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let (a, b) = part.split_once('-').ok_or_else(|| {
                PageError::Invalid(format!(
                    "{day}: write working hours like 09:00-17:00 (got {part:?})"
                ))
            })?;
            Ok(Hours {
                start: a.trim().to_string(),
                end: b.trim().to_string(),
            })
        })
        .collect()
}

/// One line per holiday: "2026-12-24 Christmas Eve", "2026-12-24..2026-12-31 Closed", "yearly
/// 12-25 Christmas".
fn holiday_line(h: &HolidayDef) -> String {
    let when = match (&h.date, &h.until, &h.yearly) {
        (Some(d), Some(u), _) => format!("{d}..{u}"),
        (Some(d), None, _) => d.clone(),
        (None, _, Some(y)) => format!("yearly {y}"),
        _ => String::new(),
    };
    format!("{when} {}", h.name).trim().to_string()
}

fn parse_holidays(text: &str) -> Vec<HolidayDef> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (first, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            if first.eq_ignore_ascii_case("yearly") {
                let rest = rest.trim();
                let (md, name) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                return HolidayDef {
                    name: name.trim().to_string(),
                    date: None,
                    until: None,
                    yearly: Some(md.to_string()),
                };
            }
            let (date, until) = match first.split_once("..") {
                Some((a, b)) => (a.to_string(), Some(b.to_string())),
                None => (first.to_string(), None),
            };
            HolidayDef {
                name: rest.trim().to_string(),
                date: Some(date),
                until,
                yearly: None,
            }
        })
        .collect()
}

/// A calendar as shown and edited.
pub struct CalendarRow {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    /// (field name, day, hours text)
    pub days: Vec<(String, &'static str, String)>,
    pub holidays: String,
}

/// A policy as shown and edited.
pub struct PolicyRow {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub is_default: bool,
    pub warn_percent: u8,
    pub calendar_choices: Vec<Choice>,
    /// (priority label, [(field, minutes text)]) for first, next, resolution.
    pub targets: Vec<(&'static str, Vec<(String, String)>)>,
    pub pause_choices: Vec<Choice>,
    pub type_choices: Vec<Choice>,
    pub priority_choices: Vec<Choice>,
    pub org_choices: Vec<Choice>,
    pub category_choices: Vec<Choice>,
    pub esc_assignee: bool,
    pub esc_leads: bool,
    pub esc_managers: bool,
    pub esc_raise: bool,
    pub esc_team_choices: Vec<Choice>,
    pub summary: String,
}

/// A failed job as listed.
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub ticket: String,
    pub attempts: i64,
    pub error: String,
}

/// A team's auto-assignment as shown and edited.
pub struct AssignRow {
    pub team_id: i64,
    pub team: String,
    pub choices: Vec<Choice>,
}

#[derive(askama::Template)]
#[template(path = "admin_sla.html")]
struct SlaPage {
    layout: Layout,
    calendars: Vec<CalendarRow>,
    new_calendar: CalendarRow,
    policies: Vec<PolicyRow>,
    new_policy: PolicyRow,
    assignments: Vec<AssignRow>,
    jobs: Vec<JobRow>,
    is_admin: bool,
}

const PRIORITIES: [Priority; 4] = [
    Priority::Critical,
    Priority::High,
    Priority::Medium,
    Priority::Low,
];

fn minutes_text(m: Option<u32>) -> String {
    m.map(|m| m.to_string()).unwrap_or_default()
}

struct Lookups {
    calendars: Vec<(i64, String)>,
    orgs: Vec<(OrgId, String)>,
    categories: Vec<(CategoryId, String)>,
    teams: Vec<(TeamId, String)>,
}

fn policy_row(id: i64, p: Option<&steward_store::sla::SlaPolicy>, l: &Lookups) -> PolicyRow {
    let applies = p.map(|p| p.applies.clone()).unwrap_or_default();
    let esc = p.map(|p| p.escalation.clone()).unwrap_or_default();
    let pause = p.map_or_else(
        || vec![Status::PendingRequester],
        |p| p.rules.pause_in.clone(),
    );
    let targets = PRIORITIES
        .iter()
        .enumerate()
        .map(|(i, prio)| {
            let t = p.map(|p| p.rules.targets[i]).unwrap_or_default();
            let key = prio.as_str();
            (
                priority_label(*prio),
                vec![
                    (
                        format!("{key}_first"),
                        minutes_text(t.first_response_minutes),
                    ),
                    (format!("{key}_next"), minutes_text(t.next_response_minutes)),
                    (
                        format!("{key}_resolution"),
                        minutes_text(t.resolution_minutes),
                    ),
                ],
            )
        })
        .collect();
    let calendar_id = p.and_then(|p| p.calendar_id);
    let mut calendar_choices = vec![Choice::new(
        "",
        "Around the clock (24 × 7)",
        calendar_id.is_none(),
    )];
    calendar_choices.extend(
        l.calendars
            .iter()
            .map(|(cid, n)| Choice::new(cid.to_string(), n.clone(), Some(*cid) == calendar_id)),
    );
    let mut esc_team_choices = vec![Choice::new(
        "",
        "Keep the team",
        esc.reassign_to_team.is_none(),
    )];
    esc_team_choices.extend(
        l.teams.iter().map(|(t, n)| {
            Choice::new(t.0.to_string(), n.clone(), Some(*t) == esc.reassign_to_team)
        }),
    );
    let summary = {
        let mut parts = Vec::new();
        if !applies.organisations.is_empty() {
            parts.push(format!("{} organisation(s)", applies.organisations.len()));
        }
        if !applies.types.is_empty() {
            parts.push(
                applies
                    .types
                    .iter()
                    .map(|t| type_label(*t))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if !applies.categories.is_empty() {
            parts.push(format!("{} category(ies)", applies.categories.len()));
        }
        if !applies.priorities.is_empty() {
            parts.push(
                applies
                    .priorities
                    .iter()
                    .map(|p| priority_label(*p))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if parts.is_empty() {
            "every ticket".to_string()
        } else {
            parts.join(" · ")
        }
    };
    PolicyRow {
        id,
        name: p.map(|p| p.name.clone()).unwrap_or_default(),
        position: p.map_or(0, |p| p.position),
        is_default: p.is_some_and(|p| p.is_default),
        warn_percent: p.map_or(75, |p| p.rules.warn_percent),
        calendar_choices,
        targets,
        pause_choices: [
            Status::New,
            Status::Open,
            Status::PendingRequester,
            Status::PendingVendor,
        ]
        .iter()
        .map(|s| {
            Choice::new(
                format!("pause_{}", s.as_str()),
                status_label(*s),
                pause.contains(s),
            )
        })
        .collect(),
        type_choices: TicketType::ALL
            .iter()
            .map(|t| {
                Choice::new(
                    format!("type_{}", t.as_str()),
                    type_label(*t),
                    applies.types.contains(t),
                )
            })
            .collect(),
        priority_choices: PRIORITIES
            .iter()
            .map(|p| {
                Choice::new(
                    format!("priority_{}", p.as_str()),
                    priority_label(*p),
                    applies.priorities.contains(p),
                )
            })
            .collect(),
        org_choices: l
            .orgs
            .iter()
            .map(|(o, n)| {
                Choice::new(
                    format!("org_{}", o.0),
                    n.clone(),
                    applies.organisations.contains(o),
                )
            })
            .collect(),
        category_choices: l
            .categories
            .iter()
            .map(|(c, n)| {
                Choice::new(
                    format!("category_{}", c.0),
                    n.clone(),
                    applies.categories.contains(c),
                )
            })
            .collect(),
        esc_assignee: esc.notify_assignee,
        esc_leads: esc.notify_team_leads,
        esc_managers: esc.notify_managers,
        esc_raise: esc.raise_priority,
        esc_team_choices,
        summary,
    }
}

fn calendar_row(id: i64, name: &str, def: &CalendarDef) -> CalendarRow {
    CalendarRow {
        id,
        name: name.to_string(),
        time_zone: def.time_zone.clone(),
        days: DAYS
            .iter()
            .enumerate()
            .map(|(i, d)| {
                (
                    format!("day{i}"),
                    *d,
                    def.week.get(i).map(|h| day_text(h)).unwrap_or_default(),
                )
            })
            .collect(),
        holidays: def
            .holidays
            .iter()
            .map(holiday_line)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// `GET /agent/admin/sla`.
pub async fn page(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let actor = caller.actor();
    let calendars = s.service.calendars(actor).await?;
    let policies = s.service.sla_policies(actor).await?;
    let orgs = s.service.list_orgs(actor, None, 500).await?;
    let lookups = Lookups {
        calendars: calendars.iter().map(|c| (c.id, c.name.clone())).collect(),
        orgs: orgs.iter().map(|o| (o.id, o.name.clone())).collect(),
        categories: s
            .service
            .list_categories(actor)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        teams: s
            .service
            .list_teams(actor)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
    };
    let mut assignments = Vec::new();
    for (team, name) in &lookups.teams {
        let mode = s.service.team_assignment(actor, *team).await?;
        let mut choices = vec![Choice::new("", "The team takes them", mode.is_none())];
        choices.push(Choice::new(
            "round_robin",
            "In turn (round robin)",
            mode == Some(AssignMode::RoundRobin),
        ));
        choices.push(Choice::new(
            "least_open",
            "To the least busy",
            mode == Some(AssignMode::LeastOpen),
        ));
        assignments.push(AssignRow {
            team_id: team.0,
            team: name.clone(),
            choices,
        });
    }
    let is_admin = actor.role == steward_domain::Role::Admin;
    let jobs = if is_admin {
        s.service
            .failed_jobs(actor)
            .await?
            .into_iter()
            .map(|j| JobRow {
                id: j.id,
                kind: j.kind,
                ticket: j
                    .ticket_id
                    .map(|t| format!("ticket id {}", t.0))
                    .unwrap_or_default(),
                attempts: j.attempts,
                error: j.last_error.unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut office = CalendarDef::always();
    for (i, day) in office.week.iter_mut().enumerate() {
        *day = if i < 5 {
            vec![Hours {
                start: "09:00".into(),
                end: "17:00".into(),
            }]
        } else {
            Vec::new()
        };
    }
    Ok(render(&SlaPage {
        layout: caller.layout("Service levels", "admin", notice(q.notice.as_deref())),
        calendars: calendars
            .iter()
            .map(|c| calendar_row(c.id, &c.name, &c.def))
            .collect(),
        new_calendar: calendar_row(0, "", &office),
        policies: policies
            .iter()
            .map(|p| policy_row(p.id, Some(p), &lookups))
            .collect(),
        new_policy: policy_row(0, None, &lookups),
        assignments,
        jobs,
        is_admin,
    }))
}

fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map_or("", |v| v.trim())
}

fn checked(f: &HashMap<String, String>, k: &str) -> bool {
    f.contains_key(k)
}

fn csrf(caller: &super::PageCaller, f: &HashMap<String, String>) -> Result<(), PageError> {
    caller.check_csrf(field(f, "csrf"))
}

fn calendar_def(f: &HashMap<String, String>) -> Result<CalendarDef, PageError> {
    let week = (0..7)
        .map(|i| parse_day(DAYS[i], field(f, &format!("day{i}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CalendarDef {
        time_zone: field(f, "time_zone").to_string(),
        week,
        holidays: parse_holidays(field(f, "holidays")),
    })
}

/// `POST /agent/admin/sla/calendars`: a new calendar.
pub async fn create_calendar(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    csrf(&caller, &f)?;
    s.service
        .create_calendar(caller.actor(), field(&f, "name"), calendar_def(&f)?)
        .await?;
    Ok(see_other("/agent/admin/sla?notice=saved#calendars"))
}

/// `POST /agent/admin/sla/calendars/{id}`: save, import holidays, or delete.
pub async fn update_calendar(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    csrf(&caller, &f)?;
    let actor = caller.actor();
    match field(&f, "action") {
        "delete" => {
            s.service.delete_calendar(actor, id).await?;
            return Ok(see_other("/agent/admin/sla?notice=deleted#calendars"));
        }
        "import" => {
            let mut def = calendar_def(&f)?;
            let found = holidays_from_ical(field(&f, "ical"))
                .map_err(|e| PageError::Invalid(e.to_string()))?;
            for h in found {
                if !def.holidays.contains(&h) {
                    def.holidays.push(h);
                }
            }
            s.service
                .update_calendar(actor, id, field(&f, "name"), def)
                .await?;
        }
        _ => {
            s.service
                .update_calendar(actor, id, field(&f, "name"), calendar_def(&f)?)
                .await?;
        }
    }
    Ok(see_other("/agent/admin/sla?notice=saved#calendars"))
}

/// Minutes as written: "90", "1:30" (hours and minutes), or empty for no promise.
fn minutes(label: &str, text: &str) -> Result<Option<u32>, PageError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || {
        PageError::Invalid(format!(
            "{label}: write minutes (90) or hours:minutes (1:30)"
        ))
    };
    let m = match t.split_once(':') {
        Some((h, m)) => {
            let (h, m) = (
                h.trim().parse::<u32>().map_err(|_| bad())?,
                m.trim().parse::<u32>().map_err(|_| bad())?,
            );
            h.checked_mul(60)
                .and_then(|h| h.checked_add(m))
                .ok_or_else(bad)?
        }
        None => t.parse::<u32>().map_err(|_| bad())?,
    };
    Ok(Some(m))
}

fn policy_input(f: &HashMap<String, String>) -> Result<PolicyInput, PageError> {
    let mut targets = [Targets::default(); 4];
    for (i, p) in PRIORITIES.iter().enumerate() {
        let k = p.as_str();
        targets[i] = Targets {
            first_response_minutes: minutes(
                &format!("{k} first response"),
                field(f, &format!("{k}_first")),
            )?,
            next_response_minutes: minutes(
                &format!("{k} next response"),
                field(f, &format!("{k}_next")),
            )?,
            resolution_minutes: minutes(
                &format!("{k} resolution"),
                field(f, &format!("{k}_resolution")),
            )?,
        };
    }
    let ids = |prefix: &str| -> Vec<i64> {
        f.keys()
            .filter_map(|k| k.strip_prefix(prefix))
            .filter_map(|v| v.parse().ok())
            .collect()
    };
    let applies = Applies {
        organisations: ids("org_").into_iter().map(OrgId).collect(),
        categories: ids("category_").into_iter().map(CategoryId).collect(),
        types: TicketType::ALL
            .iter()
            .copied()
            .filter(|t| checked(f, &format!("type_{}", t.as_str())))
            .collect(),
        priorities: PRIORITIES
            .iter()
            .copied()
            .filter(|p| checked(f, &format!("priority_{}", p.as_str())))
            .collect(),
    };
    let pause_in = Status::ALL
        .iter()
        .copied()
        .filter(|s| checked(f, &format!("pause_{}", s.as_str())))
        .collect();
    let number = |k: &str, what: &str| -> Result<i64, PageError> {
        let v = field(f, k);
        if v.is_empty() {
            return Ok(0);
        }
        v.parse()
            .map_err(|_| PageError::Invalid(format!("{what}: write a whole number")))
    };
    let calendar_id = match field(f, "calendar") {
        "" => None,
        v => Some(
            v.parse()
                .map_err(|_| PageError::Invalid("Choose a calendar.".into()))?,
        ),
    };
    let reassign_to_team = match field(f, "esc_team") {
        "" => None,
        v => Some(TeamId(
            v.parse()
                .map_err(|_| PageError::Invalid("Choose a team.".into()))?,
        )),
    };
    Ok(PolicyInput {
        name: field(f, "name").to_string(),
        position: number("position", "Position")?,
        calendar_id,
        applies,
        targets,
        pause_in: Some(pause_in),
        warn_percent: Some(
            u8::try_from(number("warn_percent", "Warning at")?)
                .map_err(|_| PageError::Invalid("Warning at: a share from 1 to 100".into()))?,
        ),
        escalation: Some(Escalation {
            notify_assignee: checked(f, "esc_assignee"),
            notify_team_leads: checked(f, "esc_leads"),
            notify_managers: checked(f, "esc_managers"),
            reassign_to_team,
            raise_priority: checked(f, "esc_raise"),
        }),
        is_default: checked(f, "is_default"),
    })
}

/// `POST /agent/admin/sla/policies`: a new policy.
pub async fn create_policy(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    csrf(&caller, &f)?;
    s.service
        .create_sla_policy(caller.actor(), policy_input(&f)?)
        .await?;
    Ok(see_other("/agent/admin/sla?notice=saved#policies"))
}

/// `POST /agent/admin/sla/policies/{id}`: save or delete.
pub async fn update_policy(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    csrf(&caller, &f)?;
    if field(&f, "action") == "delete" {
        s.service.delete_sla_policy(caller.actor(), id).await?;
        return Ok(see_other("/agent/admin/sla?notice=deleted#policies"));
    }
    s.service
        .update_sla_policy(caller.actor(), id, policy_input(&f)?)
        .await?;
    Ok(see_other("/agent/admin/sla?notice=saved#policies"))
}

/// `POST /agent/admin/sla/assignment/{team}`.
pub async fn set_assignment(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(team): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    csrf(&caller, &f)?;
    let mode = match field(&f, "mode") {
        "" => None,
        m => Some(AssignMode::parse(m).map_err(|e| PageError::Invalid(e.to_string()))?),
    };
    s.service
        .set_team_assignment(caller.actor(), TeamId(team), mode)
        .await?;
    Ok(see_other("/agent/admin/sla?notice=saved#assignment"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hours_and_holidays_read_back_as_written() {
        let day = parse_day("Monday", "09:00-12:00, 13:00-17:00").unwrap();
        assert_eq!(day_text(&day), "09:00-12:00, 13:00-17:00");
        assert!(parse_day("Monday", "nine to five").is_err());
        assert!(parse_day("Monday", "").unwrap().is_empty());
        let text =
            "2026-12-24 Christmas Eve\n2026-08-10..2026-08-14 Retreat\nyearly 01-01 New Year";
        let h = parse_holidays(text);
        assert_eq!(h.len(), 3);
        assert_eq!(h[1].until.as_deref(), Some("2026-08-14"));
        assert_eq!(h[2].yearly.as_deref(), Some("01-01"));
        let back: Vec<String> = h.iter().map(holiday_line).collect();
        assert_eq!(back.join("\n"), text);
    }

    #[test]
    fn minutes_take_hours_too() {
        assert_eq!(minutes("x", "90").unwrap(), Some(90));
        assert_eq!(minutes("x", "1:30").unwrap(), Some(90));
        assert_eq!(minutes("x", " ").unwrap(), None);
        assert!(minutes("x", "soon").is_err());
        assert!(minutes("x", "99999999:0").is_err());
    }
}
