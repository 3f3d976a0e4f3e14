//! The agent workspace: queues, the ticket page, new tickets, bulk changes.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::Form;
use serde::Deserialize;
use steward_domain::{
    Category, CategoryId, Channel, Field, Impact, MessageKind, Named, OrgId, Person, PersonId,
    Priority, Status, Team, TeamId, Ticket, TicketType, Urgency,
};
use steward_service::{CreateTicket, MessageInput, ServiceError, TicketUpdate};
use steward_store::directory::PeopleFilter;
use steward_store::tickets::{PageRequest, TicketFilter, TicketSort};

use super::{
    ago, blank, channel_label, impact_choices, notice, parse, parse_id, priority_choices,
    priority_label, render, see_other, status_choices, status_label, type_choices, type_label,
    urgency_choices, when, Choice, CsrfOnly, Layout, Names, PageCaller, PageError, PageResult,
    StaffCaller, TicketRow,
};
use crate::AppState;

const PAGE_SIZE: i64 = 50;

/// Statuses of work still to do.
const ACTIVE: [Status; 4] = [
    Status::New,
    Status::Open,
    Status::PendingRequester,
    Status::PendingVendor,
];

// ---------------------------------------------------------------- queue

#[derive(Debug, Deserialize, Default)]
pub struct QueueQuery {
    view: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    team: Option<String>,
    assignee: Option<String>,
    organisation: Option<String>,
    tag: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

/// A queue in the side bar, with its count.
pub struct ViewLink {
    pub key: String,
    pub label: String,
    pub count: i64,
    pub current: bool,
}

/// A sortable column header.
pub struct SortLink {
    pub href: String,
    /// "ascending", "descending" or "none", for `aria-sort`.
    pub aria: &'static str,
}

/// One of the person's saved views.
pub struct SavedViewLink {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub current: bool,
}

#[derive(askama::Template)]
#[template(path = "agent_queue.html")]
struct QueuePage {
    layout: Layout,
    views: Vec<ViewLink>,
    saved: Vec<SavedViewLink>,
    this_query: String,
    view_label: String,
    rows: Vec<TicketRow>,
    total: i64,
    next_href: Option<String>,
    first_href: Option<String>,
    sort_number: SortLink,
    sort_priority: SortLink,
    sort_updated: SortLink,
    sort_due: SortLink,
    status_choices: Vec<Choice>,
    priority_choices: Vec<Choice>,
    type_choices: Vec<Choice>,
    team_choices: Vec<Choice>,
    staff_choices: Vec<Choice>,
    tag: String,
    view: String,
    filters_active: bool,
    csrf_back: String,
}

/// The filter a named view stands for.
fn view_filter(view: &str, me: Option<PersonId>) -> (TicketFilter, String) {
    let active = || ACTIVE.to_vec();
    match view {
        "unassigned" => (
            TicketFilter {
                statuses: active(),
                assignee: Some(None),
                ..Default::default()
            },
            "Unassigned".into(),
        ),
        "open" => (
            TicketFilter {
                statuses: active(),
                ..Default::default()
            },
            "All open".into(),
        ),
        "recent" => (TicketFilter::default(), "Recently updated".into()),
        v if v.starts_with("team-") => {
            // A team id that is not a number matches no ticket (not "no team").
            let team = Some(TeamId(v[5..].parse::<i64>().unwrap_or(-1)));
            (
                TicketFilter {
                    statuses: active(),
                    team: Some(team),
                    ..Default::default()
                },
                "Team".into(),
            )
        }
        _ => (
            TicketFilter {
                statuses: active(),
                assignee: Some(me),
                ..Default::default()
            },
            "My open tickets".into(),
        ),
    }
}

pub(super) fn query_string(pairs: &[(&str, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", super::url_encode(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// `GET /agent`: a queue.
pub async fn queue(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let actor = caller.actor();
    let me = actor.person_id;
    let view = blank(&q.view).unwrap_or("mine").to_string();
    let (mut filter, mut view_label) = view_filter(&view, me);
    // Explicit filters narrow the view.
    if let Some(st) = parse::<Status>(&q.status)? {
        filter.statuses = vec![st];
    }
    if let Some(p) = parse::<Priority>(&q.priority)? {
        filter.priorities = vec![p];
    }
    if let Some(t) = parse::<TicketType>(&q.ticket_type)? {
        filter.types = vec![t];
    }
    match blank(&q.team) {
        Some("none") => filter.team = Some(None),
        Some(_) => filter.team = Some(parse_id("team", &q.team)?.map(TeamId)),
        None => {}
    }
    match blank(&q.assignee) {
        Some("none") => filter.assignee = Some(None),
        Some(_) => filter.assignee = Some(parse_id("assignee", &q.assignee)?.map(PersonId)),
        None => {}
    }
    if let Some(o) = parse_id("organisation", &q.organisation)? {
        filter.organisation = Some(OrgId(o));
    }
    if let Some(tag) = blank(&q.tag) {
        filter.tag = Some(
            steward_domain::validate::tag(tag).map_err(|e| PageError::Invalid(e.to_string()))?,
        );
    }
    let filters_active = [
        &q.status,
        &q.priority,
        &q.ticket_type,
        &q.team,
        &q.assignee,
        &q.organisation,
        &q.tag,
    ]
    .iter()
    .any(|v| blank(v).is_some());

    let sort_key = blank(&q.sort).unwrap_or("updated");
    let sort = match sort_key {
        "created" => TicketSort::Created,
        "priority" => TicketSort::Priority,
        "number" => TicketSort::Number,
        "due" => TicketSort::Due,
        _ => TicketSort::Updated,
    };
    let descending = match blank(&q.order) {
        Some("asc") => false,
        Some(_) => true,
        None => !matches!(sort, TicketSort::Priority | TicketSort::Due),
    };
    let after = match blank(&q.cursor) {
        Some(c) => {
            let (k, i) = c
                .split_once('.')
                .ok_or_else(|| PageError::Invalid("cursor: not a cursor".into()))?;
            Some((
                k.parse()
                    .map_err(|_| PageError::Invalid("cursor: not a cursor".into()))?,
                i.parse()
                    .map_err(|_| PageError::Invalid("cursor: not a cursor".into()))?,
            ))
        }
        None => None,
    };
    let page = s
        .service
        .list_tickets(
            actor,
            &filter,
            PageRequest {
                sort,
                descending,
                after,
                limit: PAGE_SIZE,
            },
        )
        .await?;
    let total = s.service.count_tickets(actor, &filter).await?;

    let teams = s.service.list_teams(actor).await?;
    let staff = staff_list(&s, actor).await?;
    let mut names = Names::default();
    for t in &teams {
        names.teams.insert(t.id, t.name.clone());
    }
    let mut ids: Vec<PersonId> = page.items.iter().map(|t| t.requester_id).collect();
    ids.extend(page.items.iter().filter_map(|t| t.assignee_id));
    names.add_people(s.service.people_by_ids(actor, &ids).await?);
    if let Some(team_id) = view
        .strip_prefix("team-")
        .and_then(|t| t.parse::<i64>().ok())
    {
        view_label = format!("Team: {}", names.team(Some(TeamId(team_id))));
    }

    // The side bar: every view with its count.
    let mut views = Vec::new();
    let mut view_keys: Vec<(String, String)> = vec![
        ("mine".into(), "My open tickets".into()),
        ("unassigned".into(), "Unassigned".into()),
        ("open".into(), "All open".into()),
    ];
    view_keys.extend(
        teams
            .iter()
            .map(|t| (format!("team-{}", t.id), t.name.clone())),
    );
    // The current view's count is the total already counted, unless filters narrowed it.
    let count_of = |key: &str| {
        let (f, _) = view_filter(key, me);
        let reuse = key == view && !filters_active;
        let s = s.clone();
        async move {
            if reuse {
                Ok(total)
            } else {
                s.service.count_tickets(actor, &f).await
            }
        }
    };
    for (key, label) in view_keys {
        let count = count_of(&key).await?;
        views.push(ViewLink {
            current: key == view,
            key,
            label,
            count,
        });
    }
    views.push(ViewLink {
        key: "recent".into(),
        label: "Recently updated".into(),
        count: count_of("recent").await?,
        current: view == "recent",
    });

    let now = s.service.now();
    let rows: Vec<TicketRow> = page
        .items
        .iter()
        .map(|t| TicketRow::new(t, &names, now))
        .collect();
    let base = |extra: &[(&str, String)]| {
        let mut pairs = vec![
            ("view", view.clone()),
            ("status", q.status.clone().unwrap_or_default()),
            ("priority", q.priority.clone().unwrap_or_default()),
            ("type", q.ticket_type.clone().unwrap_or_default()),
            ("team", q.team.clone().unwrap_or_default()),
            ("assignee", q.assignee.clone().unwrap_or_default()),
            ("organisation", q.organisation.clone().unwrap_or_default()),
            ("tag", q.tag.clone().unwrap_or_default()),
        ];
        pairs.extend(extra.iter().cloned());
        format!("/agent{}", query_string(&pairs))
    };
    let order_str = if descending { "desc" } else { "asc" };
    let next_href = page.next.map(|(k, i)| {
        base(&[
            ("sort", sort_key.to_string()),
            ("order", order_str.into()),
            ("cursor", format!("{k}.{i}")),
        ])
    });
    let first_href =
        after.map(|_| base(&[("sort", sort_key.to_string()), ("order", order_str.into())]));
    let sort_link = |key: &str| {
        let current = key == sort_key;
        // Clicking the current column flips its order; priority starts with the most urgent.
        let next_order = match (current, descending) {
            (true, true) => "asc",
            (true, false) => "desc",
            (false, _) if key == "priority" || key == "due" => "asc",
            (false, _) => "desc",
        };
        SortLink {
            href: base(&[("sort", key.to_string()), ("order", next_order.into())]),
            aria: match (current, descending) {
                (false, _) => "none",
                (true, true) => "descending",
                (true, false) => "ascending",
            },
        }
    };
    let (sort_number, sort_priority, sort_updated, sort_due) = (
        sort_link("number"),
        sort_link("priority"),
        sort_link("updated"),
        sort_link("due"),
    );
    let mut team_choices = vec![Choice::new(
        "none",
        "No team",
        blank(&q.team) == Some("none"),
    )];
    team_choices.extend(teams.iter().map(|t| {
        Choice::new(
            t.id.to_string(),
            t.name.clone(),
            blank(&q.team) == Some(&t.id.to_string()),
        )
    }));
    let mut staff_choices = vec![Choice::new(
        "none",
        "Unassigned",
        blank(&q.assignee) == Some("none"),
    )];
    staff_choices.extend(staff.iter().map(|p| {
        Choice::new(
            p.id.to_string(),
            p.name.clone(),
            blank(&q.assignee) == Some(&p.id.to_string()),
        )
    }));

    let this_href = base(&[("sort", sort_key.to_string()), ("order", order_str.into())]);
    let this_query = this_href
        .trim_start_matches("/agent")
        .trim_start_matches('?')
        .to_string();
    let saved = s
        .service
        .saved_views(actor)
        .await?
        .into_iter()
        .map(|v| SavedViewLink {
            id: v.id,
            current: v.query == this_query,
            href: format!("/agent?{}", v.query),
            name: v.name,
        })
        .collect();
    Ok(render(&QueuePage {
        layout: caller.layout(view_label.clone(), "queue", notice(q.notice.as_deref())),
        views,
        saved,
        this_query,
        view_label,
        rows,
        total,
        next_href,
        first_href,
        sort_number,
        sort_priority,
        sort_updated,
        sort_due,
        status_choices: status_choices(parse::<Status>(&q.status)?),
        priority_choices: priority_choices(parse::<Priority>(&q.priority)?),
        type_choices: type_choices(parse::<TicketType>(&q.ticket_type)?),
        team_choices,
        staff_choices,
        tag: q.tag.clone().unwrap_or_default(),
        csrf_back: base(&[("sort", sort_key.to_string()), ("order", order_str.into())]),
        view,
        filters_active,
    }))
}

pub(crate) async fn staff_list(
    s: &AppState,
    actor: &steward_domain::Actor,
) -> PageResult<Vec<Person>> {
    Ok(s.service
        .list_people(
            actor,
            PeopleFilter {
                staff_only: true,
                active_only: true,
                limit: 200,
                ..Default::default()
            },
        )
        .await?)
}

// ---------------------------------------------------------------- saved views

#[derive(Debug, Deserialize)]
pub struct SaveViewForm {
    csrf: String,
    name: String,
    query: String,
}

/// `POST /agent/views`: saves the queue being looked at.
pub async fn save_view(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Form(f): Form<SaveViewForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let v = s
        .service
        .save_view(caller.actor(), &f.name, &f.query)
        .await?;
    Ok(see_other(&format!("/agent?{}&notice=saved", v.query)))
}

/// `POST /agent/views/{id}/delete`.
pub async fn delete_view(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(id): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    s.service.delete_view(caller.actor(), id).await?;
    Ok(see_other("/agent?notice=deleted"))
}

// ---------------------------------------------------------------- bulk

/// `POST /agent/bulk`: one change to every selected ticket (`t<number>=on`).
pub async fn bulk(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    caller.check_csrf(f.get("csrf").map(String::as_str).unwrap_or_default())?;
    let back = f
        .get("back")
        .map(|b| super::safe_next(Some(b)))
        .filter(|b| b.starts_with("/agent"))
        .unwrap_or_else(|| "/agent".into());
    let numbers: Vec<i64> = f
        .keys()
        .filter_map(|k| k.strip_prefix('t').and_then(|n| n.parse().ok()))
        .collect();
    if numbers.is_empty() {
        return Err(PageError::Invalid(
            "Select at least one ticket first.".into(),
        ));
    }
    let get = |k: &str| f.get(k).cloned();
    let mut update = TicketUpdate {
        status: parse::<Status>(&get("status"))?,
        priority: parse::<Priority>(&get("priority"))?,
        ..Default::default()
    };
    match blank(&get("assignee")) {
        Some("none") => update.assignee_id = Some(None),
        Some("me") => update.assignee_id = Some(caller.actor().person_id),
        Some(_) => update.assignee_id = Some(parse_id("assignee", &get("assignee"))?.map(PersonId)),
        None => {}
    }
    match blank(&get("team")) {
        Some("none") => update.team_id = Some(None),
        Some(_) => update.team_id = Some(parse_id("team", &get("team"))?.map(TeamId)),
        None => {}
    }
    if let Some(tag) = blank(&get("add_tag")) {
        update.add_tags = vec![tag.to_string()];
    }
    // Every selected ticket is tried; those that cannot change are named afterwards.
    let mut numbers = numbers;
    numbers.sort_unstable();
    let mut failed = Vec::new();
    for n in numbers {
        let result = match s.service.get_ticket_by_number(caller.actor(), n).await {
            Ok(t) => s
                .service
                .update_ticket(caller.actor(), t.id, update.clone())
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {}
            Err(ServiceError::Conflict(m) | ServiceError::Invalid { message: m, .. }) => {
                failed.push(format!("#{n}: {m}"))
            }
            Err(ServiceError::NotFound(_) | ServiceError::Forbidden(_)) => {
                failed.push(format!("#{n}: not found"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !failed.is_empty() {
        return Err(PageError::Invalid(format!(
            "The other tickets were changed; these were not: {}.",
            failed.join("; ")
        )));
    }
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(see_other(&format!("{back}{sep}notice=bulk")))
}

// ---------------------------------------------------------------- ticket page

/// A message as the agent sees it.
pub struct MessageView {
    pub id: i64,
    pub internal: bool,
    pub author: String,
    pub from_requester: bool,
    pub body: String,
    /// Quoted history and signature, shown collapsed.
    pub folded: Option<String>,
    /// The sanitised HTML version, if the message came as HTML mail.
    pub html: Option<String>,
    pub files: Vec<super::FileLink>,
    pub when: String,
    pub ago: String,
}

/// A line of the history timeline.
pub struct HistoryView {
    pub when: String,
    pub who: String,
    pub what: String,
}

#[derive(askama::Template)]
#[template(path = "agent_ticket.html")]
struct TicketPage {
    layout: Layout,
    number: i64,
    subject: String,
    status: &'static str,
    status_label: &'static str,
    priority: &'static str,
    priority_label: &'static str,
    type_label: &'static str,
    channel_label: &'static str,
    requester: String,
    requester_email: String,
    created: String,
    messages: Vec<MessageView>,
    history: Vec<HistoryView>,
    status_choices: Vec<Choice>,
    priority_choices: Vec<Choice>,
    impact_choices: Vec<Choice>,
    urgency_choices: Vec<Choice>,
    type_choices: Vec<Choice>,
    team_choices: Vec<Choice>,
    staff_choices: Vec<Choice>,
    category_choices: Vec<Choice>,
    tags: String,
    assigned_to_me: bool,
    closed: bool,
    draft: String,
    draft_internal: bool,
    form_error: Option<String>,
    canned: Vec<Choice>,
    /// What the side panel shows, sent back with it (see [`FieldsForm`]).
    orig: Vec<(&'static str, String)>,
    /// Copied on public replies.
    watchers: Vec<steward_store::mail::Watcher>,
    /// My reminder: when (UTC, as the form writes it) and the note.
    reminder: Option<(String, String)>,
    /// Linked articles: (number, title, status, link to insert, text to insert).
    articles: Vec<(i64, String, &'static str, String, String)>,
    /// Resolved or closed: an article can be written from it.
    solved: bool,
    /// Published articles like this ticket, not yet linked: (number, title).
    suggested: Vec<(i64, String)>,
    /// The service level's name and clocks, if one applies.
    sla_policy: Option<String>,
    clocks: Vec<ClockView>,
    /// Satisfaction surveys, oldest first: (rating or none yet, its words, comment, when).
    ratings: Vec<(Option<u8>, &'static str, String, String)>,
}

/// One service-level clock on the ticket page.
pub struct ClockView {
    pub label: &'static str,
    pub state: &'static str,
    pub state_label: &'static str,
    /// "due Mon 2 Mar 10:00 UTC (in 25 min)", "met at …", "paused: 3 h 10 min left".
    pub detail: String,
}

/// Business time as people say it: "3 h 10 min".
fn business(d: jiff::SignedDuration) -> String {
    let mins = d.as_secs().abs() / 60;
    match (mins / 60, mins % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn clock_view(c: &steward_domain::sla::Clock, now: steward_domain::Timestamp) -> ClockView {
    use steward_domain::sla::{ClockState, Target};
    let label = match c.target {
        Target::FirstResponse => "First response",
        Target::NextResponse => "Next response",
        Target::Resolution => "Resolution",
    };
    let (state, state_label) = match c.state {
        ClockState::Running => ("running", "Running"),
        ClockState::Paused => ("paused", "Paused"),
        ClockState::Met => ("met", "Met"),
        ClockState::Breached => ("breached", "Breached"),
    };
    let detail = match (c.state, c.due, c.stopped_at) {
        (ClockState::Paused, _, _) => format!("{} of business time left", business(c.remaining)),
        (_, Some(due), Some(at)) => format!(
            "due {}, stopped {} ({} {})",
            when(due),
            when(at),
            business(c.remaining),
            if c.remaining.is_negative() {
                "late"
            } else {
                "to spare"
            }
        ),
        (_, Some(due), None) => format!(
            "due {} ({}; {} of business time {})",
            when(due),
            super::view::until(due, now),
            business(c.remaining),
            if c.remaining.is_negative() {
                "over"
            } else {
                "left"
            }
        ),
        (_, None, _) => String::new(),
    };
    ClockView {
        label,
        state,
        state_label,
        detail,
    }
}

fn describe(
    field: Field,
    value: &Option<String>,
    names: &Names,
    teams: &[Team],
    categories: &[Category],
) -> String {
    let Some(v) = value else {
        return "nothing".into();
    };
    let id = v.parse::<i64>().ok();
    match field {
        Field::Status => Status::parse(v).map(status_label).unwrap_or("?").into(),
        Field::Priority => Priority::parse(v).map(priority_label).unwrap_or("?").into(),
        Field::Impact | Field::Urgency => {
            super::level_label(Impact::parse(v).map(|i| i.rank()).unwrap_or(2)).into()
        }
        Field::Type => TicketType::parse(v).map(type_label).unwrap_or("?").into(),
        Field::Assignee | Field::Requester | Field::Watchers => names.person(id.map(PersonId)),
        Field::Team => id
            .and_then(|i| teams.iter().find(|t| t.id.0 == i))
            .map_or_else(|| format!("team {v}"), |t| t.name.clone()),
        Field::Category => id
            .and_then(|i| categories.iter().find(|c| c.id.0 == i))
            .map_or_else(|| format!("category {v}"), |c| c.name.clone()),
        Field::Organisation => format!("organisation {v}"),
        Field::Subject | Field::Tags | Field::ServiceLevel | Field::Rating => v.clone(),
    }
}

/// A canned response's text for one ticket: `{requester}` and `{ticket}` filled in.
fn fill_in(body: &str, requester: &str, number: i64) -> String {
    body.replace("{requester}", requester)
        .replace("{ticket}", &format!("#{number}"))
}

async fn ticket_page(
    s: &AppState,
    caller: &PageCaller,
    number: i64,
    notice_key: Option<&str>,
    draft: Option<(String, bool, String)>,
) -> PageResult {
    ticket_page_with(s, caller, number, notice_key, draft, None).await
}

async fn ticket_page_with(
    s: &AppState,
    caller: &PageCaller,
    number: i64,
    notice_key: Option<&str>,
    draft: Option<(String, bool, String)>,
    insert_canned: Option<i64>,
) -> PageResult {
    let actor = caller.actor();
    let t = s.service.get_ticket_by_number(actor, number).await?;
    let messages = s.service.messages(actor, t.id).await?;
    let html_versions = s.service.message_html(actor, t.id).await?;
    let attachments = s.service.ticket_attachments(actor, t.id).await?;
    let history = s.service.history(actor, t.id).await?;
    let watchers = s.service.watchers(actor, t.id).await?;
    let reminder = s
        .service
        .reminder(actor, t.id)
        .await?
        .map(|r| (r.at.strftime("%Y-%m-%d %H:%M UTC").to_string(), r.note));
    let base = s
        .web
        .public_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/');
    let articles: Vec<(i64, String, &'static str, String, String)> = s
        .service
        .ticket_articles(actor, t.id)
        .await?
        .into_iter()
        .map(|a| {
            let link = format!("{base}/portal/kb/{}", a.id.0);
            let status = match a.status {
                steward_domain::knowledge::ArticleStatus::Draft => "draft",
                steward_domain::knowledge::ArticleStatus::Published => "published",
                steward_domain::knowledge::ArticleStatus::Archived => "archived",
            };
            (a.id.0, a.title, status, link, a.body)
        })
        .collect();
    let linked: Vec<i64> = articles
        .iter()
        .map(|a: &(i64, String, &str, String, String)| a.0)
        .collect();
    let suggested = s
        .service
        .articles_like(actor, &t.subject, 6)
        .await?
        .into_iter()
        .filter(|a| {
            a.status == steward_domain::knowledge::ArticleStatus::Published
                && !linked.contains(&a.id.0)
        })
        .take(3)
        .map(|a| (a.id.0, a.title))
        .collect();
    let (sla_policy, clocks) = s.service.ticket_clocks(actor, t.id).await?;
    let now_for_clocks = s.service.now();
    let clocks: Vec<ClockView> = clocks
        .iter()
        .map(|c| clock_view(c, now_for_clocks))
        .collect();
    let sla_policy = sla_policy.map(|p| p.name);
    let teams = s.service.list_teams(actor).await?;
    let categories = s.service.list_categories(actor).await?;
    let staff = staff_list(s, actor).await?;
    let mut names = Names::default();
    let mut ids: Vec<PersonId> = vec![t.requester_id];
    ids.extend(messages.iter().filter_map(|m| m.author_id));
    ids.extend(history.iter().filter_map(|h| h.actor_id));
    ids.extend(t.assignee_id);
    for h in &history {
        if let Some(c) = &h.change {
            if matches!(
                c.field,
                Field::Assignee | Field::Requester | Field::Watchers
            ) {
                ids.extend(
                    [&c.old, &c.new]
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.parse().ok().map(PersonId)),
                );
            }
        }
    }
    let people = s.service.people_by_ids(actor, &ids).await?;
    let requester_email = people
        .iter()
        .find(|p| p.id == t.requester_id)
        .map(|p| p.email.clone())
        .unwrap_or_default();
    names.add_people(people);
    let now = s.service.now();
    let messages = messages
        .into_iter()
        .map(|m| {
            let folded = steward_mail::fold(&m.body);
            MessageView {
                id: m.id.0,
                internal: m.kind == MessageKind::Internal,
                author: m
                    .author_id
                    .map_or_else(|| "Steward".to_string(), |a| names.person(Some(a))),
                from_requester: m.author_id == Some(t.requester_id),
                body: folded.visible,
                folded: folded.folded,
                html: html_versions
                    .iter()
                    .find(|(id, _)| *id == m.id)
                    .map(|(_, h)| {
                        super::inline_images(
                            h,
                            &attachments,
                            m.id,
                            &format!("/agent/tickets/{}", t.number),
                        )
                    }),
                files: super::file_links(
                    &attachments,
                    m.id,
                    &format!("/agent/tickets/{}", t.number),
                ),
                when: when(m.created_at),
                ago: ago(m.created_at, now),
            }
        })
        .collect();
    let history = history
        .into_iter()
        .map(|h| {
            let what = match &h.change {
                Some(c) if c.field == Field::Tags => match (&c.old, &c.new) {
                    (Some(old), None) => format!("removed tag {old}"),
                    (_, Some(new)) => format!("added tag {new}"),
                    _ => "changed tags".into(),
                },
                Some(c) if c.field == Field::ServiceLevel => {
                    let target = c
                        .new
                        .as_deref()
                        .unwrap_or("service level")
                        .replace('_', " ");
                    match h.action {
                        steward_domain::EventAction::SlaBreach => {
                            format!("recorded a breach: the {target} is overdue")
                        }
                        _ => format!("warned: the {target} is due soon"),
                    }
                }
                Some(c) if c.field == Field::Rating => {
                    format!("rated the ticket {}/5", c.new.as_deref().unwrap_or("?"))
                }
                Some(c) if c.field == Field::Watchers => {
                    let who = |v: &Option<String>| {
                        names.person(v.as_deref().and_then(|v| v.parse().ok()).map(PersonId))
                    };
                    match (&c.old, &c.new) {
                        (Some(_), None) => format!("removed watcher {}", who(&c.old)),
                        _ => format!("added watcher {}", who(&c.new)),
                    }
                }
                Some(c) => format!(
                    "changed {} from {} to {}",
                    c.field.as_str(),
                    describe(c.field, &c.old, &names, &teams, &categories),
                    describe(c.field, &c.new, &names, &teams, &categories)
                ),
                None => match h.action {
                    steward_domain::EventAction::Created => "opened the ticket".into(),
                    steward_domain::EventAction::Replied => "replied".into(),
                    steward_domain::EventAction::Noted => "added an internal note".into(),
                    steward_domain::EventAction::Changed => "changed the ticket".into(),
                    steward_domain::EventAction::SlaWarning => {
                        "warned: a target is due soon".into()
                    }
                    steward_domain::EventAction::SlaBreach => "recorded a breach".into(),
                    steward_domain::EventAction::SurveySent => {
                        "asked the requester to rate the resolution".into()
                    }
                    steward_domain::EventAction::Rated => "rated the ticket".into(),
                },
            };
            HistoryView {
                when: when(h.at),
                who: h
                    .actor_id
                    .map_or_else(|| "Steward".into(), |a| names.person(Some(a))),
                what,
            }
        })
        .collect();
    let mut team_choices = vec![Choice::new("", "No team", t.team_id.is_none())];
    team_choices.extend(
        teams
            .iter()
            .map(|x| Choice::new(x.id.to_string(), x.name.clone(), Some(x.id) == t.team_id)),
    );
    let mut staff_choices = vec![Choice::new("", "Unassigned", t.assignee_id.is_none())];
    staff_choices.extend(staff.iter().map(|p| {
        Choice::new(
            p.id.to_string(),
            p.name.clone(),
            Some(p.id) == t.assignee_id,
        )
    }));
    // The current assignee is always a choice (even deactivated, or beyond the list), so that
    // saving the panel never unassigns by accident.
    if let Some(a) = t.assignee_id {
        if !staff.iter().any(|p| p.id == a) {
            staff_choices.push(Choice::new(a.to_string(), names.person(Some(a)), true));
        }
    }
    let orig = vec![
        ("orig_status", t.status.as_str().to_string()),
        ("orig_priority", t.priority.as_str().to_string()),
        ("orig_impact", t.impact.as_str().to_string()),
        ("orig_urgency", t.urgency.as_str().to_string()),
        ("orig_type", t.ticket_type.as_str().to_string()),
        (
            "orig_team",
            t.team_id.map(|x| x.to_string()).unwrap_or_default(),
        ),
        (
            "orig_assignee",
            t.assignee_id.map(|x| x.to_string()).unwrap_or_default(),
        ),
        (
            "orig_category",
            t.category_id.map(|x| x.to_string()).unwrap_or_default(),
        ),
        ("orig_tags", t.tags.join(" ")),
    ];
    let mut category_choices = vec![Choice::new("", "No category", t.category_id.is_none())];
    category_choices.extend(categories.iter().map(|c| {
        Choice::new(
            c.id.to_string(),
            c.name.clone(),
            Some(c.id) == t.category_id,
        )
    }));
    let (mut draft, draft_internal, form_error) = match draft {
        Some((d, internal, e)) => (d, internal, Some(e)),
        None => (String::new(), false, None),
    };
    let canned_list = s.service.canned_responses(actor).await?;
    if let Some(id) = insert_canned {
        if let Some(c) = canned_list.iter().find(|c| c.id == id) {
            draft = fill_in(&c.body, &names.person(Some(t.requester_id)), t.number);
        }
    }
    let canned = canned_list
        .iter()
        .map(|c| {
            Choice::new(
                c.id.to_string(),
                c.title.clone(),
                Some(c.id) == insert_canned,
            )
        })
        .collect();
    Ok(render(&TicketPage {
        layout: caller.layout(
            format!("#{} {}", t.number, t.subject),
            "ticket",
            notice(notice_key),
        ),
        number: t.number,
        subject: t.subject.clone(),
        status: t.status.as_str(),
        status_label: status_label(t.status),
        priority: t.priority.as_str(),
        priority_label: priority_label(t.priority),
        type_label: type_label(t.ticket_type),
        channel_label: channel_label(t.channel),
        requester: names.person(Some(t.requester_id)),
        requester_email,
        created: when(t.created_at),
        messages,
        history,
        status_choices: status_choices(Some(t.status)),
        priority_choices: priority_choices(Some(t.priority)),
        impact_choices: impact_choices(t.impact),
        urgency_choices: urgency_choices(t.urgency),
        type_choices: type_choices(Some(t.ticket_type)),
        team_choices,
        staff_choices,
        category_choices,
        tags: t.tags.join(" "),
        assigned_to_me: t.assignee_id.is_some() && t.assignee_id == actor.person_id,
        closed: t.status == Status::Closed,
        draft,
        draft_internal,
        form_error,
        canned,
        orig,
        watchers,
        reminder,
        articles,
        solved: matches!(t.status, Status::Resolved | Status::Closed),
        suggested,
        sla_policy,
        clocks,
        ratings: s
            .service
            .ticket_surveys(caller.actor(), t.id)
            .await?
            .into_iter()
            .map(|sv| {
                let words = sv
                    .rating
                    .map_or("not rated yet", steward_service::rating_words);
                let at = sv.rated_at.unwrap_or(sv.sent_at);
                (sv.rating, words, sv.comment, when(at))
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct TicketQuery {
    notice: Option<String>,
    /// Start the reply with this canned response (without JavaScript).
    canned: Option<i64>,
}

/// `GET /agent/tickets/{number}`.
pub async fn ticket(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(number): Path<i64>,
    Query(q): Query<TicketQuery>,
) -> PageResult {
    ticket_page_with(&s, &caller, number, q.notice.as_deref(), None, q.canned).await
}

/// `GET /agent/tickets/{number}/canned/{id}`: a canned response's text, filled in for this ticket
/// (for inserting at the cursor).
pub async fn canned_text(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path((number, id)): Path<(i64, i64)>,
) -> PageResult {
    let actor = caller.actor();
    let t = s.service.get_ticket_by_number(actor, number).await?;
    let c = s.service.canned_response(actor, id).await?;
    let requester = s
        .service
        .people_by_ids(actor, &[t.requester_id])
        .await?
        .pop()
        .map(|p| p.name)
        .unwrap_or_default();
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        fill_in(&c.body, &requester, t.number),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct FieldsForm {
    csrf: String,
    status: Option<String>,
    priority: Option<String>,
    impact: Option<String>,
    urgency: Option<String>,
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    team: Option<String>,
    assignee: Option<String>,
    category: Option<String>,
    tags: Option<String>,
    // What the panel showed when it was rendered: only fields the agent changed are applied, so a
    // stale panel does not undo a colleague's change to another field.
    orig_status: Option<String>,
    orig_priority: Option<String>,
    orig_impact: Option<String>,
    orig_urgency: Option<String>,
    orig_type: Option<String>,
    orig_team: Option<String>,
    orig_assignee: Option<String>,
    orig_category: Option<String>,
    orig_tags: Option<String>,
}

/// The field's new value if the agent changed it from what the panel showed.
fn edited<'a>(value: &'a Option<String>, orig: &Option<String>) -> Option<&'a Option<String>> {
    let norm = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_string();
    match (value, orig) {
        (None, _) => None,
        (Some(_), Some(_)) if norm(value) == norm(orig) => None,
        _ => Some(value),
    }
}

fn tag_list(s: &str) -> Vec<String> {
    s.split([' ', ','])
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// `POST /agent/tickets/{number}/fields`: the side panel.
pub async fn update_fields(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(number): Path<i64>,
    Form(f): Form<FieldsForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let actor = caller.actor();
    let t: Ticket = s.service.get_ticket_by_number(actor, number).await?;
    let mut u = TicketUpdate::default();
    if let Some(v) = edited(&f.status, &f.orig_status) {
        u.status = parse::<Status>(v)?.filter(|st| *st != t.status);
    }
    if let Some(v) = edited(&f.impact, &f.orig_impact) {
        u.impact = parse::<Impact>(v)?;
    }
    if let Some(v) = edited(&f.urgency, &f.orig_urgency) {
        u.urgency = parse::<Urgency>(v)?;
    }
    // Only a priority the agent changed overrides the matrix.
    if let Some(v) = edited(&f.priority, &f.orig_priority) {
        u.priority = parse::<Priority>(v)?;
    }
    if let Some(v) = edited(&f.ticket_type, &f.orig_type) {
        u.ticket_type = parse::<TicketType>(v)?;
    }
    if let Some(v) = edited(&f.team, &f.orig_team) {
        u.team_id = Some(parse_id("team", v)?.map(TeamId));
    }
    if let Some(v) = edited(&f.assignee, &f.orig_assignee) {
        u.assignee_id = Some(parse_id("assignee", v)?.map(PersonId));
    }
    if let Some(v) = edited(&f.category, &f.orig_category) {
        u.category_id = Some(parse_id("category", v)?.map(CategoryId));
    }
    if let Some(tags) = &f.tags {
        // Tags added or removed relative to what the agent saw (a colleague's new tags stay).
        let wanted = tag_list(tags);
        let seen = f
            .orig_tags
            .as_deref()
            .map_or_else(|| t.tags.clone(), tag_list);
        u.add_tags = wanted
            .iter()
            .filter(|w| !seen.contains(w))
            .cloned()
            .collect();
        u.remove_tags = seen
            .iter()
            .filter(|x| !wanted.contains(x))
            .cloned()
            .collect();
    }
    s.service.update_ticket(actor, t.id, u).await?;
    Ok(see_other(&format!(
        "/agent/tickets/{number}?notice=updated"
    )))
}

#[derive(Debug, Deserialize)]
pub struct MessageForm {
    csrf: String,
    kind: Option<String>,
    body: String,
    status: Option<String>,
}

/// `POST /agent/tickets/{number}/messages`: reply or note, optionally with a new status.
pub async fn add_message(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(number): Path<i64>,
    Form(f): Form<MessageForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let actor = caller.actor();
    let internal = blank(&f.kind) == Some("internal");
    let t = s.service.get_ticket_by_number(actor, number).await?;
    let status = parse::<Status>(&f.status)?.filter(|st| *st != t.status);
    let result = s
        .service
        .add_message(
            actor,
            t.id,
            MessageInput {
                kind: if internal {
                    MessageKind::Internal
                } else {
                    MessageKind::Public
                },
                body: f.body.clone(),
                status,
            },
        )
        .await;
    match result {
        Ok(_) => {
            let n = if internal { "noted" } else { "replied" };
            Ok(see_other(&format!(
                "/agent/tickets/{number}?notice={n}#conversation"
            )))
        }
        // Keep what was typed, and say what is wrong.
        Err(ServiceError::Invalid { message, .. }) => {
            let res = ticket_page(
                &s,
                &caller,
                number,
                None,
                Some((
                    f.body,
                    internal,
                    format!("Not sent: the message {message}."),
                )),
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, res).into_response())
        }
        Err(ServiceError::Conflict(m)) => {
            let res = ticket_page(
                &s,
                &caller,
                number,
                None,
                Some((f.body, internal, format!("Not sent: {m}."))),
            )
            .await?;
            Ok((axum::http::StatusCode::CONFLICT, res).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /agent/tickets/{number}/assign-to-me`.
pub async fn assign_to_me(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(number): Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let actor = caller.actor();
    let t = s.service.get_ticket_by_number(actor, number).await?;
    s.service
        .update_ticket(
            actor,
            t.id,
            TicketUpdate {
                assignee_id: Some(actor.person_id),
                ..Default::default()
            },
        )
        .await?;
    Ok(see_other(&format!(
        "/agent/tickets/{number}?notice=assigned"
    )))
}

#[derive(Debug, Deserialize)]
pub struct WatcherForm {
    csrf: String,
    email: String,
}

/// `POST /agent/tickets/{number}/watchers`: copy someone on the public replies.
pub async fn add_watcher(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(number): Path<i64>,
    Form(f): Form<WatcherForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let actor = caller.actor();
    let t = s.service.get_ticket_by_number(actor, number).await?;
    let notice = match s.service.add_watcher(actor, t.id, f.email.trim()).await {
        Ok(_) => "watcher-added",
        Err(ServiceError::Invalid { .. }) => "watcher-invalid",
        Err(e) => return Err(e.into()),
    };
    Ok(see_other(&format!(
        "/agent/tickets/{number}?notice={notice}#watchers"
    )))
}

/// `POST /agent/tickets/{number}/watchers/{person}/remove`.
pub async fn remove_watcher(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path((number, person)): Path<(i64, i64)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let actor = caller.actor();
    let t = s.service.get_ticket_by_number(actor, number).await?;
    s.service
        .remove_watcher(actor, t.id, PersonId(person))
        .await?;
    Ok(see_other(&format!(
        "/agent/tickets/{number}?notice=watcher-removed#watchers"
    )))
}

#[derive(Debug, Deserialize)]
pub struct ReminderForm {
    csrf: String,
    /// `2026-11-24T15:30` (UTC), from a `datetime-local` field.
    at: String,
    #[serde(default)]
    note: String,
    /// Present: remove the reminder.
    remove: Option<String>,
}

/// `POST /agent/tickets/{number}/reminder`: set, move or remove my reminder.
pub async fn reminder(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(number): Path<i64>,
    Form(f): Form<ReminderForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let actor = caller.actor();
    let t = s.service.get_ticket_by_number(actor, number).await?;
    if f.remove.is_some() {
        s.service.cancel_reminder(actor, t.id).await?;
        return Ok(see_other(&format!(
            "/agent/tickets/{number}?notice=reminder-removed#reminder"
        )));
    }
    let at = f
        .at
        .trim()
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            PageError::Invalid("Give the reminder's date and time, like 2026-11-24 15:30.".into())
        })?;
    s.service.set_reminder(actor, t.id, at, &f.note).await?;
    Ok(see_other(&format!(
        "/agent/tickets/{number}?notice=reminder-set#reminder"
    )))
}

// ---------------------------------------------------------------- new ticket

/// A person found by the requester search.
pub struct RequesterChoice {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub checked: bool,
}

#[derive(askama::Template)]
#[template(path = "agent_new.html")]
struct NewTicketPage {
    layout: Layout,
    q: String,
    matches: Vec<RequesterChoice>,
    searched: bool,
    subject: String,
    body: String,
    type_choices: Vec<Choice>,
    impact_choices: Vec<Choice>,
    urgency_choices: Vec<Choice>,
    team_choices: Vec<Choice>,
    staff_choices: Vec<Choice>,
    channel_choices: Vec<Choice>,
    form_error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct NewTicketForm {
    csrf: Option<String>,
    q: Option<String>,
    requester: Option<String>,
    subject: Option<String>,
    body: Option<String>,
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    impact: Option<String>,
    urgency: Option<String>,
    team: Option<String>,
    assignee: Option<String>,
    channel: Option<String>,
}

async fn new_ticket_page(
    s: &AppState,
    caller: &PageCaller,
    f: &NewTicketForm,
    error: Option<String>,
) -> PageResult {
    let actor = caller.actor();
    let q = blank(&f.q).unwrap_or_default().to_string();
    let selected = parse_id("requester", &f.requester)?;
    let mut matches = if q.is_empty() {
        Vec::new()
    } else {
        s.service
            .list_people(
                actor,
                PeopleFilter {
                    prefix: Some(q.clone()),
                    active_only: true,
                    limit: 20,
                    ..Default::default()
                },
            )
            .await?
    };
    if let Some(sel) = selected {
        if !matches.iter().any(|p| p.id.0 == sel) {
            if let Ok(p) = s.service.get_person(actor, PersonId(sel)).await {
                matches.insert(0, p);
            }
        }
    }
    let teams = s.service.list_teams(actor).await?;
    let staff = staff_list(s, actor).await?;
    let mut team_choices = vec![Choice::new("", "No team", blank(&f.team).is_none())];
    team_choices.extend(teams.iter().map(|t| {
        Choice::new(
            t.id.to_string(),
            t.name.clone(),
            blank(&f.team) == Some(&t.id.to_string()),
        )
    }));
    let mut staff_choices = vec![Choice::new("", "Unassigned", blank(&f.assignee).is_none())];
    staff_choices.extend(staff.iter().map(|p| {
        Choice::new(
            p.id.to_string(),
            p.name.clone(),
            blank(&f.assignee) == Some(&p.id.to_string()),
        )
    }));
    let channel = blank(&f.channel).unwrap_or("phone");
    let channel_choices = [
        Channel::Phone,
        Channel::WalkIn,
        Channel::Email,
        Channel::Agent,
    ]
    .iter()
    .map(|c| Choice::new(c.as_str(), channel_label(*c), c.as_str() == channel))
    .collect();
    let only_one = matches.len() == 1;
    let matches = matches
        .into_iter()
        .map(|p| RequesterChoice {
            checked: selected == Some(p.id.0) || only_one,
            id: p.id.0,
            name: p.name,
            email: p.email,
        })
        .collect();
    Ok(render(&NewTicketPage {
        layout: caller.layout("New ticket", "new", None),
        searched: !q.is_empty(),
        q,
        matches,
        subject: f.subject.clone().unwrap_or_default(),
        body: f.body.clone().unwrap_or_default(),
        type_choices: type_choices(
            parse::<TicketType>(&f.ticket_type)?.or(Some(TicketType::Incident)),
        ),
        impact_choices: impact_choices(parse::<Impact>(&f.impact)?.unwrap_or(Impact::Medium)),
        urgency_choices: urgency_choices(parse::<Urgency>(&f.urgency)?.unwrap_or(Urgency::Medium)),
        team_choices,
        staff_choices,
        channel_choices,
        form_error: error,
    }))
}

/// `GET /agent/new`: the form, with requester search (`?q=`).
pub async fn new_ticket_form(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Query(f): Query<NewTicketForm>,
) -> PageResult {
    new_ticket_page(&s, &caller, &f, None).await
}

/// `POST /agent/new`.
pub async fn create_ticket(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Form(f): Form<NewTicketForm>,
) -> PageResult {
    caller.check_csrf(f.csrf.as_deref().unwrap_or_default())?;
    let Some(requester) = parse_id("requester", &f.requester)? else {
        let res = new_ticket_page(
            &s,
            &caller,
            &f,
            Some("Choose the requester first: search by name or e-mail address.".into()),
        )
        .await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, res).into_response());
    };
    let result = s
        .service
        .create_ticket(
            caller.actor(),
            CreateTicket {
                ticket_type: parse::<TicketType>(&f.ticket_type)?,
                subject: f.subject.clone().unwrap_or_default(),
                body: blank(&f.body).map(|_| f.body.clone().unwrap_or_default()),
                requester_id: Some(PersonId(requester)),
                impact: parse::<Impact>(&f.impact)?,
                urgency: parse::<Urgency>(&f.urgency)?,
                team_id: parse_id("team", &f.team)?.map(TeamId),
                assignee_id: parse_id("assignee", &f.assignee)?.map(PersonId),
                channel: parse::<Channel>(&f.channel)?,
                ..Default::default()
            },
        )
        .await;
    match result {
        Ok(t) => Ok(see_other(&format!(
            "/agent/tickets/{}?notice=created",
            t.number
        ))),
        Err(ServiceError::Invalid { field, message }) => {
            let res = new_ticket_page(
                &s,
                &caller,
                &f,
                Some(format!("Not created: {field} {message}.")),
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, res).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /agent/tickets/{number}/files/{id}`: an attachment, as a download.
pub async fn file(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path((number, id)): Path<(i64, i64)>,
    Query(q): Query<super::FileQuery>,
) -> PageResult {
    let t = s
        .service
        .get_ticket_by_number(caller.actor(), number)
        .await?;
    let (info, data) = s.service.attachment(caller.actor(), t.id, id).await?;
    Ok(super::download(&info, data, q.inline.is_some()))
}
