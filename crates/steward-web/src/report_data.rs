//! What the report API and the dashboard share: reading a report's period and filter from a
//! query string, and the report as CSV.

use jiff::civil::Date;
use serde::Deserialize;
use steward_domain::kpi::{Count, Filter, Rate, Spread};
use steward_domain::{Named, Priority, TicketType};
use steward_service::{ReportRequest, Service};

use crate::pages::blank;

/// Days a report covers unless asked otherwise.
pub const DEFAULT_DAYS: i64 = 30;

/// A report's period and filter as a query string (the API's and the dashboard's).
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day (`2026-03-01`). Default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included. Default: today in the report's zone.
    pub to: Option<String>,
    /// IANA time zone of the days and hours. Default: the default SLA policy's calendar's, else
    /// UTC.
    pub zone: Option<String>,
    /// Only this organisation's tickets (id).
    pub organisation: Option<String>,
    /// Only this team's tickets (id).
    pub team: Option<String>,
    /// Only tickets assigned to this technician (id).
    pub technician: Option<String>,
    /// Only tickets of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub ticket_type: Option<String>,
    /// Only tickets of this priority.
    pub priority: Option<String>,
}

fn id(field: &str, s: &Option<String>) -> Result<Option<i64>, String> {
    blank(s)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| format!("{field}: not an id: {v:?}"))
        })
        .transpose()
}

fn date(field: &str, s: &str) -> Result<Date, String> {
    s.parse::<Date>()
        .map_err(|_| format!("{field}: write a day as 2026-03-01, not {s:?}"))
}

impl ReportQuery {
    /// The filter asked for.
    pub fn filter(&self) -> Result<Filter, String> {
        Ok(Filter {
            organisation: id("organisation", &self.organisation)?,
            team: id("team", &self.team)?,
            technician: id("technician", &self.technician)?,
            ticket_type: blank(&self.ticket_type)
                .map(TicketType::parse)
                .transpose()
                .map_err(|e| e.to_string())?,
            priority: blank(&self.priority)
                .map(Priority::parse)
                .transpose()
                .map_err(|e| e.to_string())?,
        })
    }

    /// The report asked for, with the defaults filled in (the last 30 days up to today).
    pub async fn request(&self, svc: &Service) -> Result<ReportRequest, String> {
        let zone = match blank(&self.zone) {
            Some(z) => z.to_string(),
            None => svc.report_zone().await.map_err(|e| e.to_string())?,
        };
        let tz = jiff::tz::TimeZone::get(&zone)
            .map_err(|_| format!("zone: unknown time zone {zone:?}"))?;
        let today = svc.now().to_zoned(tz).date();
        let to = match blank(&self.to) {
            Some(s) => date("to", s)?,
            None => today,
        };
        let from = match blank(&self.from) {
            Some(s) => date("from", s)?,
            None => to
                .checked_sub(jiff::Span::new().days(DEFAULT_DAYS - 1))
                .map_err(|e| format!("from: {e}"))?,
        };
        Ok(ReportRequest {
            from,
            to,
            zone: Some(zone),
            filter: self.filter()?,
        })
    }
}

/// A value for a CSV cell: quoted when needed, and never read as a formula by a spreadsheet
/// (names come from outside: `=HYPERLINK(…)` must stay text).
pub(crate) fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn minutes(ms: Option<i64>) -> String {
    ms.map_or(String::new(), |ms| format!("{:.1}", ms as f64 / 60_000.0))
}

fn percent(r: &Rate) -> String {
    r.percent().map_or(String::new(), |p| format!("{p:.1}"))
}

/// The report as CSV: `section,item,this period,previous period`, one figure per line (times in
/// minutes, shares in percent).
pub fn csv(r: &steward_service::Report) -> String {
    let mut out = String::from("section,item,this period,previous period\n");
    let mut line = |section: &str, item: &str, a: String, b: String| {
        out.push_str(&format!(
            "{},{},{},{}\n",
            cell(section),
            cell(item),
            cell(&a),
            cell(&b)
        ));
    };
    let (k, p) = (&r.current, &r.previous);
    line(
        "period",
        "from",
        r.from.to_string(),
        r.previous_from.to_string(),
    );
    line("period", "to", r.to.to_string(), r.previous_to.to_string());
    line("period", "time zone", r.zone.clone(), r.zone.clone());
    let n = |x: u64| x.to_string();
    line("volume", "created", n(k.created), n(p.created));
    line("volume", "resolved", n(k.resolved), n(p.resolved));
    let times =
        |line: &mut dyn FnMut(&str, &str, String, String), what: &str, a: &Spread, b: &Spread| {
            line(what, "tickets", n(a.count), n(b.count));
            line(
                what,
                "median (minutes)",
                minutes(a.median_ms),
                minutes(b.median_ms),
            );
            line(
                what,
                "90th percentile (minutes)",
                minutes(a.p90_ms),
                minutes(b.p90_ms),
            );
        };
    times(
        &mut line,
        "first response, business time",
        &k.first_response.business,
        &p.first_response.business,
    );
    times(
        &mut line,
        "first response, calendar time",
        &k.first_response.calendar,
        &p.first_response.calendar,
    );
    times(
        &mut line,
        "resolution, business time",
        &k.resolution.business,
        &p.resolution.business,
    );
    times(
        &mut line,
        "resolution, calendar time",
        &k.resolution.calendar,
        &p.resolution.calendar,
    );
    let rate =
        |line: &mut dyn FnMut(&str, &str, String, String), what: &str, a: &Rate, b: &Rate| {
            line(what, "percent", percent(a), percent(b));
            line(what, "count", n(a.part), n(b.part));
            line(what, "of", n(a.of), n(b.of));
        };
    rate(
        &mut line,
        "first-contact resolution",
        &k.first_contact_resolution,
        &p.first_contact_resolution,
    );
    rate(&mut line, "reopened", &k.reopened, &p.reopened);
    rate(
        &mut line,
        "csat satisfied (4-5)",
        &k.csat.satisfied,
        &p.csat.satisfied,
    );
    line(
        "csat",
        "average rating",
        k.csat.average.map_or(String::new(), |a| format!("{a:.2}")),
        p.csat.average.map_or(String::new(), |a| format!("{a:.2}")),
    );
    for i in 0..5 {
        line(
            "csat",
            &format!("ratings of {}", i + 1),
            n(k.csat.distribution[i]),
            n(p.csat.distribution[i]),
        );
    }
    rate(
        &mut line,
        "sla first response met",
        &k.sla.first_response,
        &p.sla.first_response,
    );
    rate(
        &mut line,
        "sla next response met",
        &k.sla.next_response,
        &p.sla.next_response,
    );
    rate(
        &mut line,
        "sla resolution met",
        &k.sla.resolution,
        &p.sla.resolution,
    );
    line("backlog (now)", "open", n(k.backlog.open), String::new());
    line(
        "backlog (now)",
        "overdue",
        n(k.backlog.overdue),
        String::new(),
    );
    for (i, (label, _)) in steward_domain::kpi::AGE_BUCKETS.iter().enumerate() {
        line(
            "backlog age (now)",
            label,
            n(k.backlog.by_age[i]),
            String::new(),
        );
    }
    line(
        "knowledge base",
        "deflected requests",
        n(k.deflected),
        n(p.deflected),
    );
    let names = &r.names;
    let named = |m: &std::collections::HashMap<i64, String>, key: Option<i64>, none: &str| match key
    {
        Some(id) => m.get(&id).cloned().unwrap_or(format!("#{id}")),
        None => none.to_string(),
    };
    let mut breakdown = |section: &str, a: Vec<(String, u64)>, b: Vec<(String, u64)>| {
        for (item, count) in &a {
            let before = b.iter().find(|(i, _)| i == item).map_or(0, |(_, c)| *c);
            line(section, item, n(*count), n(before));
        }
        for (item, count) in &b {
            if !a.iter().any(|(i, _)| i == item) {
                line(section, item, n(0), n(*count));
            }
        }
    };
    let by_name = |v: &[Count<String>]| -> Vec<(String, u64)> {
        v.iter()
            .map(|c| (c.key.clone().unwrap_or_default(), c.count))
            .collect()
    };
    breakdown("by channel", by_name(&k.by_channel), by_name(&p.by_channel));
    breakdown("by type", by_name(&k.by_type), by_name(&p.by_type));
    breakdown(
        "by priority",
        by_name(&k.by_priority),
        by_name(&p.by_priority),
    );
    let by_id = |v: &[Count<i64>],
                 m: &std::collections::HashMap<i64, String>,
                 none: &str|
     -> Vec<(String, u64)> {
        v.iter().map(|c| (named(m, c.key, none), c.count)).collect()
    };
    breakdown(
        "by category",
        by_id(&k.by_category, &names.categories, "(none)"),
        by_id(&p.by_category, &names.categories, "(none)"),
    );
    breakdown(
        "by organisation",
        by_id(&k.by_organisation, &names.organisations, "(none)"),
        by_id(&p.by_organisation, &names.organisations, "(none)"),
    );
    breakdown(
        "by team",
        by_id(&k.by_team, &names.teams, "(no team)"),
        by_id(&p.by_team, &names.teams, "(no team)"),
    );
    breakdown(
        "by technician",
        by_id(&k.by_technician, &names.people, "(unassigned)"),
        by_id(&p.by_technician, &names.people, "(unassigned)"),
    );
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    for (d, hours) in k.busiest_hours.iter().enumerate() {
        for (h, count) in hours.iter().enumerate() {
            let before = p.busiest_hours.get(d).map_or(0, |x| x[h]);
            line(
                "created by hour",
                &format!("{} {h:02}:00", DAYS[d]),
                n(*count),
                n(before),
            );
        }
    }
    for day in &k.days {
        line(
            "created per day",
            &day.date.to_string(),
            n(day.created),
            String::new(),
        );
        line(
            "resolved per day",
            &day.date.to_string(),
            n(day.resolved),
            String::new(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-5"), "'-5");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
    }
}
