//! Administration of automation: rules (written as lines, with a test mode that lists the open
//! tickets a rule's conditions match now), recurring tickets (an iCalendar RRULE and the ticket to
//! open) and downtime (outages, and each month against the commitments). Every action goes
//! through the same use cases as the API.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::Form;
use serde::Deserialize;
use steward_domain::rules::{Conditions, RuleDef, Trigger};
use steward_domain::{Named, OrgId, PersonId, Priority, TeamId, TicketType, Timestamp};
use steward_service::{NewDowntime, RecurringInput, RecurringTemplate, RuleInput};
use steward_store::downtime::Commitment;

use super::rule_lines::{self, Names};
use super::{
    notice, priority_label, render, see_other, type_label, when, Choice, DeskCaller, Layout,
    PageError, PageResult,
};
use crate::AppState;

const TRIGGERS: [(Trigger, &str); 7] = [
    (Trigger::Created, "A ticket is opened"),
    (Trigger::Updated, "A ticket is changed"),
    (Trigger::MessageAdded, "A message is added"),
    (Trigger::SlaWarning, "An SLA warning fires"),
    (Trigger::SlaBreach, "An SLA target is missed"),
    (Trigger::Rated, "The requester rates the ticket"),
    (Trigger::Time, "Time passes (checked every 5 minutes)"),
];

fn trigger_key(t: Trigger) -> String {
    format!(
        "on_{}",
        serde_json::to_value(t)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    )
}

/// A rule's form.
pub struct RuleRow {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub enabled: bool,
    pub stop: bool,
    pub triggers: Vec<Choice>,
    pub all: String,
    pub any: String,
    pub actions: String,
    /// "When a ticket is opened · 2 conditions · 3 actions".
    pub summary: String,
    /// Open in the page (it was just tested).
    pub open: bool,
}

fn rule_row(
    id: i64,
    name: &str,
    position: i64,
    enabled: bool,
    def: &RuleDef,
    n: &Names,
) -> RuleRow {
    let lines = |cs: &[steward_domain::rules::Condition]| {
        cs.iter()
            .map(|c| rule_lines::condition_line(c, n))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let when: Vec<&str> = TRIGGERS
        .iter()
        .filter(|(t, _)| def.triggers.contains(t))
        .map(|(_, l)| *l)
        .collect();
    RuleRow {
        id,
        name: name.to_string(),
        position,
        enabled,
        stop: def.stop,
        triggers: TRIGGERS
            .iter()
            .map(|(t, l)| Choice::new(trigger_key(*t), *l, def.triggers.contains(t)))
            .collect(),
        all: lines(&def.conditions.all),
        any: lines(&def.conditions.any),
        actions: def
            .actions
            .iter()
            .map(|a| rule_lines::action_line(a, n))
            .collect::<Vec<_>>()
            .join("\n"),
        summary: format!(
            "{} · {} condition(s) · {} action(s){}",
            if when.is_empty() {
                "never".to_string()
            } else {
                when.join(", ").to_lowercase()
            },
            def.conditions.all.len() + def.conditions.any.len(),
            def.actions.len(),
            if enabled { "" } else { " · off" }
        ),
        open: false,
    }
}

/// A schedule's form.
pub struct RecurringRow {
    pub id: i64,
    pub name: String,
    pub rrule: String,
    pub starts: String,
    pub time_zone: String,
    pub enabled: bool,
    pub subject: String,
    pub body: String,
    pub requester: String,
    pub tags: String,
    pub type_choices: Vec<Choice>,
    pub priority_choices: Vec<Choice>,
    pub team_choices: Vec<Choice>,
    pub assignee_choices: Vec<Choice>,
    pub category_choices: Vec<Choice>,
    pub description: String,
    pub upcoming: Vec<String>,
    pub last_ticket: Option<i64>,
}

/// An outage as listed.
pub struct DowntimeRow {
    pub id: i64,
    pub service: String,
    pub organisation: String,
    pub started: String,
    pub ended: Option<String>,
    pub note: String,
}

/// A commitment's month.
pub struct MonthRow {
    pub service: String,
    pub organisation: String,
    pub down: i64,
    pub allowed: i64,
    pub kept: bool,
}

#[derive(Template)]
#[template(path = "admin_automation.html")]
struct AutomationPage {
    layout: Layout,
    rules: Vec<RuleRow>,
    new_rule: RuleRow,
    /// Test mode: the rule's name and the tickets it matches now.
    tested: Option<(String, Vec<(i64, String)>)>,
    names: Names,
    recurring: Vec<RecurringRow>,
    new_recurring: RecurringRow,
    downtimes: Vec<DowntimeRow>,
    month: String,
    months: Vec<MonthRow>,
    org_choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
pub struct AutomationQuery {
    notice: Option<String>,
    /// `2026-11`: the month of the downtime report.
    month: Option<String>,
}

struct Context {
    names: Names,
    orgs: Vec<(i64, String)>,
}

async fn context(s: &AppState, caller: &super::PageCaller) -> PageResult<Context> {
    let actor = caller.actor();
    Ok(Context {
        names: Names {
            teams: s
                .service
                .list_teams(actor)
                .await?
                .into_iter()
                .map(|t| (t.id.0, t.name))
                .collect(),
            people: super::agent::staff_list(s, actor)
                .await?
                .into_iter()
                .map(|p| (p.id.0, p.name))
                .collect(),
            categories: s
                .service
                .list_categories(actor)
                .await?
                .into_iter()
                .map(|c| (c.id.0, c.name))
                .collect(),
        },
        orgs: s
            .service
            .list_orgs(actor, None, 500)
            .await?
            .into_iter()
            .map(|o| (o.id.0, o.name))
            .collect(),
    })
}

fn id_choices(list: &[(i64, String)], none: &str, current: Option<i64>) -> Vec<Choice> {
    let mut out = vec![Choice::new("", none, current.is_none())];
    out.extend(
        list.iter()
            .map(|(id, n)| Choice::new(id.to_string(), n.clone(), Some(*id) == current)),
    );
    out
}

fn recurring_row(
    r: Option<&steward_service::RecurringTicket>,
    requester: String,
    c: &Context,
) -> RecurringRow {
    let t = r.map(|r| &r.template);
    let ty = t.and_then(|t| t.ticket_type);
    let pr = t.and_then(|t| t.priority);
    let mut type_choices = vec![Choice::new("", "Incident (default)", ty.is_none())];
    type_choices.extend(
        TicketType::ALL
            .iter()
            .map(|&x| Choice::new(x.as_str(), type_label(x), Some(x) == ty)),
    );
    let mut priority_choices = vec![Choice::new("", "From impact and urgency", pr.is_none())];
    priority_choices.extend(
        Priority::ALL
            .iter()
            .map(|&x| Choice::new(x.as_str(), priority_label(x), Some(x) == pr)),
    );
    RecurringRow {
        id: r.map_or(0, |r| r.stored.id),
        name: r.map(|r| r.stored.name.clone()).unwrap_or_default(),
        rrule: r.map_or_else(
            || "FREQ=MONTHLY;BYDAY=1MO".into(),
            |r| r.stored.rrule.clone(),
        ),
        starts: r.map(|r| r.stored.starts_local.clone()).unwrap_or_default(),
        time_zone: r.map_or_else(|| "UTC".into(), |r| r.stored.time_zone.clone()),
        enabled: r.is_none_or(|r| r.stored.enabled),
        subject: t.map(|t| t.subject.clone()).unwrap_or_default(),
        body: t.map(|t| t.body.clone()).unwrap_or_default(),
        requester,
        tags: t.map(|t| t.tags.join(" ")).unwrap_or_default(),
        type_choices,
        priority_choices,
        team_choices: id_choices(
            &c.names.teams,
            "No team",
            t.and_then(|t| t.team_id.map(|x| x.0)),
        ),
        assignee_choices: id_choices(
            &c.names.people,
            "Nobody (the team takes it)",
            t.and_then(|t| t.assignee_id.map(|x| x.0)),
        ),
        category_choices: id_choices(
            &c.names.categories,
            "No category",
            t.and_then(|t| t.category_id.map(|x| x.0)),
        ),
        description: r.map(|r| r.description.clone()).unwrap_or_default(),
        upcoming: r.map_or_else(Vec::new, |r| r.upcoming.iter().map(|t| when(*t)).collect()),
        last_ticket: None,
    }
}

fn this_month(now: Timestamp) -> (i16, i8) {
    let d = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    (d.year(), d.month())
}

fn parse_month(text: Option<&str>, now: Timestamp) -> (i16, i8) {
    text.and_then(|m| {
        let (y, mo) = m.split_once('-')?;
        let (y, mo) = (y.parse::<i16>().ok()?, mo.parse::<i8>().ok()?);
        // Up to 9998: the report reads to the start of the next month.
        ((1970..=9998).contains(&y) && (1..=12).contains(&mo)).then_some((y, mo))
    })
    .unwrap_or_else(|| this_month(now))
}

async fn show(
    s: &AppState,
    caller: &super::PageCaller,
    q: &AutomationQuery,
    tested: Option<(RuleRow, Vec<(i64, String)>)>,
) -> PageResult {
    let actor = caller.actor();
    let c = context(s, caller).await?;
    let now = s.service.now();
    let mut rules: Vec<RuleRow> = s
        .service
        .rules(actor)
        .await?
        .iter()
        .map(|r| rule_row(r.id, &r.name, r.position, r.enabled, &r.def, &c.names))
        .collect();
    let mut new_rule = rule_row(
        0,
        "",
        (rules.len() as i64 + 1) * 10,
        true,
        &RuleDef {
            triggers: vec![Trigger::Created],
            conditions: Conditions::default(),
            actions: Vec::new(),
            stop: false,
        },
        &c.names,
    );
    let tested = match tested {
        Some((mut row, found)) => {
            row.open = true;
            let name = if row.name.is_empty() {
                "the new rule".to_string()
            } else {
                row.name.clone()
            };
            if row.id == 0 {
                new_rule = row;
            } else if let Some(slot) = rules.iter_mut().find(|r| r.id == row.id) {
                *slot = row;
            }
            Some((name, found))
        }
        None => None,
    };
    let mut recurring = Vec::new();
    for r in s.service.recurring_tickets(actor).await? {
        let requester = match s.service.get_person(actor, r.template.requester_id).await {
            Ok(p) => p.email,
            Err(_) => r.template.requester_id.0.to_string(),
        };
        let mut row = recurring_row(Some(&r), requester, &c);
        row.last_ticket = match r.stored.last_ticket {
            Some(t) => s.service.get_ticket(actor, t).await.ok().map(|t| t.number),
            None => None,
        };
        recurring.push(row);
    }
    let (year, month) = parse_month(q.month.as_deref(), now);
    let org_name = |o: Option<OrgId>| match o {
        None => "Everyone".to_string(),
        Some(o) => c
            .orgs
            .iter()
            .find(|(id, _)| *id == o.0)
            .map_or_else(|| format!("organisation {}", o.0), |(_, n)| n.clone()),
    };
    let from = jiff::civil::date(year, month, 1)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|_| PageError::Internal)?;
    let to = from
        .checked_add(jiff::Span::new().months(1))
        .map_err(|_| PageError::Internal)?;
    let downtimes = s
        .service
        .downtimes(actor, from.timestamp(), to.timestamp())
        .await?
        .into_iter()
        .map(|d| DowntimeRow {
            id: d.id,
            organisation: org_name(d.organisation_id),
            service: d.service,
            started: when(d.started_at),
            ended: d.ended_at.map(when),
            note: d.note,
        })
        .collect();
    let months = s
        .service
        .downtime_report(actor, year, month)
        .await?
        .into_iter()
        .map(|m| MonthRow {
            organisation: org_name(m.commitment.organisation_id),
            service: m.commitment.service,
            down: m.down_minutes,
            allowed: m.commitment.max_minutes_per_month,
            kept: m.kept,
        })
        .collect();
    let new_recurring = recurring_row(None, String::new(), &c);
    Ok(render(&AutomationPage {
        layout: caller.layout("Automation", "admin", notice(q.notice.as_deref())),
        rules,
        new_rule,
        tested,
        recurring,
        new_recurring,
        downtimes,
        month: format!("{year:04}-{month:02}"),
        months,
        org_choices: id_choices(&c.orgs, "Everyone", None),
        names: c.names,
    }))
}

/// `GET /agent/admin/automation`.
pub async fn page(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Query(q): Query<AutomationQuery>,
) -> PageResult {
    show(&s, &caller, &q, None).await
}

fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map_or("", |v| v.trim())
}

fn raw<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map_or("", String::as_str)
}

fn rule_input(f: &HashMap<String, String>, n: &Names) -> Result<RuleInput, PageError> {
    let invalid = PageError::Invalid;
    let all = rule_lines::parse_lines("All of these", raw(f, "all"), |l| {
        rule_lines::parse_condition(l, n)
    })
    .map_err(invalid)?;
    let any = rule_lines::parse_lines("Any of these", raw(f, "any"), |l| {
        rule_lines::parse_condition(l, n)
    })
    .map_err(invalid)?;
    let actions = rule_lines::parse_lines("Actions", raw(f, "actions"), |l| {
        rule_lines::parse_action(l, n)
    })
    .map_err(invalid)?;
    Ok(RuleInput {
        name: field(f, "name").to_string(),
        position: field(f, "position").parse().unwrap_or(0),
        enabled: f.contains_key("enabled"),
        def: RuleDef {
            triggers: TRIGGERS
                .iter()
                .filter(|(t, _)| f.contains_key(&trigger_key(*t)))
                .map(|(t, _)| *t)
                .collect(),
            conditions: Conditions { all, any },
            actions,
            stop: f.contains_key("stop"),
        },
    })
}

/// `POST /agent/admin/automation/rules`: add (or test) a rule.
pub async fn new_rule(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    rule_form(&s, &caller, None, &f).await
}

/// `POST /agent/admin/automation/rules/{id}`: save, test or delete a rule.
pub async fn save_rule(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    rule_form(&s, &caller, Some(id), &f).await
}

async fn rule_form(
    s: &AppState,
    caller: &super::PageCaller,
    id: Option<i64>,
    f: &HashMap<String, String>,
) -> PageResult {
    caller.check_csrf(field(f, "csrf"))?;
    let actor = caller.actor();
    if field(f, "action") == "delete" {
        if let Some(id) = id {
            s.service.delete_rule(actor, id).await?;
        }
        return Ok(see_other("/agent/admin/automation?notice=deleted#rules"));
    }
    let c = context(s, caller).await?;
    let input = rule_input(f, &c.names)?;
    if field(f, "action") == "test" {
        let found = s
            .service
            .test_rule(actor, &input.def)
            .await?
            .into_iter()
            .map(|t| (t.number, t.subject))
            .collect();
        let row = rule_row(
            id.unwrap_or(0),
            &input.name,
            input.position,
            input.enabled,
            &input.def,
            &c.names,
        );
        let q = AutomationQuery {
            notice: None,
            month: None,
        };
        return show(s, caller, &q, Some((row, found))).await;
    }
    match id {
        Some(id) => s.service.update_rule(actor, id, input).await?,
        None => s.service.create_rule(actor, input).await?,
    };
    Ok(see_other("/agent/admin/automation?notice=saved#rules"))
}

/// `POST /agent/admin/automation/recurring`: add a schedule.
pub async fn new_recurring(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    recurring_form(&s, &caller, None, &f).await
}

/// `POST /agent/admin/automation/recurring/{id}`: save or delete a schedule.
pub async fn save_recurring(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    recurring_form(&s, &caller, Some(id), &f).await
}

async fn recurring_form(
    s: &AppState,
    caller: &super::PageCaller,
    id: Option<i64>,
    f: &HashMap<String, String>,
) -> PageResult {
    caller.check_csrf(field(f, "csrf"))?;
    let actor = caller.actor();
    if field(f, "action") == "delete" {
        if let Some(id) = id {
            s.service.delete_recurring(actor, id).await?;
        }
        return Ok(see_other(
            "/agent/admin/automation?notice=deleted#recurring",
        ));
    }
    let requester = field(f, "requester");
    let requester_id = match requester.parse::<i64>() {
        Ok(id) => PersonId(id),
        Err(_) => match s.service.get_person_by_email(actor, requester).await {
            Ok(p) => p.id,
            Err(steward_service::ServiceError::NotFound(_)) => {
                return Err(PageError::Invalid(format!(
                    "Nobody has the address {requester:?}: add them under People first."
                )))
            }
            Err(e) => return Err(e.into()),
        },
    };
    let opt_id = |k: &str| -> Result<Option<i64>, PageError> {
        match field(f, k) {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| PageError::Invalid(format!("{k}: not a choice"))),
        }
    };
    let named = |k: &str| field(f, k);
    let input = RecurringInput {
        name: field(f, "name").to_string(),
        rrule: field(f, "rrule").to_string(),
        starts: field(f, "starts").to_string(),
        time_zone: field(f, "time_zone").to_string(),
        enabled: f.contains_key("enabled"),
        template: RecurringTemplate {
            subject: field(f, "subject").to_string(),
            body: raw(f, "body").trim_end().to_string(),
            ticket_type: match named("type") {
                "" => None,
                v => Some(TicketType::parse(v).map_err(|e| PageError::Invalid(e.to_string()))?),
            },
            requester_id,
            priority: match named("priority") {
                "" => None,
                v => Some(Priority::parse(v).map_err(|e| PageError::Invalid(e.to_string()))?),
            },
            team_id: opt_id("team")?.map(TeamId),
            assignee_id: opt_id("assignee")?.map(PersonId),
            category_id: opt_id("category")?.map(steward_domain::CategoryId),
            tags: field(f, "tags")
                .split([' ', ','])
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        },
    };
    s.service.save_recurring(actor, id, input).await?;
    Ok(see_other("/agent/admin/automation?notice=saved#recurring"))
}

fn utc_input(label: &str, text: &str) -> Result<Option<Timestamp>, PageError> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| Some(z.timestamp()))
        .ok_or_else(|| {
            PageError::Invalid(format!(
                "{label}: write a date and time like 2026-11-24 15:30"
            ))
        })
}

/// `POST /agent/admin/automation/downtimes`: record an outage.
pub async fn record_downtime(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    caller.check_csrf(field(&f, "csrf"))?;
    let started_at = utc_input("Started", field(&f, "started"))?
        .ok_or_else(|| PageError::Invalid("Started: when did it start?".into()))?;
    s.service
        .record_downtime(
            caller.actor(),
            NewDowntime {
                service: field(&f, "service").to_string(),
                organisation_id: field(&f, "organisation").parse().ok().map(OrgId),
                started_at,
                ended_at: utc_input("Ended", field(&f, "ended"))?,
                note: field(&f, "note").to_string(),
            },
        )
        .await?;
    Ok(see_other("/agent/admin/automation?notice=saved#downtime"))
}

/// `POST /agent/admin/automation/downtimes/{id}/end`: the outage is over now.
pub async fn end_downtime(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    caller.check_csrf(field(&f, "csrf"))?;
    s.service.end_downtime(caller.actor(), id, None).await?;
    Ok(see_other("/agent/admin/automation?notice=saved#downtime"))
}

/// `POST /agent/admin/automation/commitments`: at most so many minutes a month.
pub async fn set_commitment(
    State(s): State<AppState>,
    DeskCaller(caller): DeskCaller,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    caller.check_csrf(field(&f, "csrf"))?;
    let max = field(&f, "max_minutes")
        .parse::<i64>()
        .map_err(|_| PageError::Invalid("Allowed downtime: a number of minutes".into()))?;
    s.service
        .set_downtime_commitment(
            caller.actor(),
            Commitment {
                id: 0,
                service: field(&f, "service").to_string(),
                organisation_id: field(&f, "organisation").parse().ok().map(OrgId),
                max_minutes_per_month: max,
                time_zone: match field(&f, "time_zone") {
                    "" => "UTC".to_string(),
                    z => z.to_string(),
                },
            },
        )
        .await?;
    Ok(see_other("/agent/admin/automation?notice=saved#downtime"))
}
