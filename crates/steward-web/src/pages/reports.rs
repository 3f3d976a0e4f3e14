//! `/agent/reports`: the dashboard of KPIs for a period, with filters (organisation, team,
//! technician, type, priority), the previous period beside every figure, charts drawn as SVG on
//! the server with a table of the same figures beside each, the CSV download and reports mailed
//! on a schedule. With an organisation chosen it is that client's monthly service report,
//! printable.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use steward_domain::kpi::{Count, Kpis, Rate, Spread, AGE_BUCKETS};
use steward_domain::{Named, Priority, TicketType};
use steward_service::{duration_words, filter_query, filter_words, percent_words, Report};

use super::charts::{self, Bar};
use super::{notice, render, see_other, PageError, PageResult, StaffCaller};
use crate::report_data::ReportQuery;
use crate::AppState;

/// A headline figure with the previous period's beside it.
pub struct Figure {
    pub label: &'static str,
    pub value: String,
    pub previous: String,
    /// "▲ 12 %", "▼ 3", "" when nothing to compare.
    pub change: String,
    /// `better`, `worse` or `same`: the colour of the change.
    pub trend: &'static str,
    pub definition: &'static str,
}

/// A breakdown: its chart and its table.
pub struct Breakdown {
    pub title: &'static str,
    pub anchor: &'static str,
    pub chart: String,
    /// Name, count, previous count, share of the period in percent.
    pub rows: Vec<(String, u64, u64, String)>,
}

/// A choice of a filter's select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A comment on a rating.
pub struct CommentRow {
    pub number: i64,
    pub rating: u8,
    pub comment: String,
    pub when: String,
}

/// A scheduled report.
pub struct ScheduleRow {
    pub id: i64,
    pub frequency: String,
    pub filter: String,
    pub next: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: super::Layout,
    heading: String,
    client_view: bool,
    from: String,
    to: String,
    zone: String,
    previous: String,
    organisations: Vec<Choice>,
    teams: Vec<Choice>,
    technicians: Vec<Choice>,
    types: Vec<Choice>,
    priorities: Vec<Choice>,
    figures: Vec<Figure>,
    times: Vec<(&'static str, String, String, String, String)>,
    sla: Vec<(&'static str, String, String, String)>,
    daily_chart: String,
    daily_rows: Vec<(String, u64, u64)>,
    breakdowns: Vec<Breakdown>,
    heat_chart: String,
    heat_rows: Vec<(&'static str, Vec<u64>)>,
    backlog_chart: String,
    backlog_rows: Vec<(&'static str, u64)>,
    open: u64,
    overdue: u64,
    csat_chart: String,
    csat_rows: Vec<(String, u64)>,
    comments: Vec<CommentRow>,
    csv_href: String,
    query: String,
    generated: String,
    schedules: Vec<ScheduleRow>,
    csrf: String,
}

fn pct(r: &Rate) -> String {
    percent_words(r.percent())
}

/// The change from `before` to `now` as words, and whether it is good: `up_is_good` (`None`:
/// neither, as for the number of tickets).
fn change(
    now: Option<f64>,
    before: Option<f64>,
    up_is_good: Option<bool>,
    unit: &str,
) -> (String, &'static str) {
    let (Some(a), Some(b)) = (now, before) else {
        return (String::new(), "same");
    };
    let d = a - b;
    if d.abs() < 1e-9 {
        return ("=".into(), "same");
    }
    let arrow = if d > 0.0 { "▲" } else { "▼" };
    let words = match unit {
        "%" if b.abs() > 1e-9 => {
            let p = (d / b * 100.0).abs();
            if p < 10.0 {
                format!("{arrow} {p:.1} %")
            } else {
                format!("{arrow} {p:.0} %")
            }
        }
        "pt" => format!("{arrow} {:.1} pt", d.abs()),
        "ms" => format!("{arrow} {}", duration_words(Some(d.abs() as i64))),
        _ => format!("{arrow} {}", d.abs()),
    };
    let trend = match up_is_good {
        None => "same",
        Some(up) if (d > 0.0) == up => "better",
        Some(_) => "worse",
    };
    (words, trend)
}

fn figures(k: &Kpis, p: &Kpis) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut add =
        |label, value: String, previous: String, ch: (String, &'static str), definition| {
            out.push(Figure {
                label,
                value,
                previous,
                change: ch.0,
                trend: ch.1,
                definition,
            })
        };
    add(
        "Created",
        k.created.to_string(),
        p.created.to_string(),
        change(Some(k.created as f64), Some(p.created as f64), None, "%"),
        "Tickets opened in the period, by any channel.",
    );
    add(
        "Resolved",
        k.resolved.to_string(),
        p.resolved.to_string(),
        change(Some(k.resolved as f64), Some(p.resolved as f64), None, "%"),
        "Tickets whose latest resolution fell in the period (and that are still resolved or closed).",
    );
    let ms = |s: &Spread| s.median_ms.map(|v| v as f64);
    add(
        "First response (median)",
        duration_words(k.first_response.business.median_ms),
        duration_words(p.first_response.business.median_ms),
        change(ms(&k.first_response.business), ms(&p.first_response.business), Some(false), "ms"),
        "Business time from creation to the first public reply by staff, for tickets first answered in the period; not counting time waiting on the requester.",
    );
    add(
        "Resolution (median)",
        duration_words(k.resolution.business.median_ms),
        duration_words(p.resolution.business.median_ms),
        change(ms(&k.resolution.business), ms(&p.resolution.business), Some(false), "ms"),
        "Business time from creation to the latest resolution, for tickets resolved in the period; not counting time waiting on the requester or resolved before a reopening.",
    );
    add(
        "First-contact resolution",
        pct(&k.first_contact_resolution),
        pct(&p.first_contact_resolution),
        change(k.first_contact_resolution.percent(), p.first_contact_resolution.percent(), Some(true), "pt"),
        "Of the tickets resolved in the period: never reopened, and resolved with at most one public reply from staff.",
    );
    add(
        "Reopened",
        pct(&k.reopened),
        pct(&p.reopened),
        change(
            k.reopened.percent(),
            p.reopened.percent(),
            Some(false),
            "pt",
        ),
        "Of the tickets resolved in the period: reopened at least once.",
    );
    add(
        "Satisfied (CSAT)",
        pct(&k.csat.satisfied),
        pct(&p.csat.satisfied),
        change(
            k.csat.satisfied.percent(),
            p.csat.satisfied.percent(),
            Some(true),
            "pt",
        ),
        "Of the ratings given in the period: the share of 4 and 5 (of 5).",
    );
    add(
        "Average rating",
        k.csat.average.map_or("–".into(), |a| format!("{a:.2} / 5")),
        p.csat.average.map_or("–".into(), |a| format!("{a:.2} / 5")),
        change(k.csat.average, p.csat.average, Some(true), "pt"),
        "The mean of the ratings given in the period (1 to 5).",
    );
    add(
        "Resolution target met",
        pct(&k.sla.resolution),
        pct(&p.sla.resolution),
        change(
            k.sla.resolution.percent(),
            p.sla.resolution.percent(),
            Some(true),
            "pt",
        ),
        "Of the tickets resolved in the period with a resolution target: resolved in time.",
    );
    add(
        "Deflected requests",
        k.deflected.to_string(),
        p.deflected.to_string(),
        change(Some(k.deflected as f64), Some(p.deflected as f64), Some(true), "%"),
        "Requesters who opened an article the new-request form suggested and did not open a request within the hour after.",
    );
    out
}

fn spread_row(
    label: &'static str,
    s: &Spread,
    p: &Spread,
) -> (&'static str, String, String, String, String) {
    (
        label,
        s.count.to_string(),
        duration_words(s.median_ms),
        duration_words(s.p90_ms),
        format!(
            "{} / {}",
            duration_words(p.median_ms),
            duration_words(p.p90_ms)
        ),
    )
}

fn rate_row(label: &'static str, r: &Rate, p: &Rate) -> (&'static str, String, String, String) {
    (label, pct(r), format!("{} of {}", r.part, r.of), pct(p))
}

fn breakdown<K: Clone + PartialEq>(
    title: &'static str,
    anchor: &'static str,
    now: &[Count<K>],
    before: &[Count<K>],
    name: impl Fn(&Option<K>) -> String,
    total: u64,
) -> Breakdown {
    const SHOWN: usize = 15;
    let rows: Vec<(String, u64, u64, String)> = now
        .iter()
        .take(SHOWN)
        .map(|c| {
            let prev = before
                .iter()
                .find(|b| b.key == c.key)
                .map_or(0, |b| b.count);
            let share = if total > 0 {
                format!("{:.1} %", c.count as f64 * 100.0 / total as f64)
            } else {
                "–".into()
            };
            (name(&c.key), c.count, prev, share)
        })
        .collect();
    let bars: Vec<Bar> = rows
        .iter()
        .map(|(label, n, _, _)| Bar {
            label: label.clone(),
            value: *n as f64,
            shown: n.to_string(),
        })
        .collect();
    let mut rows = rows;
    if now.len() > SHOWN {
        let rest: u64 = now.iter().skip(SHOWN).map(|c| c.count).sum();
        rows.push((
            format!("{} more", now.len() - SHOWN),
            rest,
            0,
            String::new(),
        ));
    }
    Breakdown {
        title,
        anchor,
        chart: charts::bars(title, &bars),
        rows,
    }
}

fn named(m: &HashMap<i64, String>, k: &Option<i64>, none: &str) -> String {
    match k {
        Some(id) => m.get(id).cloned().unwrap_or(format!("#{id}")),
        None => none.to_string(),
    }
}

fn choices(
    items: impl IntoIterator<Item = (String, String)>,
    selected: Option<&str>,
) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: Some(value.as_str()) == selected,
            value,
            label,
        })
        .collect()
}

/// `GET /agent/reports`.
pub async fn page(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let req = q
        .report
        .request(&s.service)
        .await
        .map_err(PageError::Invalid)?;
    let r: Report = s.service.report(caller.actor(), &req).await?;
    let actor = caller.actor();
    let mut orgs = s.service.list_orgs(actor, None, 1000).await?;
    orgs.sort_by_key(|o| o.name.to_lowercase());
    let teams = s.service.list_teams(actor).await?;
    let staff = super::agent::staff_list(&s, actor).await?;
    let k = &r.current;
    let p = &r.previous;
    let names = &r.names;
    let total = k.created;
    let breakdowns = vec![
        breakdown(
            "By channel",
            "channel",
            &k.by_channel,
            &p.by_channel,
            |c| c.clone().unwrap_or_default(),
            total,
        ),
        breakdown(
            "By type",
            "type",
            &k.by_type,
            &p.by_type,
            |c| c.clone().unwrap_or_default(),
            total,
        ),
        breakdown(
            "By priority",
            "priority",
            &k.by_priority,
            &p.by_priority,
            |c| c.clone().unwrap_or_default(),
            total,
        ),
        breakdown(
            "By category",
            "category",
            &k.by_category,
            &p.by_category,
            |c| named(&names.categories, c, "(no category)"),
            total,
        ),
        breakdown(
            "By organisation",
            "organisation",
            &k.by_organisation,
            &p.by_organisation,
            |c| named(&names.organisations, c, "(no organisation)"),
            total,
        ),
        breakdown(
            "By team",
            "team",
            &k.by_team,
            &p.by_team,
            |c| named(&names.teams, c, "(no team)"),
            total,
        ),
        breakdown(
            "By technician",
            "technician",
            &k.by_technician,
            &p.by_technician,
            |c| named(&names.people, c, "(unassigned)"),
            total,
        ),
    ];
    let daily_rows: Vec<(String, u64, u64)> = k
        .days
        .iter()
        .map(|d| (d.date.to_string(), d.created, d.resolved))
        .collect();
    let backlog_rows: Vec<(&'static str, u64)> = AGE_BUCKETS
        .iter()
        .zip(&k.backlog.by_age)
        .map(|((label, _), n)| (*label, *n))
        .collect();
    let backlog_bars: Vec<Bar> = backlog_rows
        .iter()
        .map(|(l, n)| Bar {
            label: l.to_string(),
            value: *n as f64,
            shown: n.to_string(),
        })
        .collect();
    let csat_rows: Vec<(String, u64)> = (1..=5)
        .rev()
        .map(|i| {
            (
                format!("{i} – {}", steward_service::RATING_WORDS[i - 1]),
                k.csat.distribution[i - 1],
            )
        })
        .collect();
    let csat_bars: Vec<Bar> = csat_rows
        .iter()
        .map(|(l, n)| Bar {
            label: l.clone(),
            value: *n as f64,
            shown: n.to_string(),
        })
        .collect();
    let heat_rows: Vec<(&'static str, Vec<u64>)> = k
        .busiest_hours
        .iter()
        .enumerate()
        .map(|(d, h)| (charts::WEEKDAYS[d], h.to_vec()))
        .collect();
    let query = format!(
        "from={}&to={}&zone={}{}",
        r.from,
        r.to,
        super::url_encode(&r.zone),
        filter_query(&r.filter)
    );
    let words = filter_words(&r.filter, names);
    let client_view = r.filter.organisation.is_some();
    let heading = match r.filter.organisation {
        Some(o) => format!(
            "Service report: {}",
            names
                .organisations
                .get(&o)
                .cloned()
                .unwrap_or(format!("#{o}"))
        ),
        None => "Reports".to_string(),
    };
    let schedules = s
        .service
        .report_schedules(actor)
        .await?
        .into_iter()
        .filter(|x| Some(x.person_id) == actor.person_id)
        .map(|x| ScheduleRow {
            id: x.id,
            frequency: x.frequency,
            filter: filter_words(&x.filter, names)
                .trim_start_matches(", ")
                .to_string(),
            next: super::when(x.next_run_at),
        })
        .collect();
    let page = ReportsPage {
        layout: caller.layout(&heading, "reports", notice(q.notice.as_deref())),
        heading,
        client_view,
        from: r.from.to_string(),
        to: r.to.to_string(),
        zone: r.zone.clone(),
        previous: format!("{} to {}{}", r.previous_from, r.previous_to, words),
        organisations: choices(
            orgs.iter().map(|o| (o.id.0.to_string(), o.name.clone())),
            super::blank(&q.report.organisation),
        ),
        teams: choices(
            teams.iter().map(|t| (t.id.0.to_string(), t.name.clone())),
            super::blank(&q.report.team),
        ),
        technicians: choices(
            staff.iter().map(|p| (p.id.0.to_string(), p.name.clone())),
            super::blank(&q.report.technician),
        ),
        types: choices(
            TicketType::ALL
                .iter()
                .map(|t| (t.as_str().to_string(), t.as_str().replace('_', " "))),
            super::blank(&q.report.ticket_type),
        ),
        priorities: choices(
            Priority::ALL
                .iter()
                .map(|t| (t.as_str().to_string(), t.as_str().to_string())),
            super::blank(&q.report.priority),
        ),
        figures: figures(k, p),
        times: vec![
            spread_row(
                "First response, business time",
                &k.first_response.business,
                &p.first_response.business,
            ),
            spread_row(
                "First response, calendar time",
                &k.first_response.calendar,
                &p.first_response.calendar,
            ),
            spread_row(
                "Resolution, business time",
                &k.resolution.business,
                &p.resolution.business,
            ),
            spread_row(
                "Resolution, calendar time",
                &k.resolution.calendar,
                &p.resolution.calendar,
            ),
        ],
        sla: vec![
            rate_row(
                "First response",
                &k.sla.first_response,
                &p.sla.first_response,
            ),
            rate_row("Next response", &k.sla.next_response, &p.sla.next_response),
            rate_row("Resolution", &k.sla.resolution, &p.sla.resolution),
        ],
        daily_chart: charts::daily("Tickets created and resolved per day", &daily_rows),
        daily_rows,
        breakdowns,
        heat_chart: charts::heat("Tickets created by weekday and hour", &k.busiest_hours),
        heat_rows,
        backlog_chart: charts::bars("Open tickets by age", &backlog_bars),
        backlog_rows,
        open: k.backlog.open,
        overdue: k.backlog.overdue,
        csat_chart: charts::bars("Ratings", &csat_bars),
        csat_rows,
        comments: r
            .comments
            .iter()
            .map(|(sv, number)| CommentRow {
                number: *number,
                rating: sv.rating.unwrap_or(0),
                comment: sv.comment.clone(),
                when: sv.rated_at.map(super::when).unwrap_or_default(),
            })
            .collect(),
        csv_href: format!("/agent/reports.csv?{query}"),
        query,
        generated: super::when(r.generated_at),
        schedules,
        csrf: caller.csrf.clone(),
    };
    Ok(render(&page))
}

/// The dashboard's query: the report's, and a notice after a redirect.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(flatten)]
    pub report: ReportQuery,
    pub notice: Option<String>,
}

/// `GET /agent/reports.csv`.
pub async fn csv(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    let req = q.request(&s.service).await.map_err(PageError::Invalid)?;
    let r = s.service.report(caller.actor(), &req).await?;
    Ok(crate::api::reports::export_csv(&s, caller.actor(), &r).await?)
}

/// The schedule form.
#[derive(Debug, Deserialize)]
pub struct ScheduleForm {
    csrf: String,
    frequency: String,
    #[serde(flatten)]
    report: ReportQuery,
}

/// `POST /agent/reports/schedules`: mail me this report every week or month.
pub async fn schedule(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Form(f): Form<ScheduleForm>,
) -> PageResult<Response> {
    caller.check_csrf(&f.csrf)?;
    let filter = f.report.filter().map_err(PageError::Invalid)?;
    s.service
        .schedule_report(caller.actor(), &f.frequency, filter.clone())
        .await?;
    Ok(see_other(&format!(
        "/agent/reports?notice=scheduled{}",
        filter_query(&filter)
    )))
}

/// `POST /agent/reports/schedules/{id}/delete`.
pub async fn unschedule(
    State(s): State<AppState>,
    StaffCaller(caller): StaffCaller,
    Path(id): Path<i64>,
    Form(f): Form<super::CsrfOnly>,
) -> PageResult<Response> {
    caller.check_csrf(&f.csrf)?;
    s.service.delete_report_schedule(caller.actor(), id).await?;
    Ok(see_other("/agent/reports?notice=unscheduled"))
}
